"""After-sales service visits from a dealer's workshop system, upserted by work order number
(unique per dealer). The customer is found by phone, or created when the row names them."""

import re
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from customers.models import Customer, ServiceKind, ServiceVisit
from datahub.kinds.base import CheckedRow, Field, ImportSpec, choice_reader, optional
from datahub.kinds.customers import customers_by_phone, customers_create_for, read_city, read_name, read_phone
from datahub.models import ImportKind
from dealerops.bulk import bulk_upsert
from dealerops.tabular import cell_amount, cell_date, cell_integer, cell_text

KINDS = {
    "maintenance": ServiceKind.MAINTENANCE, "保养": ServiceKind.MAINTENANCE, "常规保养": ServiceKind.MAINTENANCE,
    "定期保养": ServiceKind.MAINTENANCE, "首保": ServiceKind.MAINTENANCE,
    "repair": ServiceKind.REPAIR, "维修": ServiceKind.REPAIR, "一般维修": ServiceKind.REPAIR,
    "机修": ServiceKind.REPAIR,
    "warranty": ServiceKind.WARRANTY, "保修": ServiceKind.WARRANTY, "索赔": ServiceKind.WARRANTY,
    "三包": ServiceKind.WARRANTY,
    "bodywork": ServiceKind.BODYWORK, "钣喷": ServiceKind.BODYWORK, "钣金喷漆": ServiceKind.BODYWORK,
    "钣金": ServiceKind.BODYWORK, "喷漆": ServiceKind.BODYWORK, "事故车": ServiceKind.BODYWORK,
    "inspection": ServiceKind.INSPECTION, "检测": ServiceKind.INSPECTION, "检查": ServiceKind.INSPECTION,
    "车辆检测": ServiceKind.INSPECTION,
}  # fmt: skip

KIND_HINT = "保养 / 维修 / 保修 / 钣喷 / 检测 (maintenance / repair / warranty / bodywork / inspection)"


def read_work_order(cell: Any) -> str:
    return cell_text(cell, max_length=32)


def read_service_amount(cell: Any):
    amount = cell_amount(cell)
    if amount < 0:
        raise ValueError(_("the amount cannot be negative."))
    return amount


def read_satisfaction(cell: Any) -> int:
    """A score of 1 to 5: 4, 4分 or 4星."""
    if isinstance(cell, str):
        cell = re.sub(r"\s*(?:分|星)$", "", cell.strip())
    return cell_integer(cell, minimum=1, maximum=5)


# The values a visit row carries that are compared with, and written to, the visit.
VISIT_FIELDS = ("customer_id", "visited_on", "kind", "amount", "satisfaction")


class ServiceVisitImport(ImportSpec):
    kind = ImportKind.SERVICE_VISITS
    example = {
        "work_order": "WO2025060001", "customer_phone": "13800138000", "customer_name": "张伟", "customer_city": "成都",
        "visited_on": "2025-07-05", "kind": "保养", "amount": "680.00", "satisfaction": "5",
    }  # fmt: skip
    natural_key = "work_order"
    audited_in_bulk = (ServiceVisit, Customer)
    fields = (
        Field(
            "work_order",
            gettext_lazy("work order"),
            read_work_order,
            ("workorderno", "wo", "ro", "repairorder", "工单号", "工单编号", "维修工单号", "委托书号", "结算单号"),
        ),
        Field(
            "customer_phone",
            gettext_lazy("customer phone"),
            read_phone,
            ("phone", "mobile", "客户电话", "客户手机", "车主电话", "手机", "手机号", "联系电话"),
        ),
        Field(
            "customer_name",
            gettext_lazy("customer name"),
            optional(read_name),
            ("customer", "客户姓名", "车主姓名", "客户", "姓名", "车主"),
            required=False,
        ),
        Field(
            "customer_city",
            gettext_lazy("customer city"),
            optional(read_city),
            ("city", "客户城市", "城市", "所在城市"),
            required=False,
        ),
        Field(
            "visited_on",
            gettext_lazy("visited on"),
            cell_date,
            ("visitdate", "进厂日期", "到店日期", "维修日期", "服务日期", "开单日期", "结算日期"),
        ),
        Field(
            "kind",
            gettext_lazy("kind"),
            choice_reader(KINDS, KIND_HINT),
            ("servicekind", "servicetype", "服务类型", "维修类型", "工单类型", "业务类型", "类型"),
        ),
        Field(
            "amount",
            gettext_lazy("amount"),
            read_service_amount,
            kind="money",
            aliases=("金额", "结算金额", "工单金额", "维修金额", "总金额", "实收金额"),
        ),
        Field(
            "satisfaction",
            gettext_lazy("satisfaction (1-5)"),
            optional(read_satisfaction),
            ("satisfaction", "满意度", "满意度评分", "客户评分", "评分"),
            required=False,
        ),
    )

    def resolve(self, rows: list[CheckedRow]) -> None:
        visits = {
            visit["work_order"]: visit
            for visit in ServiceVisit.objects.filter(
                dealer=self.dealer, work_order__any=[row.values["work_order"] for row in rows]
            ).values("id", "work_order", *VISIT_FIELDS)
        }
        customers = customers_by_phone(self.dealer.pk, [row.values["customer_phone"] for row in rows])
        for row in rows:
            values = row.values
            existing = visits.get(values["work_order"])
            self.refuse_future(row, "visited_on")
            if "satisfaction" not in self.headers:
                # A column the file lacks keeps the visit's score.
                values["satisfaction"] = existing["satisfaction"] if existing else None
            values["customer_id"] = customers.get(values["customer_phone"])
            if values["customer_id"] is None and not values.get("customer_name"):
                row.error(
                    self.column("customer_phone"),
                    _("no customer of yours has this phone: add their name to the row, or import customers first."),
                )
            self.decide(row, existing, VISIT_FIELDS)

    def write(self, rows: list[CheckedRow]) -> None:
        # The workshop's city when the file gives none: customers mostly live near it.
        customers_create_for(self, rows, city=lambda row: row.values.get("customer_city") or self.dealer.city)
        ids = bulk_upsert(
            ServiceVisit,
            [
                {
                    "dealer_id": self.dealer.pk,
                    "work_order": row.values["work_order"],
                    **{name: row.values[name] for name in VISIT_FIELDS},
                }
                for row in rows
            ],
            unique=["dealer_id", "work_order"],
            unique_where="work_order <> ''",  # the partial index: blank work orders may repeat
            update=VISIT_FIELDS,
        )
        self.record_history(ServiceVisit, rows, ids)
