"""Reads of the weekly forecast for the forecast page and the API, all through the access
scope: a dealer user's figures are its own series', a regional manager's their regions'."""

from dataclasses import dataclass
from datetime import date, timedelta

from django.db.models import Count, QuerySet, Sum
from django.db.models.functions import TruncWeek

from dealerops.access import scope
from dealerops.models import JobRun, JobStatus, User
from inventory.forecasting import methods
from inventory.forecasting.models import Forecast, ForecastRun, ForecastSeries, ForecastStatus, SeriesClassChoice
from inventory.forecasting.services import FORECAST_JOB
from inventory.models import Sale, SalesDay

HISTORY_SHOWN_WEEKS = 52
TOP_SERIES = 50  # rows of the series table (the largest by units sold)


@dataclass(frozen=True)
class Slice:
    """What the page is about: a dealer, a region, a model, or any two of them (None: all in scope)."""

    dealer_id: int | None = None
    region_id: int | None = None
    model_id: int | None = None

    def lookups(self, prefix: str = "") -> dict[str, int]:
        found = {
            f"{prefix}dealer_id": self.dealer_id,
            f"{prefix}dealer__region_id": self.region_id,
        }
        return {key: value for key, value in found.items() if value is not None}

    @property
    def single_series(self) -> bool:
        return self.dealer_id is not None and self.model_id is not None


def latest_run() -> ForecastRun | None:
    """The newest run that finished (a run in progress shows the previous week's until it is done)."""
    return ForecastRun.objects.filter(status=ForecastStatus.SUCCEEDED).order_by("-week").first()


def forecast_running() -> bool:
    return (
        JobRun.objects.filter(job=FORECAST_JOB, status=JobStatus.RUNNING).exists()
        or ForecastRun.objects.filter(status=ForecastStatus.RUNNING).exists()
    )


def series_in_view(user: User, run: ForecastRun, part: Slice) -> QuerySet[ForecastSeries]:
    found = scope(user, ForecastSeries.objects.filter(run=run, **part.lookups()))
    return found.filter(model_id=part.model_id) if part.model_id is not None else found


def forecasts_in_view(user: User, run: ForecastRun, part: Slice) -> QuerySet[Forecast]:
    found = scope(user, Forecast.objects.filter(run=run, **part.lookups()))
    return found.filter(model_id=part.model_id) if part.model_id is not None else found


@dataclass(frozen=True)
class WeekPoint:
    week: date
    units: float
    lo: float | None = None
    hi: float | None = None


def forecast_weeks(user: User, run: ForecastRun, part: Slice) -> list[WeekPoint]:
    """Units forecast per target week, summed over the series in view; the interval only for one
    series (bounds of many series do not add up to the bounds of their sum)."""
    rows = (
        forecasts_in_view(user, run, part)
        .values("target_week")
        .annotate(units=Sum("units"), lo=Sum("lo"), hi=Sum("hi"), n=Count("pk"))
        .order_by("target_week")
    )
    return [
        WeekPoint(
            row["target_week"],
            row["units"],
            row["lo"] if part.single_series else None,
            row["hi"] if part.single_series else None,
        )
        for row in rows
    ]


def history_weeks(user: User, run: ForecastRun, part: Slice) -> list[WeekPoint]:
    """Units sold per week over the last 52 complete weeks before the run's week: from the daily
    summary for a dealer, region or the whole scope; from the sales for one model."""
    since = run.week - timedelta(weeks=HISTORY_SHOWN_WEEKS)
    if part.model_id is None:
        rows = (
            scope(user, SalesDay.objects.filter(day__gte=since, day__lt=run.week, **part.lookups()))
            .annotate(week=TruncWeek("day"))
            .values("week")
            .annotate(units=Sum("units"))
        )
    else:
        rows = (
            scope(
                user,
                Sale.objects.filter(
                    sold_on__gte=since, sold_on__lt=run.week, stock_unit__model_id=part.model_id, **part.lookups()
                ),
            )
            .annotate(week=TruncWeek("sold_on"))
            .values("week")
            .annotate(units=Count("pk"))
        )
    found = {row["week"]: row["units"] for row in rows.order_by()}
    weeks = [since + timedelta(weeks=k) for k in range(HISTORY_SHOWN_WEEKS)]
    return [WeekPoint(week, float(found.get(week, 0))) for week in weeks]


@dataclass(frozen=True)
class BacktestLine:
    series_class: str  # "" for all classes
    label: str
    accuracy: methods.Accuracy


def backtest_lines(series: QuerySet[ForecastSeries]) -> list[BacktestLine]:
    """The back-test per series class and over all, from the stored sums of the series in view."""
    sums = {name: Sum(name) for name in methods.BACKTEST_SUMS}
    scored = series.filter(backtested=True)
    by_class = {row["series_class"]: row for row in scored.values("series_class").annotate(n=Count("pk"), **sums)}
    labels = dict(SeriesClassChoice.choices)
    lines = [
        BacktestLine(name, labels[name], methods.accuracy(by_class[name], by_class[name]["n"]))
        for name in methods.SeriesClass.ALL
        if name in by_class
    ]
    total = scored.aggregate(n=Count("pk"), **sums)
    if total["n"]:
        lines.append(BacktestLine("", "", methods.accuracy(total, total["n"])))
    return lines


@dataclass(frozen=True)
class SeriesRow:
    series: ForecastSeries
    next_4_weeks: float


def top_series(user: User, run: ForecastRun, part: Slice) -> list[SeriesRow]:
    """The series in view with the most units sold, with their forecast for the next 4 weeks."""
    found = list(
        series_in_view(user, run, part).select_related("dealer", "model").order_by("-units_sold", "pk")[:TOP_SERIES]
    )
    ahead = (
        forecasts_in_view(user, run, part)
        .filter(
            target_week__lt=run.week + timedelta(weeks=4),
            dealer_id__in={row.dealer_id for row in found},
            model_id__in={row.model_id for row in found},
        )
        .values("dealer_id", "model_id")
        .annotate(units=Sum("units"))
    )
    next_4 = {(row["dealer_id"], row["model_id"]): row["units"] for row in ahead}
    return [SeriesRow(row, next_4.get((row.dealer_id, row.model_id), 0.0)) for row in found]


def class_counts(series: QuerySet[ForecastSeries]) -> list[tuple[str, str, int]]:
    """(class label, method, series) of the series in view."""
    labels = dict(SeriesClassChoice.choices)
    rows = series.values("series_class", "method").annotate(n=Count("pk")).order_by("series_class")
    return [(labels[row["series_class"]], row["method"], row["n"]) for row in rows]
