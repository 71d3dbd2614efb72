"""The in-transit map: each unit at its latest position, coloured by how its journey goes,
drawn offline on the health dashboard's map of China (``channels.health.charts``)."""

from collections.abc import Iterable

from django.utils import timezone
from django.utils.translation import gettext as _

from channels.health.charts import china_map_layout, map_config
from dealerops.formats import MISSING
from inventory.models import StockUnit
from inventory.tracking.selectors import latest_of

STATES = (  # (key, colour): drawn in this order, so the exceptions lie on top
    ("on_time", "#1f6fb2"),
    ("silent", "#9aa3ad"),
    ("late", "#b3121a"),
)


def _state(unit: StockUnit) -> str:
    return "late" if unit.late else "silent" if unit.silent else "on_time"


def in_transit_map_figure(units: Iterable[StockUnit]) -> dict:
    """``units`` from ``selectors.in_transit_units`` (those without a position are left out)."""
    labels = {"on_time": _("On the way"), "silent": _("Tracker silent"), "late": _("Past its ETA")}
    placed = [(unit, latest) for unit in units if (latest := latest_of(unit)) is not None]
    traces = []
    for state, colour in STATES:
        points = [(unit, latest) for unit, latest in placed if _state(unit) == state]
        if not points:
            continue
        traces.append(
            {
                "type": "scattergeo",
                "mode": "markers",
                "lon": [float(latest.longitude) for unit, latest in points],
                "lat": [float(latest.latitude) for unit, latest in points],
                "text": [f"{unit.vin} → {unit.dealer.name}" for unit, latest in points],
                "customdata": [
                    [
                        unit.eta.isoformat() if unit.eta else MISSING,
                        timezone.localtime(latest.recorded_at).strftime("%Y-%m-%d %H:%M"),
                    ]
                    for unit, latest in points
                ],
                "hovertemplate": "%{text}<br>"
                + _("ETA")
                + ": %{customdata[0]}<br>"
                + _("Last position")
                + ": %{customdata[1]}<extra></extra>",
                "name": labels[state],
                "marker": {"size": 8, "color": colour, "line": {"width": 0.5, "color": "#333"}},
            }
        )
    return {"data": traces, "layout": china_map_layout(height=420), "config": map_config()}
