"""The dealer graph on the map: outlets at their coordinates, ties as lines, outlets coloured
by cluster (the graph page) or by the risk of a D rating next month (the model page), as a
plain plotly figure dict drawn offline like the health map."""

from collections.abc import Sequence
from typing import Any

from django.utils.translation import gettext as _

from channels.graph.models import TieKind
from channels.health.charts import UNSCORED_COLOUR, china_map_layout, map_config
from dealerops.formats import format_count, format_percent

# Ten distinguishable colours, cycled by cluster number (a national graph has hundreds).
CLUSTER_COLOURS = [
    "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
    "#8c564b", "#e377c2", "#17becf", "#bcbd22", "#393b79",
]  # fmt: skip
TIE_COLOURS = {TieKind.PARENT: "rgba(10, 88, 202, 0.6)", TieKind.OVERLAP: "rgba(179, 18, 26, 0.5)"}
# Risk from green (low) through amber to red, on the probability's 0–1 scale.
RISK_COLOURS = [[0.0, "#1b7f3b"], [0.15, "#8fbf4d"], [0.3, "#f0b429"], [0.6, "#b3121a"], [1.0, "#6b0a0f"]]


def _hover(row: dict[str, Any]) -> str:
    cluster = _("Cluster #%(number)s") % {"number": row["cluster_number"]} if row["cluster_number"] else _("No cluster")
    ties = _("%(count)s tied outlets") % {"count": format_count(row["ties"])}
    risk = _("Risk of D next month: %(risk)s") % {"risk": format_percent(row["risk"], 1)}
    return f"{row['name']} · {row['city']}<br>{cluster} · {ties}<br>{risk}"


def graph_map_figure(
    *, outlets: Sequence[dict[str, Any]], ties: Sequence[dict[str, Any]], colour_by: str = "cluster"
) -> dict:
    """``outlets``: name, city, latitude, longitude, ties, cluster_number, risk, rating;
    ``ties``: kind and the two ends' coordinates. ``colour_by``: "cluster" or "risk"."""
    traces: list[dict[str, Any]] = []
    for kind, label in TieKind.choices:
        lon: list[float | None] = []
        lat: list[float | None] = []
        for tie in ties:
            if tie["kind"] == kind:
                lon += [float(tie["first_longitude"]), float(tie["second_longitude"]), None]
                lat += [float(tie["first_latitude"]), float(tie["second_latitude"]), None]
        if lon:
            traces.append(
                {
                    "type": "scattergeo",
                    "mode": "lines",
                    "name": str(label),
                    "lon": lon,
                    "lat": lat,
                    "hoverinfo": "skip",
                    "line": {"width": 1.5, "color": TIE_COLOURS[kind]},
                }
            )
    if colour_by == "risk":
        traces += _risk_traces(outlets)
    else:
        traces += _cluster_traces(outlets)
    return {"data": traces, "layout": china_map_layout(height=520), "config": map_config()}


def _points(rows: Sequence[dict[str, Any]], name: str, marker: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "scattergeo",
        "mode": "markers",
        "name": name,
        "lon": [float(row["longitude"]) for row in rows],
        "lat": [float(row["latitude"]) for row in rows],
        "text": [_hover(row) for row in rows],
        "hovertemplate": "%{text}<extra></extra>",
        "marker": marker,
    }


def _cluster_traces(outlets: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    clustered = [row for row in outlets if row["cluster_number"]]
    alone = [row for row in outlets if not row["cluster_number"]]
    traces = []
    if clustered:
        colours = [CLUSTER_COLOURS[(row["cluster_number"] - 1) % len(CLUSTER_COLOURS)] for row in clustered]
        marker = {"size": 8, "color": colours, "line": {"width": 0.5, "color": "#333"}}
        traces.append(_points(clustered, _("Outlets in a cluster (a colour each)"), marker))
    if alone:
        traces.append(_points(alone, _("Outlets with no tie"), {"size": 5, "color": UNSCORED_COLOUR}))
    return traces


def _risk_traces(outlets: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    scored = sorted((row for row in outlets if row["risk"] is not None), key=lambda row: row["risk"])
    unscored = [row for row in outlets if row["risk"] is None]
    traces = []
    if scored:
        marker = {
            "size": [6 + 14 * float(row["risk"]) for row in scored],
            "color": [float(row["risk"]) for row in scored],
            "cmin": 0,
            "cmax": 1,
            "colorscale": RISK_COLOURS,
            "colorbar": {"title": {"text": _("Risk")}, "tickformat": ".0%", "thickness": 12},
            "line": {"width": 0.5, "color": "#333"},
        }
        traces.append(_points(scored, _("Outlets by risk of D next month"), marker))
    if unscored:
        traces.append(_points(unscored, _("Outlets without a risk"), {"size": 5, "color": UNSCORED_COLOUR}))
    return traces
