"""Plotly figures for the finance reports. The report selectors give plain aggregates; these
functions turn them into figure dicts that templates embed as JSON and draw with the locally
served plotly.min.js.

Money is drawn in 元, 万元 or 亿元 by the size of the figure's amounts (``dealerops.formats.
money_unit``: plotly's own ticks would read 0.5B), named in the axis title and the hover text;
rates in percent; both with the pages' separators and decimals."""

import json
from datetime import date

import plotly.graph_objects as go
from django.utils.translation import gettext as _

from dealerops.formats import MONEY_AXIS, PERCENT_AXIS, in_unit, money_unit
from finance.reports import LenderPayable, MonthlyNet, PenetrationRow, RiskRow
from inventory.charts import BRAND_RED, PALETTE

SECOND_COLOUR = "#1f5fa8"
THIRD_COLOUR = "#2e8b57"


def _layout(title: str, y_title: str, y_axis: dict, **extra) -> dict:
    return {
        "title": {"text": title, "x": 0, "font": {"size": 15}},
        "margin": {"l": 70, "r": 10, "t": 40, "b": 40},
        "height": 360,
        "yaxis": {"title": {"text": y_title}, "rangemode": "tozero", **y_axis},
        # Below the rotated month labels, whatever their height on a phone.
        "legend": {"orientation": "h", "yref": "container", "y": 0, "yanchor": "bottom"},
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


def _money_hover(unit: str) -> str:
    return "%{y:,.2f} " + unit


PERCENT_HOVER = "%{y:,.2f} %"


def monthly_net_figure(rows: list[MonthlyNet], months: list[date]) -> dict:
    """Stacked bars of net commission per booking month, one colour per lender."""
    divisor, unit = money_unit(row.net for row in rows)
    by_lender: dict[str, dict[date, float | None]] = {}
    for row in rows:
        by_lender.setdefault(row.lender, {})[row.month] = in_unit(row.net, divisor)
    labels = [month.isoformat() for month in months]
    figure = go.Figure(
        layout=_layout(
            _("Net commission per month by lender"),
            unit,
            MONEY_AXIS,
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
            hovertemplate=_money_hover(unit),
        )
    return _as_dict(figure)


def payables_figure(rows: list[LenderPayable]) -> dict:
    """Per lender: net commission owed, received, and still outstanding."""
    lenders = [row.lender for row in rows]
    series = (
        (_("Net commission"), BRAND_RED, [row.totals.net for row in rows]),
        (_("Received"), SECOND_COLOUR, [row.totals.received for row in rows]),
        (_("Outstanding"), THIRD_COLOUR, [row.totals.outstanding for row in rows]),
    )
    divisor, unit = money_unit(value for _name, _colour, values in series for value in values)
    figure = go.Figure(layout=_layout(_("Owed, received and outstanding by lender"), unit, MONEY_AXIS, barmode="group"))
    for name, colour, values in series:
        figure.add_bar(
            x=lenders,
            y=[in_unit(value, divisor) for value in values],
            name=name,
            marker_color=colour,
            hovertemplate=_money_hover(unit),
        )
    return _as_dict(figure)


def penetration_figure(rows: list[PenetrationRow]) -> dict:
    """Finance penetration (bars, %) and commission per loan (line, yuan) per group."""
    names = [row.name for row in rows]
    divisor, unit = money_unit(row.commission_per_loan for row in rows)
    figure = go.Figure(
        layout=_layout(
            _("Finance penetration and commission per loan"),
            _("Penetration (%)"),
            PERCENT_AXIS,
            yaxis2={
                "title": {"text": _("%(unit)s per loan") % {"unit": unit}},
                "overlaying": "y",
                "side": "right",
                "rangemode": "tozero",
                **MONEY_AXIS,
            },
            margin={"l": 70, "r": 70, "t": 40, "b": 40},
        )
    )
    figure.add_bar(
        x=names,
        y=[_number(row.penetration * 100) if row.penetration is not None else None for row in rows],
        name=_("Penetration (%)"),
        marker_color=BRAND_RED,
        hovertemplate=PERCENT_HOVER,
    )
    figure.add_scatter(
        x=names,
        y=[in_unit(row.commission_per_loan, divisor) for row in rows],
        name=_("Commission per loan"),
        mode="lines+markers",
        yaxis="y2",
        line={"color": SECOND_COLOUR},
        hovertemplate=_money_hover(unit),
    )
    return _as_dict(figure)


def risk_rates_figure(rows: list[RiskRow], *, title: str) -> dict:
    """Default and early-payoff rates (%) per group."""
    labels = [row.label for row in rows]
    figure = go.Figure(layout=_layout(title, _("Share of loans (%)"), PERCENT_AXIS, barmode="group"))
    for name, colour, values in (
        (_("Default rate"), BRAND_RED, [row.default_rate for row in rows]),
        (_("Early payoff rate"), SECOND_COLOUR, [row.early_payoff_rate for row in rows]),
    ):
        figure.add_bar(
            x=labels,
            y=[None if value is None else _number(value * 100) for value in values],
            name=name,
            marker_color=colour,
            hovertemplate=PERCENT_HOVER,
        )
    return _as_dict(figure)


def exposure_figure(rows: list[RiskRow], *, title: str) -> dict:
    """Principal outstanding of live loans per group."""
    divisor, unit = money_unit(row.exposure for row in rows)
    figure = go.Figure(layout=_layout(title, unit, MONEY_AXIS))
    figure.add_bar(
        x=[row.label for row in rows],
        y=[in_unit(row.exposure, divisor) for row in rows],
        name=_("Exposure"),
        marker_color=SECOND_COLOUR,
        hovertemplate=_money_hover(unit),
    )
    return _as_dict(figure)
