"""The planning map: city capacity, outlets coloured by rating, overlap links, white spots and
proposed sites, as a plain plotly figure dict drawn offline like the health map."""

from collections.abc import Sequence
from typing import Any

from django.utils.translation import gettext as _

from channels.health.charts import UNSCORED_COLOUR, china_map_layout, map_config
from channels.models import Rating
from dealerops.formats import format_count

RATING_COLOURS = {Rating.A: "#1b7f3b", Rating.B: "#4caf50", Rating.C: "#f0b429", Rating.D: "#b3121a"}
CITY_COLOUR = "rgba(52, 101, 164, 0.25)"
SPOT_COLOUR = "#7b3fa0"
SITE_COLOUR = "#0a58ca"
LINK_COLOUR = "rgba(179, 18, 26, 0.55)"
MAX_CITY_PX = 40


def _float(value: Any) -> float:
    return float(value)


def planning_map_figure(
    *,
    cities: Sequence[dict[str, Any]],
    outlets: Sequence[dict[str, Any]],
    links: Sequence[dict[str, Any]],
    spots: Sequence[dict[str, Any]],
    sites: Sequence[dict[str, Any]],
) -> dict:
    """``cities``: city, latitude, longitude, capacity_units; ``outlets``: name, city,
    latitude, longitude, rating, demand_units; ``links``: the two ends' coordinates and
    shared_units; ``spots`` and ``sites``: near_city, latitude, longitude, units."""
    traces: list[dict[str, Any]] = []
    largest = max((row["capacity_units"] for row in cities), default=0) or 1
    if cities:
        traces.append(
            {
                "type": "scattergeo",
                "mode": "markers",
                "name": _("Market capacity"),
                "lon": [_float(row["longitude"]) for row in cities],
                "lat": [_float(row["latitude"]) for row in cities],
                "text": [f"{row['city']} · {format_count(row['capacity_units'])}" for row in cities],
                "hovertemplate": "%{text}<extra></extra>",
                "marker": {
                    "size": [row["capacity_units"] for row in cities],
                    "sizemode": "area",
                    "sizeref": 2.0 * largest / MAX_CITY_PX**2,
                    "sizemin": 3,
                    "color": CITY_COLOUR,
                    "line": {"width": 0},
                },
            }
        )
    if links:
        lon: list[float | None] = []
        lat: list[float | None] = []
        for link in links:
            lon += [_float(link["first_longitude"]), _float(link["second_longitude"]), None]
            lat += [_float(link["first_latitude"]), _float(link["second_latitude"]), None]
        traces.append(
            {
                "type": "scattergeo",
                "mode": "lines",
                "name": _("Overlapping pairs"),
                "lon": lon,
                "lat": lat,
                "hoverinfo": "skip",
                "line": {"width": 1.5, "color": LINK_COLOUR},
            }
        )
    expected = _("Trade-area demand a year")
    for rating in [*Rating.values, ""]:
        points = [row for row in outlets if (row["rating"] or "") == rating]
        if not points:
            continue
        traces.append(
            {
                "type": "scattergeo",
                "mode": "markers",
                "name": _("Rated %(rating)s") % {"rating": rating} if rating else _("Not rated"),
                "lon": [_float(row["longitude"]) for row in points],
                "lat": [_float(row["latitude"]) for row in points],
                "text": [
                    f"{row['name']} · {row['city']}<br>{expected}: {format_count(row['demand_units'])}"
                    for row in points
                ],
                "hovertemplate": "%{text}<extra></extra>",
                "marker": {
                    "size": 6,
                    "color": RATING_COLOURS.get(rating, UNSCORED_COLOUR),
                    "line": {"width": 0.5, "color": "#333"},
                },
            }
        )
    units = _("Units a year")
    for rows, name, colour, symbol in (
        (spots, _("White spots"), SPOT_COLOUR, "diamond"),
        (sites, _("Proposed sites"), SITE_COLOUR, "star"),
    ):
        if rows:
            traces.append(
                {
                    "type": "scattergeo",
                    "mode": "markers",
                    "name": name,
                    "lon": [_float(row["longitude"]) for row in rows],
                    "lat": [_float(row["latitude"]) for row in rows],
                    "text": [f"{name} · {row['near_city']}<br>{units}: {format_count(row['units'])}" for row in rows],
                    "hovertemplate": "%{text}<extra></extra>",
                    "marker": {"size": 11, "symbol": symbol, "color": colour, "line": {"width": 1, "color": "#fff"}},
                }
            )
    return {"data": traces, "layout": china_map_layout(height=520), "config": map_config()}
