"""The forecast page's chart: weekly units sold, the forecast and (for one series) its 80 %
interval, drawn with the locally served plotly.min.js like the other charts."""

import plotly.graph_objects as go
from django.utils.translation import gettext as _

from inventory.charts import BRAND_RED, _as_dict, _layout
from inventory.forecasting.methods import LEVEL
from inventory.forecasting.selectors import WeekPoint

FORECAST_BLUE = "#1f5fa8"


def forecast_figure(history: list[WeekPoint], ahead: list[WeekPoint], *, title: str) -> dict:
    layout = _layout(title, _("Units a week"))
    # Fractional forecasts: one decimal on the hover, whole units on the axis.
    layout["yaxis"] = {**layout["yaxis"], "hoverformat": ",.1f"}
    layout["xaxis"] = {**layout["xaxis"], "dtick": "M2"}
    figure = go.Figure(layout=layout)
    figure.add_bar(
        x=[point.week.isoformat() for point in history],
        y=[point.units for point in history],
        name=_("Units sold"),
        marker_color=BRAND_RED,
    )
    weeks = [point.week.isoformat() for point in ahead]
    if any(point.lo is not None for point in ahead):
        figure.add_scatter(
            x=weeks + weeks[::-1],
            y=[point.hi for point in ahead] + [point.lo for point in ahead][::-1],
            fill="toself",
            fillcolor="rgba(31, 95, 168, 0.18)",
            line={"width": 0},
            name=_("%(level)s%% interval") % {"level": LEVEL},
            hoverinfo="skip",
        )
    figure.add_scatter(
        x=weeks,
        y=[point.units for point in ahead],
        name=_("Forecast"),
        mode="lines+markers",
        line={"color": FORECAST_BLUE},
    )
    return _as_dict(figure)
