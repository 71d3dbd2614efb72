"""Plotly figures for stock and sales. Selectors give plain aggregates; templates embed the
figure as JSON and draw it with the locally served plotly.min.js."""

import json
from datetime import date

import plotly.graph_objects as go
from django.utils.translation import gettext as _

from channels.health.charts import china_map_layout, map_config
from dealerops.formats import COUNT_AXIS
from inventory.selectors import MonthlySales

BRAND_RED = "#b3121a"
PALETTE = ["#b3121a", "#1f5fa8", "#2e8b57", "#d98e04", "#6a4c93", "#0f8b8d", "#8c564b", "#5d6b7a"]


def _layout(title: str, y_title: str) -> dict:
    return {
        "title": {"text": title, "x": 0, "font": {"size": 15}},
        "margin": {"l": 50, "r": 10, "t": 40, "b": 40},
        "height": 360,
        "xaxis": {"type": "date", "tickformat": "%Y-%m", "dtick": "M3"},
        # Whole units with separators (plotly's default ticks abbreviate: 1.2k).
        "yaxis": {"title": {"text": y_title}, "rangemode": "tozero", **COUNT_AXIS},
        "legend": {"orientation": "h", "y": -0.15},
        "plot_bgcolor": "#fff",
        "paper_bgcolor": "#fff",
        "hovermode": "x unified",
    }


def _as_dict(figure: go.Figure) -> dict:
    # to_json handles dates and numpy; json_script in the template escapes it for HTML.
    return json.loads(figure.to_json())


def monthly_sales_figure(rows: list[MonthlySales], *, title: str, monthly_target: int | None = None) -> dict:
    """Bars of units sold per month, with financed units and, for a dealer, its target line."""
    months = [row.month.isoformat() for row in rows]
    figure = go.Figure(layout=_layout(title, _("Units sold")))
    figure.add_bar(x=months, y=[row.units for row in rows], name=_("Units sold"), marker_color=BRAND_RED)
    figure.add_scatter(
        x=months,
        y=[row.financed_units for row in rows],
        name=_("Loan or lease"),
        mode="lines+markers",
        line={"color": "#1f5fa8"},
    )
    if monthly_target:
        figure.add_scatter(
            x=months,
            y=[monthly_target] * len(months),
            name=_("Monthly target"),
            mode="lines",
            line={"color": "#5d6b7a", "dash": "dash"},
        )
    return _as_dict(figure)


def stacked_monthly_figure(series: dict[str, dict[date, int]], months: list[date], *, title: str) -> dict:
    """Stacked bars of units per month, one colour per group (e.g. region)."""
    figure = go.Figure(layout={**_layout(title, _("Units sold")), "barmode": "stack"})
    labels = [month.isoformat() for month in months]
    for index, (name, by_month) in enumerate(series.items()):
        figure.add_bar(
            x=labels,
            y=[by_month.get(month, 0) for month in months],
            name=name,
            marker_color=PALETTE[index % len(PALETTE)],
        )
    return _as_dict(figure)


# Days supply on a fixed scale: green up to 45 days, amber to 90, red beyond (a market's
# healthy range is one to two months of sales).
DEPTH_COLOURS = [[0.0, "#1b7f3b"], [0.25, "#4caf50"], [0.5, "#f0b429"], [1.0, "#b3121a"]]
DEPTH_MAX_DAYS = 180
NO_SALES_COLOUR = "#9aa3ad"
MAP_MARGIN_DEGREES = 3.0


def stock_depth_map_figure(rows: list[dict]) -> dict:
    """Dealers on the offline map of China (the health dashboard's helpers), coloured by days
    supply, sized by units in stock. ``rows`` hold ``name``, ``city``, ``latitude``,
    ``longitude``, ``in_stock``, ``days_supply`` (None without sales) and ``coefficient``."""
    largest = max((row["in_stock"] for row in rows), default=0) or 1
    hover = (
        "%{{text}}<br>{stock}: %{{customdata[0]}}<br>{supply}: %{{customdata[1]}}<br>{coefficient}: %{{customdata[2]}}"
    )
    traces = []
    for with_sales in (True, False):
        points = [row for row in rows if (row["days_supply"] is not None) is with_sales]
        if not points:
            continue
        marker: dict = {
            "size": [max(row["in_stock"], 1) for row in points],
            "sizemode": "area",
            "sizeref": 2.0 * largest / 28**2,
            "sizemin": 5,
            "line": {"width": 0.5, "color": "#333"},
            "opacity": 0.85,
        }
        if with_sales:
            marker.update(
                color=[min(float(row["days_supply"]), DEPTH_MAX_DAYS) for row in points],
                colorscale=DEPTH_COLOURS,
                cmin=0,
                cmax=DEPTH_MAX_DAYS,
                colorbar={"title": {"text": _("Days supply")}, "thickness": 12},
            )
        else:
            marker["color"] = NO_SALES_COLOUR
        traces.append(
            {
                "type": "scattergeo",
                "mode": "markers",
                "lon": [float(row["longitude"]) for row in points],
                "lat": [float(row["latitude"]) for row in points],
                "text": [f"{row['name']} · {row['city']}" for row in points],
                "customdata": [
                    [row["in_stock"], row["days_supply"] if with_sales else "–", row["coefficient"] or "–"]
                    for row in points
                ],
                "hovertemplate": hover.format(
                    stock=_("In stock"), supply=_("Days supply"), coefficient=_("Inventory coefficient")
                )
                + "<extra></extra>",
                "name": _("With sales") if with_sales else _("No sales in 45 days"),
                "marker": marker,
                "showlegend": not with_sales,
            }
        )
    layout = china_map_layout(height=420)
    if rows:  # a region's dealers: frame them (a few degrees around), not the whole country
        longitudes = [float(row["longitude"]) for row in rows]
        latitudes = [float(row["latitude"]) for row in rows]
        layout["geo"]["lonaxis"] = {
            "range": [min(longitudes) - MAP_MARGIN_DEGREES, max(longitudes) + MAP_MARGIN_DEGREES]
        }
        layout["geo"]["lataxis"] = {"range": [min(latitudes) - MAP_MARGIN_DEGREES, max(latitudes) + MAP_MARGIN_DEGREES]}
    return {"data": traces, "layout": layout, "config": map_config()}
