"""Customers, upserted by (dealer, phone)."""

import re
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from customers.models import PHONE_PATTERN, Customer
from datahub.kinds.base import CheckedRow, Field, ImportSpec, optional, read_yes_no
from datahub.models import ImportKind
from dealerops.bulk import bulk_upsert
from dealerops.tabular import cell_text

_PHONE_NOISE = re.compile(r"[\s\-()（）]")
_COUNTRY_CODE = re.compile(r"^(?:\+?86|0086)(?=1\d{10}$)")
_PHONE = re.compile(PHONE_PATTERN)


def read_phone(cell: Any) -> str:
    """An 11-digit mainland mobile number; +86, spaces and dashes are dropped."""
    text = _PHONE_NOISE.sub("", cell_text(cell, max_length=32))
    text = _COUNTRY_CODE.sub("", text)
    if not _PHONE.fullmatch(text):
        raise ValueError(_("“%(value)s” is not an 11-digit mainland mobile number.") % {"value": text[:20]})
    return text


def read_coordinate(limit: int):
    def read(cell: Any) -> Decimal:
        try:
            value = Decimal(str(cell).strip()).quantize(Decimal("0.000001"))
        except ArithmeticError:
            raise ValueError(_("“%(value)s” is not a coordinate.") % {"value": str(cell)[:20]}) from None
        if not -limit <= value <= limit:
            raise ValueError(_("%(value)s lies outside ±%(limit)s.") % {"value": value, "limit": limit})
        return value

    return read


def read_name(cell: Any) -> str:
    return cell_text(cell, max_length=64)


def read_city(cell: Any) -> str:
    return cell_text(cell, max_length=32)


PHONE = Field(
    "phone", gettext_lazy("phone"), read_phone, ("mobile", "手机", "手机号", "手机号码", "电话", "联系电话", "客户电话")
)

CUSTOMER_FIELDS = ("name", "phone", "city", "marketing_consent", "latitude", "longitude")


class CustomerImport(ImportSpec):
    kind = ImportKind.CUSTOMERS
    example = {
        "phone": "13800138000", "name": "张伟", "city": "成都", "marketing_consent": "是",
        "latitude": "30.657", "longitude": "104.066",
    }  # fmt: skip
    natural_key = "phone"
    audited_in_bulk = (Customer,)
    fields = (
        PHONE,
        Field("name", gettext_lazy("name"), read_name, ("customername", "姓名", "客户姓名", "客户名称")),
        Field("city", gettext_lazy("city"), read_city, ("城市", "所在城市", "客户城市")),
        Field(
            "marketing_consent",
            gettext_lazy("consents to marketing"),
            read_yes_no,
            ("consent", "营销授权", "同意营销", "是否同意营销"),
            required=False,
        ),
        Field("latitude", gettext_lazy("latitude"), optional(read_coordinate(90)), ("lat", "纬度"), required=False),
        Field(
            "longitude",
            gettext_lazy("longitude"),
            optional(read_coordinate(180)),
            ("lng", "lon", "经度"),
            required=False,
        ),
    )

    def resolve(self, rows: list[CheckedRow]) -> None:
        existing = {
            record["phone"]: record
            for record in Customer.objects.filter(
                home_dealer=self.dealer, phone__any=[row.values["phone"] for row in rows]
            ).values("id", *CUSTOMER_FIELDS)
        }
        for row in rows:
            self.decide(row, existing.get(row.values["phone"]), [f for f in CUSTOMER_FIELDS if f in row.values])

    def write(self, rows: list[CheckedRow]) -> None:
        # A column the file lacks keeps the record's value: only the file's fields are updated.
        given = [name for name in CUSTOMER_FIELDS if name != "phone" and any(name in row.values for row in rows)]
        ids = bulk_upsert(
            Customer,
            [{"home_dealer_id": self.dealer.pk, "phone": row.values["phone"], **_given(row, given)} for row in rows],
            unique=["home_dealer_id", "phone"],
            update=given,
        )
        self.record_history(Customer, rows, ids)


def _given(row: CheckedRow, given: list[str]) -> dict[str, Any]:
    # A new customer without consent in the file has not consented.
    return {name: row.values.get(name, False if name == "marketing_consent" else None) for name in given}


def customers_create_for(spec: ImportSpec, rows: list[CheckedRow], city: Callable[[CheckedRow], str]) -> None:
    """Create the customers that rows of another kind (a sale, a visit) name by a phone the
    dealer does not know yet, once per phone, from the row's customer name and ``city(row)``;
    every such row then has its ``customer_id``."""
    people = {row.values["customer_phone"]: row for row in rows if row.values["customer_id"] is None}
    if not people:
        return
    ids = bulk_upsert(
        Customer,
        [
            {"home_dealer_id": spec.dealer.pk, "phone": phone, "name": row.values["customer_name"], "city": city(row)}
            for phone, row in people.items()
        ],
        unique=["home_dealer_id", "phone"],
        update=["name"],
    )
    spec.history.record(Customer, "insert", ids)
    created = dict(zip(people, ids, strict=True))
    for row in rows:
        if row.values["customer_id"] is None:
            row.values["customer_id"] = created[row.values["customer_phone"]]


def customers_by_phone(dealer_id: int, phones: list[str]) -> dict[str, int]:
    return dict(Customer.objects.filter(home_dealer_id=dealer_id, phone__any=phones).values_list("phone", "id"))
