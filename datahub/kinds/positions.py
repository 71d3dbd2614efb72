"""Positions of units in transit from a carrier's or logistics provider's export: a network file
of no dealer (head office's integration imports it), each row checked and written by the
tracking service (``inventory.tracking.services``), the same one the API and the MQTT
subscriber write through. A position already recorded (the same VIN and time) is left as it is."""

from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from datahub.kinds.base import CheckedRow, Field, ImportSpec, optional
from datahub.kinds.customers import read_coordinate
from datahub.kinds.stock import read_vin
from datahub.models import ImportKind, RowAction
from dealerops.tabular import cell_datetime, cell_text
from inventory.models import Position, PositionSource
from inventory.tracking.services import PositionIn, position_refusals, positions_record


def read_speed(cell: Any) -> Decimal:
    try:
        return Decimal(str(cell).strip().lower().removesuffix("km/h").strip()).quantize(Decimal("0.1"))
    except ArithmeticError:
        raise ValueError(_("“%(value)s” is not a speed in km/h.") % {"value": str(cell)[:20]}) from None


def read_note(cell: Any) -> str:
    return cell_text(cell, max_length=200, required=False)


class PositionImport(ImportSpec):
    kind = ImportKind.POSITIONS
    network_model = Position
    example = {
        "vin": "LFV3A23C8R3000123", "recorded_at": "2026-06-01 10:15", "latitude": "30.274084",
        "longitude": "120.155070", "speed_kmh": "72", "note": "G60 杭州段",
    }  # fmt: skip
    natural_key = "vin"  # with the time: see ``key``
    fields = (
        Field("vin", gettext_lazy("VIN"), read_vin, ("车架号", "VIN码", "车辆识别代号", "vin code")),
        Field(
            "recorded_at",
            gettext_lazy("recorded at"),
            cell_datetime,
            ("定位时间", "时间", "上报时间", "gps时间", "time", "timestamp"),
        ),
        Field("latitude", gettext_lazy("latitude"), read_coordinate(90), ("lat", "纬度")),
        Field("longitude", gettext_lazy("longitude"), read_coordinate(180), ("lng", "lon", "经度")),
        Field(
            "speed_kmh",
            gettext_lazy("speed (km/h)"),
            optional(read_speed),
            ("speed", "速度", "车速", "速度(km/h)"),
            required=False,
        ),
        Field(
            "note", gettext_lazy("note"), optional(read_note), ("备注", "说明", "位置描述", "remark"), required=False
        ),
    )

    def key(self, values: dict[str, Any]) -> str:
        return f"{values['vin']} {values['recorded_at'].isoformat()}"

    def resolve(self, rows: list[CheckedRow]) -> None:
        positions = [self._position(row) for row in rows]
        recorded = set(
            Position.objects.filter(stock_unit__vin__in={position.vin for position in positions}).values_list(
                "stock_unit__vin", "recorded_at"
            )
        )
        refusals = position_refusals(positions)
        for index, (row, position) in enumerate(zip(rows, positions, strict=True)):
            if (position.vin, position.recorded_at) in recorded:
                row.action = RowAction.UNCHANGED
                continue
            for name, message in refusals.get(index, {}).items():
                row.error(self.column(name), message)
            if row.action != RowAction.ERROR:
                row.action = RowAction.CREATE
                row.values["position"] = position

    @staticmethod
    def _position(row: CheckedRow) -> PositionIn:
        values = row.values
        return PositionIn(
            vin=values["vin"],
            recorded_at=values["recorded_at"],
            latitude=values["latitude"],
            longitude=values["longitude"],
            speed_kmh=values.get("speed_kmh"),
            note=values.get("note") or "",
        )

    def write(self, rows: list[CheckedRow]) -> None:
        positions_record(positions=[row.values["position"] for row in rows], source=PositionSource.IMPORT)
