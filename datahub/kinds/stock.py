"""Stock arrivals, upserted by VIN: a unit on order or in transit is marked in stock, an
unknown VIN is registered in stock, a unit already in stock may have its arrival corrected."""

from typing import Any

from django.db.models.functions import Now
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from datahub.kinds.base import CheckedRow, Field, ImportSpec, optional
from datahub.models import ImportKind, RowAction
from dealerops.bulk import bulk_upsert
from dealerops.tabular import cell_date, cell_text
from inventory.models import COLOUR_MAX_LENGTH, StockStatus, StockUnit, VehicleModel


def read_vin(cell: Any) -> str:
    vin = cell_text(cell, max_length=32).replace(" ", "").upper()
    if len(vin) != 17 or not vin.isalnum() or set(vin) & set("IOQ"):
        raise ValueError(_("“%(value)s” is not a VIN (17 letters and digits, no I, O or Q).") % {"value": vin[:32]})
    return vin


def read_model_code(cell: Any) -> str:
    return cell_text(cell, max_length=32).upper()


def read_colour(cell: Any) -> str:
    """The colour as the file names it; empty when the cell is (the unit keeps its own)."""
    return cell_text(cell, max_length=COLOUR_MAX_LENGTH, required=False)


VIN = Field("vin", gettext_lazy("VIN"), read_vin, ("车架号", "车辆识别代号", "车辆识别码", "vin码", "vinno", "底盘号"))

ARRIVABLE = (StockStatus.ORDERED, StockStatus.IN_TRANSIT)


class StockArrivalImport(ImportSpec):
    kind = ImportKind.STOCK_ARRIVALS
    example = {
        "vin": "LFV2A21K8N3000001", "model_code": "HQ-H5-2025", "colour": "珍珠白", "arrived_on": "2025-06-01",
        "ordered_on": "2025-05-10",
    }  # fmt: skip
    natural_key = "vin"
    audited_in_bulk = (StockUnit,)
    fields = (
        VIN,
        Field("model_code", gettext_lazy("model code"), read_model_code, ("model", "车型代码", "车型编码", "车型")),
        Field(
            "colour",
            gettext_lazy("exterior colour"),
            read_colour,
            ("颜色", "外观颜色", "车身颜色", "color", "exterior color"),
            required=False,
        ),
        Field("arrived_on", gettext_lazy("arrived on"), cell_date, ("arrivaldate", "到店日期", "入库日期", "到货日期")),
        Field(
            "ordered_on",
            gettext_lazy("ordered on"),
            optional(cell_date),
            ("orderdate", "订车日期", "订单日期", "下单日期"),
            required=False,
        ),
    )

    def resolve(self, rows: list[CheckedRow]) -> None:
        models = dict(VehicleModel.objects.values_list("code", "id"))
        units = {
            unit["vin"]: unit
            for unit in StockUnit.objects.filter(vin__any=[row.values["vin"] for row in rows]).values(
                "id", "vin", "dealer_id", "model_id", "status", "arrived_on", "ordered_on", "colour"
            )
        }
        for row in rows:
            values = row.values
            self.refuse_future(row, "arrived_on", "ordered_on")
            values["model_id"] = models.get(values["model_code"])
            if values["model_id"] is None:
                row.error(
                    self.column("model_code"),
                    _("no vehicle model has the code %(code)s.") % {"code": values["model_code"]},
                )
            unit = units.get(values["vin"])
            # No colour (no column, or an empty cell) keeps the one recorded: files from
            # systems that do not export it must not wipe it.
            values["colour"] = values.get("colour") or (unit["colour"] if unit is not None else "")
            if unit is not None:
                values["ordered_on"] = values.get("ordered_on") or unit["ordered_on"]
                if unit["dealer_id"] != self.dealer.pk:
                    row.error(self.column("vin"), _("this VIN belongs to another dealer's stock."))
                elif values["model_id"] is not None and unit["model_id"] != values["model_id"]:
                    row.error(self.column("model_code"), _("this VIN was ordered as another model."))
            values["ordered_on"] = values.get("ordered_on") or values["arrived_on"]
            if values["ordered_on"] > values["arrived_on"]:
                row.error(self.column("ordered_on"), _("a unit cannot arrive before it was ordered."))
            if unit is not None and unit["status"] in ARRIVABLE:
                unit = {**unit, "arrived_on": None}  # arriving now: an update even with the same dates
            self.decide(row, unit, ["arrived_on", "ordered_on", "colour"])
            if row.action == RowAction.UPDATE and unit["status"] not in (*ARRIVABLE, StockStatus.IN_STOCK):
                row.error(
                    self.column("arrived_on"),
                    _("the unit has left stock (%(status)s): its arrival cannot change.")
                    % {"status": StockStatus(unit["status"]).label},
                )

    def write(self, rows: list[CheckedRow]) -> None:
        # Created units and units arriving from order or transit are in stock; a unit already in
        # stock only has its dates corrected (its status is the same).
        ids = bulk_upsert(
            StockUnit,
            [
                {
                    "vin": row.values["vin"],
                    "model_id": row.values["model_id"],
                    "dealer_id": self.dealer.pk,
                    "status": StockStatus.IN_STOCK.value,
                    "ordered_on": row.values["ordered_on"],
                    "arrived_on": row.values["arrived_on"],
                    "colour": row.values["colour"],
                }
                for row in rows
            ],
            unique=["vin"],
            update=["status", "arrived_on", "ordered_on", "colour"],
        )
        self.record_history(StockUnit, rows, ids)


def units_by_vin(vins: list[str]) -> dict[str, dict[str, Any]]:
    return {
        unit["vin"]: unit
        for unit in StockUnit.objects.filter(vin__any=vins).values("id", "vin", "dealer_id", "status", "arrived_on")
    }


def mark_sold(unit_ids: list[int]) -> list[int]:
    """Mark units sold; returns the ids of those that were not yet."""
    unsold = list(
        StockUnit.objects.filter(pk__any=unit_ids).exclude(status=StockStatus.SOLD).values_list("pk", flat=True)
    )
    StockUnit.objects.filter(pk__any=unsold).update(status=StockStatus.SOLD, updated_at=Now())
    return unsold
