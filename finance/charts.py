"""Plotly figures for the finance reports. The report selectors give plain aggregates; these
functions turn them into figure dicts that templates embed as JSON and draw with the locally
served plotly.min.js."""

import json
from datetime import date

import plotly.graph_objects as go
from django.utils.translation import gettext as _

from finance.reports import LenderPayable, MonthlyNet, PenetrationRow, RiskRow
from inventory.charts import BRAND_RED, PALETTE

SECOND_COLOUR = "#1f5fa8"
THIRD_COLOUR = "#2e8b57"


def _layout(title: str, y_title: str, **extra) -> dict:
    return {
        "title": {"text": title, "x": 0, "font": {"size": 15}},
        "margin": {"l": 60, "r": 10, "t": 40, "b": 40},
        "height": 360,
        "yaxis": {"title": {"text": y_title}, "rangemode": "tozero"},
        "legend": {"orientation": "h", "y": -0.2},
        "plot_bgcolor": "#fff",
        "paper_bgcolor": "#fff",
        **extra,
    }


def _as_dict(figure: go.Figure) -> dict:
    # to_json handles dates and Decimals; json_script in the template escapes it for HTML.
    return json.loads(figure.to_json())


def _number(value) -> float | None:
    """A Decimal as a plotting coordinate (figures only: tables and exports keep Decimals)."""
    return None if value is None else float(value)


def monthly_net_figure(rows: list[MonthlyNet], months: list[date]) -> dict:
    """Stacked bars of net commission per booking month, one colour per lender."""
    by_lender: dict[str, dict[date, float]] = {}
    for row in rows:
        by_lender.setdefault(row.lender, {})[row.month] = _number(row.net)
    labels = [month.isoformat() for month in months]
    figure = go.Figure(
        layout=_layout(
            _("Net commission per month by lender"),
            _("Yuan"),
            barmode="relative",
            xaxis={"type": "date", "tickformat": "%Y-%m", "dtick": "M1" if len(months) <= 12 else "M3"},
            hovermode="x unified",
        )
    )
    for index, (lender, by_month) in enumerate(sorted(by_lender.items())):
        figure.add_bar(
            x=labels,
            y=[by_month.get(month, 0) for month in months],
            name=lender,
            marker_color=PALETTE[index % len(PALETTE)],
        )
    return _as_dict(figure)


def payables_figure(rows: list[LenderPayable]) -> dict:
    """Per lender: net commission owed, received, and still outstanding."""
    lenders = [row.lender for row in rows]
    figure = go.Figure(layout=_layout(_("Owed, received and outstanding by lender"), _("Yuan"), barmode="group"))
    for name, colour, values in (
        (_("Net commission"), BRAND_RED, [row.totals.net for row in rows]),
        (_("Received"), SECOND_COLOUR, [row.totals.received for row in rows]),
        (_("Outstanding"), THIRD_COLOUR, [row.totals.outstanding for row in rows]),
    ):
        figure.add_bar(x=lenders, y=[_number(value) for value in values], name=name, marker_color=colour)
    return _as_dict(figure)


def penetration_figure(rows: list[PenetrationRow]) -> dict:
    """Finance penetration (bars, %) and commission per loan (line, yuan) per group."""
    names = [row.name for row in rows]
    figure = go.Figure(
        layout=_layout(
            _("Finance penetration and commission per loan"),
            _("Penetration (%)"),
            yaxis2={"title": {"text": _("Yuan per loan")}, "overlaying": "y", "side": "right", "rangemode": "tozero"},
            margin={"l": 60, "r": 60, "t": 40, "b": 40},
        )
    )
    figure.add_bar(
        x=names,
        y=[_number(row.penetration * 100) if row.penetration is not None else None for row in rows],
        name=_("Penetration (%)"),
        marker_color=BRAND_RED,
    )
    figure.add_scatter(
        x=names,
        y=[_number(row.commission_per_loan) for row in rows],
        name=_("Commission per loan"),
        mode="lines+markers",
        yaxis="y2",
        line={"color": SECOND_COLOUR},
    )
    return _as_dict(figure)


def risk_rates_figure(rows: list[RiskRow], *, title: str) -> dict:
    """Default and early-payoff rates (%) per group."""
    labels = [row.label for row in rows]
    figure = go.Figure(layout=_layout(title, _("Share of loans (%)"), barmode="group"))
    for name, colour, values in (
        (_("Default rate"), BRAND_RED, [row.default_rate for row in rows]),
        (_("Early payoff rate"), SECOND_COLOUR, [row.early_payoff_rate for row in rows]),
    ):
        figure.add_bar(
            x=labels,
            y=[None if value is None else _number(value * 100) for value in values],
            name=name,
            marker_color=colour,
        )
    return _as_dict(figure)


def exposure_figure(rows: list[RiskRow], *, title: str) -> dict:
    """Principal outstanding of live loans per group."""
    figure = go.Figure(layout=_layout(title, _("Yuan")))
    figure.add_bar(
        x=[row.label for row in rows],
        y=[_number(row.exposure) for row in rows],
        name=_("Exposure"),
        marker_color=SECOND_COLOUR,
    )
    return _as_dict(figure)
