"""Sales leads from a dealer's CRM, upserted by the CRM's lead id (unique per dealer). Every
lead of the file is assigned to the importing dealer: its CRM holds its own customers, so a
new one is recorded by the routing service as the dealer's own lead (not routed, no SLA:
``channels.routing.services.own_leads_record``); a won lead names the sale it became by the
unit's VIN.
"""

from collections import Counter
from typing import Any

from django.db.models import F
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from channels.models import Lead, LeadOutcome, LeadSource
from channels.routing.services import own_leads_record
from channels.services import lead_follow_up_refusals
from datahub.kinds.base import CheckedRow, Field, ImportSpec, choice_reader, optional
from datahub.kinds.customers import read_city
from datahub.kinds.stock import read_model_code, read_vin
from datahub.models import ImportKind, RowAction
from dealerops.bulk import bulk_upsert
from dealerops.tabular import cell_datetime, cell_text
from inventory.models import Sale, VehicleModel

SOURCES = {
    "website": LeadSource.WEBSITE, "官网": LeadSource.WEBSITE, "官方网站": LeadSource.WEBSITE,
    "网站": LeadSource.WEBSITE,
    "app": LeadSource.APP, "小程序": LeadSource.APP, "官方app": LeadSource.APP,
    "phone": LeadSource.PHONE, "电话": LeadSource.PHONE, "来电": LeadSource.PHONE, "400电话": LeadSource.PHONE,
    "walk_in": LeadSource.WALK_IN, "walk-in": LeadSource.WALK_IN, "到店": LeadSource.WALK_IN,
    "自然到店": LeadSource.WALK_IN, "展厅到店": LeadSource.WALK_IN, "进店": LeadSource.WALK_IN,
    "partner": LeadSource.PARTNER, "合作伙伴": LeadSource.PARTNER, "合作平台": LeadSource.PARTNER,
    "第三方": LeadSource.PARTNER, "垂媒": LeadSource.PARTNER,
}  # fmt: skip
OUTCOMES = {
    "open": LeadOutcome.OPEN, "未跟进": LeadOutcome.OPEN, "待跟进": LeadOutcome.OPEN, "新线索": LeadOutcome.OPEN,
    "contacted": LeadOutcome.CONTACTED, "已联系": LeadOutcome.CONTACTED, "跟进中": LeadOutcome.CONTACTED,
    "已跟进": LeadOutcome.CONTACTED,
    "test_drive": LeadOutcome.TEST_DRIVE, "test drive": LeadOutcome.TEST_DRIVE, "已试驾": LeadOutcome.TEST_DRIVE,
    "试驾": LeadOutcome.TEST_DRIVE,
    "won": LeadOutcome.WON, "已成交": LeadOutcome.WON, "成交": LeadOutcome.WON, "赢单": LeadOutcome.WON,
    "lost": LeadOutcome.LOST, "战败": LeadOutcome.LOST, "已战败": LeadOutcome.LOST, "流失": LeadOutcome.LOST,
    "无效": LeadOutcome.LOST,
}  # fmt: skip

SOURCE_HINT = "官网 / APP / 电话 / 到店 / 合作伙伴 (website / app / phone / walk-in / partner)"
OUTCOME_HINT = "未跟进 / 已联系 / 已试驾 / 已成交 / 战败 (open / contacted / test drive / won / lost)"


def read_crm_reference(cell: Any) -> str:
    return cell_text(cell, max_length=64)


# The columns a lead file has whoever exports it (a dealer's CRM, head office's lead platform).
SOURCE = Field(
    "source",
    gettext_lazy("source"),
    choice_reader(SOURCES, SOURCE_HINT),
    ("leadsource", "线索来源", "来源", "来源渠道", "渠道"),
)
CUSTOMER_CITY = Field(
    "customer_city", gettext_lazy("customer city"), read_city, ("city", "客户城市", "城市", "所在城市", "意向城市")
)
MODEL_CODE = Field(
    "model_code",
    gettext_lazy("model code"),
    optional(read_model_code),
    ("model", "意向车型", "意向车型代码", "车型代码", "车型"),
    required=False,
)


def model_of_interest(spec: ImportSpec, row: CheckedRow, models: dict[str, int]) -> int | None:
    """The id of the model a row's ``model_code`` names (``models``: code to id), None for an
    empty cell; an unknown code is the row's error."""
    code = row.values.get("model_code")
    model_id = models.get(code) if code else None
    if code and model_id is None:
        row.error(spec.column("model_code"), _("no vehicle model has the code %(code)s.") % {"code": code})
    return model_id


# The values a lead row carries that are compared with, and written to, the lead.
LEAD_FIELDS = (
    "created_at", "source", "customer_city", "model_of_interest_id", "assigned_at", "first_contact_at", "outcome",
    "converted_sale_id",
)  # fmt: skip
# Optional columns: when the file lacks one, an existing lead keeps its value.
KEPT = {
    "model_code": "model_of_interest_id",
    "first_contact_at": "first_contact_at",
    "converted_vin": "converted_sale_id",
}


class LeadImport(ImportSpec):
    kind = ImportKind.LEADS
    example = {
        "crm_reference": "CRM-2025-000123", "created_at": "2025-06-01 10:15", "source": "官网", "customer_city": "成都",
        "model_code": "HQ-H5-2025", "assigned_at": "2025-06-01 10:20", "first_contact_at": "2025-06-01 10:40",
        "outcome": "已联系", "converted_vin": "",
    }  # fmt: skip
    natural_key = "crm_reference"
    audited_in_bulk = (Lead,)
    fields = (
        Field(
            "crm_reference",
            gettext_lazy("CRM reference"),
            read_crm_reference,
            ("leadid", "leadno", "crmid", "线索编号", "线索ID", "线索号", "线索单号"),
        ),
        Field(
            "created_at",
            gettext_lazy("created at"),
            cell_datetime,
            ("createtime", "创建时间", "线索创建时间", "留资时间", "创建日期"),
        ),
        SOURCE,
        CUSTOMER_CITY,
        MODEL_CODE,
        Field(
            "assigned_at",
            gettext_lazy("assigned at"),
            optional(cell_datetime),
            ("分配时间", "下发时间", "派发时间"),
            required=False,
        ),
        Field(
            "first_contact_at",
            gettext_lazy("first contact at"),
            optional(cell_datetime),
            ("首次联系时间", "首次跟进时间", "首联时间", "首次响应时间"),
            required=False,
        ),
        Field(
            "outcome",
            gettext_lazy("outcome"),
            choice_reader(OUTCOMES, OUTCOME_HINT),
            ("status", "leadstatus", "线索状态", "跟进状态", "跟进结果", "状态"),
        ),
        Field(
            "converted_vin",
            gettext_lazy("converted VIN"),
            optional(read_vin),
            ("成交车架号", "成交VIN", "成交车辆VIN", "车架号", "VIN"),
            required=False,
        ),
    )

    def resolve(self, rows: list[CheckedRow]) -> None:
        models = dict(VehicleModel.objects.values_list("code", "id"))
        leads = {
            lead["crm_reference"]: lead
            for lead in Lead.objects.filter(
                dealer=self.dealer, crm_reference__any=[row.values["crm_reference"] for row in rows]
            ).values("id", "crm_reference", *LEAD_FIELDS)
        }
        vins = [row.values["converted_vin"] for row in rows if row.values.get("converted_vin")]
        sales = {
            sale["vin"]: sale
            for sale in Sale.objects.filter(stock_unit__vin__any=vins).values(
                "id",
                "dealer_id",
                vin=F("stock_unit__vin"),
                lead_id=F("lead__id"),
                lead_reference=F("lead__crm_reference"),
            )
        }
        vins_in_file = Counter(vins)
        for row in rows:
            values = row.values
            existing = leads.get(values["crm_reference"])
            self.refuse_future(row, "created_at", "assigned_at")
            if existing is not None:
                for column, name in KEPT.items():
                    if column not in self.headers:
                        values[name] = existing[name]
            if "model_code" in values:
                values["model_of_interest_id"] = model_of_interest(self, row, models)
            values.setdefault("model_of_interest_id", None)
            values.setdefault("first_contact_at", None)
            values["assigned_at"] = (
                values.get("assigned_at") or (existing and existing["assigned_at"]) or values["created_at"]
            )
            if values["assigned_at"] < values["created_at"]:
                row.error(self.column("assigned_at"), _("a lead cannot be assigned before it was created."))
            # The same rules as a follow-up through the API (a first contact after the assignment,
            # once; a lost lead stays lost): the assignment follows the creation, checked above.
            refusals = lead_follow_up_refusals(
                assigned_at=values["assigned_at"],
                first_contact_at=values["first_contact_at"],
                outcome=values["outcome"],
                recorded_first_contact_at=existing and existing["first_contact_at"],
                recorded_outcome=existing and existing["outcome"],
            )
            for name, message in refusals.items():
                row.error(self.column(name), message)
            if "converted_vin" in values:
                self._sale(row, sales, existing, vins_in_file)
            values.setdefault("converted_sale_id", None)
            if values["outcome"] == LeadOutcome.WON and values["converted_sale_id"] is None:
                row.error(
                    self.column("converted_vin"),
                    _("a won lead names the sale it became: give the VIN of the unit sold."),
                )
            elif values["outcome"] != LeadOutcome.WON and values["converted_sale_id"] is not None:
                row.error(
                    self.column("converted_vin"),
                    _("only a won lead names a sale: leave this cell empty, or mark the lead won."),
                )
            self.decide(row, existing, LEAD_FIELDS)

    def _sale(
        self, row: CheckedRow, sales: dict[str, dict[str, Any]], existing: dict | None, vins_in_file: Counter
    ) -> None:
        vin = row.values["converted_vin"]
        row.values["converted_sale_id"] = None
        if not vin:
            return
        sale = sales.get(vin)
        column = self.column("converted_vin")
        if sale is None:
            row.error(column, _("no sale has this VIN: import the sale first."))
        elif sale["dealer_id"] != self.dealer.pk:
            row.error(column, _("this VIN was sold by another dealer."))
        elif vins_in_file[vin] > 1:
            row.error(column, _("more than one lead of the file names this VIN: a sale comes from one lead."))
        elif sale["lead_id"] is not None and (existing is None or existing["id"] != sale["lead_id"]):
            row.error(
                column,
                _("the sale of this VIN already came from lead %(reference)s.")
                % {"reference": sale["lead_reference"] or f"#{sale['lead_id']}"},
            )
        else:
            row.values["converted_sale_id"] = sale["id"]

    def write(self, rows: list[CheckedRow]) -> None:
        ids = bulk_upsert(
            Lead,
            [
                {
                    "dealer_id": self.dealer.pk,
                    "crm_reference": row.values["crm_reference"],
                    **{name: row.values[name] for name in LEAD_FIELDS},
                }
                for row in rows
            ],
            unique=["dealer_id", "crm_reference"],
            unique_where="crm_reference <> ''",  # the partial index: blank references may repeat
            update=LEAD_FIELDS,
        )
        self.record_history(Lead, rows, ids)
        own_leads_record(
            leads=[
                (pk, row.values["assigned_at"])
                for row, pk in zip(rows, ids, strict=True)
                if row.action == RowAction.CREATE
            ],
            dealer=self.dealer,
        )
