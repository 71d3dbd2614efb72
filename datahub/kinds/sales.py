"""Retail sales, upserted by VIN (a unit is sold once). The unit must be in the dealer's
stock; the customer is found by phone, or created when the row names them."""

from typing import Any

from django.db.models import F, Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from customers.models import Customer
from datahub.kinds.base import CheckedRow, Field, ImportSpec, choice_reader, optional
from datahub.kinds.customers import customers_by_phone, customers_create_for, read_city, read_name, read_phone
from datahub.kinds.stock import VIN, mark_sold, units_by_vin
from datahub.models import ImportKind, RowAction
from dealerops.bulk import bulk_upsert
from dealerops.tabular import cell_amount, cell_date, cell_datetime, cell_text
from finance.models import Loan, LoanStatus
from inventory.models import Payment, Sale, StockStatus, StockUnit

PAYMENTS = {
    "cash": Payment.CASH, "现金": Payment.CASH, "全款": Payment.CASH, "全款购车": Payment.CASH,
    "loan": Payment.LOAN, "贷款": Payment.LOAN, "按揭": Payment.LOAN, "分期": Payment.LOAN, "金融": Payment.LOAN,
    "lease": Payment.LEASE, "融资租赁": Payment.LEASE, "租赁": Payment.LEASE,
}  # fmt: skip


def read_price(cell: Any):
    amount = cell_amount(cell)
    if amount <= 0:
        raise ValueError(_("the price must be positive."))
    return amount


def read_salesperson(cell: Any) -> str:
    return cell_text(cell, max_length=64)


SALE_FIELDS = ("sold_on", "transaction_price", "payment", "salesperson", "customer_id", "registered_city")


class SaleImport(ImportSpec):
    kind = ImportKind.SALES
    example = {
        "vin": "LFV2A21K8N3000001", "sold_on": "2025-06-18", "transaction_price": "189800.00", "payment": "现金",
        "salesperson": "李娜", "customer_phone": "13800138000", "customer_name": "张伟", "registered_city": "成都",
        "recorded_at": "2025-06-18 15:30",
    }  # fmt: skip
    natural_key = "vin"
    audited_in_bulk = (Sale, Customer, StockUnit)
    fields = (
        VIN,
        Field(
            "sold_on", gettext_lazy("sold on"), cell_date, ("saledate", "销售日期", "开票日期", "交车日期", "成交日期")
        ),
        Field(
            "transaction_price",
            gettext_lazy("transaction price"),
            read_price,
            kind="money",
            aliases=("price", "成交价", "成交价格", "销售价格", "开票价", "开票金额"),
        ),
        Field(
            "payment",
            gettext_lazy("payment"),
            choice_reader(PAYMENTS, "现金 / 贷款 / 融资租赁 (cash / loan / lease)"),
            ("付款方式", "支付方式", "购车方式"),
        ),
        Field("salesperson", gettext_lazy("salesperson"), read_salesperson, ("销售顾问", "销售员", "顾问")),
        Field(
            "customer_phone",
            gettext_lazy("customer phone"),
            read_phone,
            ("phone", "mobile", "客户电话", "客户手机", "手机", "手机号", "联系电话"),
        ),
        Field(
            "customer_name",
            gettext_lazy("customer name"),
            optional(read_name),
            ("customer", "客户姓名", "客户", "姓名", "购车人"),
            required=False,
        ),
        Field(
            "registered_city",
            gettext_lazy("registered city"),
            read_city,
            ("city", "上牌城市", "注册城市", "城市"),
        ),
        Field(
            "recorded_at",
            gettext_lazy("recorded at"),
            optional(cell_datetime),
            ("entrytime", "录入时间", "创建时间", "录入日期"),
            required=False,
        ),
    )

    def resolve(self, rows: list[CheckedRow]) -> None:
        units = units_by_vin([row.values["vin"] for row in rows])
        unit_ids = [unit["id"] for unit in units.values()]
        sales = {
            sale["stock_unit_id"]: sale
            for sale in Sale.objects.filter(stock_unit_id__any=unit_ids).values("id", "stock_unit_id", *SALE_FIELDS)
        }
        # A sale with a live loan must keep paying by loan, at the loan's principal + down payment.
        loan_totals = dict(
            Loan.objects.filter(sale_id__any=[sale["id"] for sale in sales.values()])
            .exclude(status=LoanStatus.REJECTED)
            .values_list("sale_id")
            .annotate(total=Sum(F("principal") + F("down_payment")))
        )
        customers = customers_by_phone(self.dealer.pk, [row.values["customer_phone"] for row in rows])
        for row in rows:
            values = row.values
            self.refuse_future(row, "sold_on", "recorded_at")
            values["customer_id"] = customers.get(values["customer_phone"])
            if values["customer_id"] is None and not values.get("customer_name"):
                row.error(
                    self.column("customer_phone"),
                    _("no customer of yours has this phone: add their name to the row, or import customers first."),
                )
            unit = units.get(values["vin"])
            sale = sales.get(unit["id"]) if unit else None
            if unit is None:
                row.error(self.column("vin"), _("no stock unit has this VIN: import its arrival first."))
            elif unit["dealer_id"] != self.dealer.pk:
                row.error(self.column("vin"), _("this VIN is in another dealer's stock."))
            elif sale is None and unit["status"] != StockStatus.IN_STOCK:
                row.error(
                    self.column("vin"),
                    _("the unit is not in stock (%(status)s).") % {"status": StockStatus(unit["status"]).label},
                )
            elif values["sold_on"] < unit["arrived_on"]:
                row.error(
                    self.column("sold_on"),
                    _("the sale is dated before the unit arrived (%(date)s).") % {"date": unit["arrived_on"]},
                )
            else:
                values["stock_unit_id"] = unit["id"]
            if sale is not None and sale["id"] in loan_totals:
                if values["payment"] != Payment.LOAN:
                    row.error(self.column("payment"), _("the sale has a loan: its payment stays “loan”."))
                elif values["transaction_price"] != loan_totals[sale["id"]]:
                    row.error(
                        self.column("transaction_price"),
                        _("the sale's loan (principal + down payment) comes to %(total)s.")
                        % {"total": loan_totals[sale["id"]]},
                    )
            self.decide(row, sale, SALE_FIELDS)

    def write(self, rows: list[CheckedRow]) -> None:
        customers_create_for(self, rows, city=lambda row: row.values["registered_city"])
        now = timezone.now()
        ids = bulk_upsert(
            Sale,
            [
                {
                    "stock_unit_id": row.values["stock_unit_id"],
                    "dealer_id": self.dealer.pk,
                    "recorded_at": row.values.get("recorded_at") or now,
                    **{name: row.values[name] for name in SALE_FIELDS},
                }
                for row in rows
            ],
            unique=["stock_unit_id"],
            update=SALE_FIELDS,
        )
        self.record_history(Sale, rows, ids)
        sold = mark_sold([row.values["stock_unit_id"] for row in rows if row.action == RowAction.CREATE])
        self.history.record(StockUnit, "update", sold)
