"""Plotly figures for stock and sales. Selectors give plain aggregates; templates embed the
figure as JSON and draw it with the locally served plotly.min.js."""

import json
from datetime import date

import plotly.graph_objects as go
from django.utils.translation import gettext as _

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
