"""Leads of the network's own channels (the official website, the app, the 400 hotline, partner
platforms), exported by head office's lead platform and routed on import: a network file of
no dealer, imported by whoever may set the routing (``channels.RoutingSettings``). Each row is
checked by the routing's own rules (``channels.routing.services.lead_refusals``) and created
through ``leads_create``, so an imported lead is routed and given its contact deadline exactly
as one that came in through the API. A lead is known by the platform's reference: one already
imported is left as it is (it was routed then; its dealer follows it up from there).
"""

from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from channels.models import DealerKind, Lead, RoutingSettings
from channels.routing.selectors import city_centres
from channels.routing.services import NewLead, lead_refusals, leads_create
from datahub.kinds.base import CheckedRow, Field, ImportSpec, choice_reader, optional, read_yes_no
from datahub.kinds.customers import read_coordinate, read_phone
from datahub.kinds.leads import CUSTOMER_CITY, MODEL_CODE, SOURCE, model_of_interest
from datahub.models import ImportKind, RowAction
from dealerops.tabular import cell_datetime, cell_text
from inventory.models import VehicleModel

PREFERENCES = {
    "4s": DealerKind.FOUR_S, "4s店": DealerKind.FOUR_S, "4s store": DealerKind.FOUR_S, "专营店": DealerKind.FOUR_S,
    "showroom": DealerKind.SHOWROOM, "城市展厅": DealerKind.SHOWROOM, "展厅": DealerKind.SHOWROOM,
    "city showroom": DealerKind.SHOWROOM,
    "secondary": DealerKind.SECONDARY, "二级网点": DealerKind.SECONDARY, "二网": DealerKind.SECONDARY,
    "secondary dealer": DealerKind.SECONDARY,
    "无": "", "不限": "", "无偏好": "", "none": "", "any": "",
}  # fmt: skip
PREFERENCE_HINT = "4S店 / 城市展厅 / 二级网点 / 不限 (4S store / city showroom / secondary dealer / any)"

# The routing's rules name a lead's fields; the file names them by these columns.
COLUMNS = {
    "source": "source",
    "customer_city": "customer_city",
    "customer_latitude": "latitude",
    "customer_longitude": "longitude",
    "channel_preference": "channel_preference",
    "customer_phone": "customer_phone",
}


def read_reference(cell: Any) -> str:
    return cell_text(cell, max_length=64)


def read_name(cell: Any) -> str:
    return cell_text(cell, max_length=64, required=False)


class NetworkLeadImport(ImportSpec):
    kind = ImportKind.NETWORK_LEADS
    network_model = RoutingSettings
    example = {
        "reference": "WEB-2026-000123", "created_at": "2026-06-01 10:15", "source": "官网", "customer_city": "杭州",
        "latitude": "30.274084", "longitude": "120.155070", "model_code": "HQ-H5-2025", "channel_preference": "4S店",
        "customer_name": "王先生", "customer_phone": "13800138000", "online_order": "否",
    }  # fmt: skip
    natural_key = "reference"
    fields = (
        Field(
            "reference",
            gettext_lazy("lead reference"),
            read_reference,
            ("leadid", "leadno", "线索编号", "线索ID", "线索号", "平台线索号", "订单号"),
        ),
        Field(
            "created_at",
            gettext_lazy("created at"),
            cell_datetime,
            ("createtime", "创建时间", "线索创建时间", "留资时间", "下单时间"),
        ),
        SOURCE,
        CUSTOMER_CITY,
        Field(
            "latitude",
            gettext_lazy("latitude"),
            optional(read_coordinate(90)),
            ("lat", "纬度", "客户纬度"),
            required=False,
        ),
        Field(
            "longitude",
            gettext_lazy("longitude"),
            optional(read_coordinate(180)),
            ("lng", "lon", "经度", "客户经度"),
            required=False,
        ),
        MODEL_CODE,
        Field(
            "channel_preference",
            gettext_lazy("channel preference"),
            optional(choice_reader(PREFERENCES, PREFERENCE_HINT)),
            ("渠道偏好", "偏好渠道", "意向门店类型", "preference"),
            required=False,
        ),
        Field(
            "customer_name",
            gettext_lazy("customer name"),
            optional(read_name),
            ("name", "客户姓名", "姓名", "客户名称"),
            required=False,
        ),
        Field(
            "customer_phone",
            gettext_lazy("customer phone"),
            optional(read_phone),
            ("phone", "mobile", "手机", "手机号", "客户电话", "联系电话"),
            required=False,
        ),
        Field(
            "online_order",
            gettext_lazy("online order"),
            optional(read_yes_no),
            ("线上订单", "是否线上订单", "在线订单", "online"),
            required=False,
        ),
    )

    def resolve(self, rows: list[CheckedRow]) -> None:
        models = dict(VehicleModel.objects.values_list("code", "id"))
        known = dict(
            Lead.objects.filter(network_reference__in=[row.values["reference"] for row in rows]).values_list(
                "network_reference", "id"
            )
        )
        leads = {id(row): self._new_lead(row, models) for row in rows}
        centres = city_centres(
            lead.customer_city for lead in leads.values() if lead is not None and lead.customer_latitude is None
        )
        for row in rows:
            existing = known.get(row.values["reference"])
            if existing is not None:
                row.object_id = existing
                row.action = RowAction.UNCHANGED
                row.notes.append(_("this lead was imported and routed before: it is left as it is."))
                continue
            self.refuse_future(row, "created_at")
            lead = leads[id(row)]
            if lead is not None:
                for name, message in lead_refusals(lead, centres).items():
                    row.error(self.column(COLUMNS[name]), message)
            if row.action != RowAction.ERROR:
                row.values["lead"] = lead
                row.action = RowAction.CREATE

    def _new_lead(self, row: CheckedRow, models: dict[str, int]) -> NewLead | None:
        values = row.values
        model_id = model_of_interest(self, row, models)
        if values.get("model_code") and model_id is None:
            return None
        return NewLead(
            source=values["source"],
            customer_city=values["customer_city"].strip(),
            created_at=values["created_at"],
            customer_latitude=values.get("latitude"),
            customer_longitude=values.get("longitude"),
            model_of_interest_id=model_id,
            channel_preference=values.get("channel_preference") or "",
            online_order=bool(values.get("online_order")),
            customer_name=values.get("customer_name") or "",
            customer_phone=values.get("customer_phone") or "",
            network_reference=values["reference"],
        )

    def write(self, rows: list[CheckedRow]) -> None:
        # The routing service writes the leads, their assignments and their audit events.
        leads_create(leads=[row.values["lead"] for row in rows])
