"""Reads of channel health for the dashboard pages: plain aggregates over a queryset the
caller has already scoped (``dealerops.access.scope``), each a fixed number of queries
whatever the number of dealers.

The peer figures of a dealer's page (the peer group's medians, the dealer's percentile)
read the whole peer group on purpose: the scores are ranked nationwide among dealers of the
same kind, so the comparison must be too. They return numbers only, never a dealer.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from dateutil.relativedelta import relativedelta
from django.contrib.postgres.aggregates import BoolOr
from django.db.models import (
    Aggregate,
    Count,
    DecimalField,
    F,
    Max,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
)

from channels.health.services import HealthPeriod
from channels.models import (
    Dealer,
    HealthMetric,
    HealthMetricScore,
    HealthMonth,
    HealthScore,
    Rating,
    RatingBands,
)

# The metric whose sample is the dealer's units sold in the month: the map sizes points by it.
VOLUME_METRIC = HealthMetric.DATA_TIMELINESS
TREND_MONTHS = 12


class Median(Aggregate):
    """PostgreSQL's ``percentile_cont(0.5)``: the median, interpolated between the middle two."""

    function = "percentile_cont"
    template = "%(function)s(0.5) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = DecimalField(max_digits=14, decimal_places=4)


def score_field(metric: str) -> str:
    return f"score_{metric}"


def insufficient_field(metric: str) -> str:
    return f"insufficient_{metric}"


@dataclass(frozen=True)
class HealthView:
    """The month shown, the weights version its scores were computed with and the bands version
    they were rated with; whether those
    scores are still provisional (the month in progress, or not yet scored after its reporting
    cut-off) with the day their data reach and the cut-off; and the scored months before and
    after it (None when there is none: the pages link only to months that have scores)."""

    month: date
    weights_id: int
    weights_version: int
    bands_id: int | None = None
    bands_version: int | None = None
    provisional: bool = False
    data_up_to: date | None = None
    cutoff: date | None = None
    previous_month: date | None = None
    next_month: date | None = None


def health_view(scores: QuerySet[HealthScore], month: date | None, *, today: date) -> HealthView | None:
    """``month`` under the newest weights version that scored it; without a month, the latest
    complete month with scores in ``scores`` (a month in progress scores only the metrics that
    have data so far: it is shown by default only when no complete month is scored). None when
    there is nothing to show. Two queries."""
    months = scored_months(scores)
    if not months:
        return None
    if month is None:
        complete = [scored for scored in months if scored < today.replace(day=1)]
        month = complete[-1] if complete else months[-1]
    row = (
        scores.filter(month=month)
        .order_by("-weights__version")
        .values("month", "weights_id", "weights__version", "rating_bands_id", "rating_bands__version")
        .first()
    )
    if row is None:
        return None
    state = HealthMonth.objects.filter(month=month, weights_id=row["weights_id"]).values("final", "period_end").first()
    return HealthView(
        month=month,
        weights_id=row["weights_id"],
        weights_version=row["weights__version"],
        # A month's scores are rated in one statement: any row names the month's bands.
        bands_id=row["rating_bands_id"],
        bands_version=row["rating_bands__version"],
        # No month record (scores loaded by hand): as provisional as a month in progress.
        provisional=not (state and state["final"]),
        data_up_to=state["period_end"] if state else None,
        cutoff=HealthPeriod.of(month, on=month).cutoff,
        **neighbour_months(months, month),
    )


def scored_months(scores: QuerySet[HealthScore]) -> list[date]:
    """The months with scores in ``scores``, oldest first. One query."""
    return list(scores.order_by("month").values_list("month", flat=True).distinct())


def neighbour_months(months: list[date], month: date) -> dict[str, date | None]:
    """The scored months just before and after ``month`` (``previous_month``, ``next_month``)."""
    earlier = [scored for scored in months if scored < month]
    later = [scored for scored in months if scored > month]
    return {"previous_month": earlier[-1] if earlier else None, "next_month": later[0] if later else None}


def health_table(scores: QuerySet[HealthScore], view: HealthView, *, metrics: bool = True) -> QuerySet[HealthScore]:
    """One row per dealer of ``view``'s month: the units sold (``volume``), last month's
    composite under the newest version up to this one (``previous``), the ``change`` and, with
    ``metrics``, the 12 metric scores (``score_<metric>``) and their insufficient-data flags
    (``insufficient_<metric>``). One query when evaluated."""
    previous = (
        HealthScore.objects.filter(
            dealer=OuterRef("dealer"),
            month=view.month - relativedelta(months=1),
            weights__version__lte=view.weights_version,
        )
        .order_by("-weights__version")
        .values("composite")[:1]
    )
    # Subqueries on the unique (score, metric) key: without ``metrics`` the rows need no GROUP BY.
    volume = (
        HealthMetricScore.objects.filter(health_score=OuterRef("pk"), metric=VOLUME_METRIC)
        .order_by()
        .values("sample")[:1]
    )
    per_metric = {}
    for metric in HealthMetric.values if metrics else ():
        of_metric = Q(metrics__metric=metric)
        per_metric[score_field(metric)] = Max("metrics__score", filter=of_metric)
        per_metric[insufficient_field(metric)] = BoolOr("metrics__insufficient", filter=of_metric)
    return (
        scores.filter(month=view.month, weights_id=view.weights_id)
        .select_related("dealer")
        .annotate(
            **per_metric,
            volume=Subquery(volume),
            previous=Subquery(previous),
        )
        .annotate(change=F("composite") - F("previous"))
    )


def rating_counts(rows: Iterable[dict[str, Any]]) -> dict[str, int]:
    """Dealers per rating (``unrated`` for no composite) over ``rows`` of the table already read
    (each with its ``rating``): no query of its own."""
    counts = dict.fromkeys([*Rating.values, "unrated"], 0)
    for row in rows:
        counts[row["rating"] or "unrated"] += 1
    return counts


@dataclass(frozen=True)
class RegionRatings:
    """The dealers of one region per rating (``unrated`` for no composite)."""

    code: str
    name: str
    counts: dict[str, int]

    @property
    def dealers(self) -> int:
        return sum(self.counts.values())


def rating_distribution(rows: Iterable[dict[str, Any]]) -> list[RegionRatings]:
    """``rating_counts`` per region (by code) over ``rows`` of the table already read (each
    with its ``rating``, ``region_code`` and ``region``): no query of its own."""
    by_region: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for row in rows:
        by_region.setdefault((row["region_code"], row["region"]), []).append(row)
    return [
        RegionRatings(code=code, name=name, counts=rating_counts(members))
        for (code, name), members in sorted(by_region.items())
    ]


def rating_bands_versions() -> list[RatingBands]:
    """Every bands version, newest (the one in force) first. One query."""
    return list(RatingBands.objects.select_related("created_by").order_by("-version"))


def health_months() -> QuerySet[HealthMonth]:
    """The months scored, newest first, each under each weights version, with the bands that rated them."""
    return HealthMonth.objects.select_related("weights", "rating_bands").order_by("-month", "-weights__version")


@dataclass(frozen=True)
class MetricLine:
    """One metric of a dealer's month next to its peer group's medians."""

    metric: str
    label: str
    value: Decimal | None
    sample: int
    score: Decimal | None
    insufficient: bool
    peer_median_value: Decimal | None
    peer_median_score: Decimal | None


def dealer_health(dealer: Dealer, view: HealthView) -> HealthScore | None:
    """The dealer's score of ``view``'s month and weights (``health_view`` over the dealer's
    scores picks them)."""
    return (
        HealthScore.objects.filter(dealer=dealer, month=view.month, weights_id=view.weights_id)
        .select_related("weights", "rating_bands")
        .first()
    )


def metric_lines(score: HealthScore) -> list[MetricLine]:
    """The 12 metrics of ``score`` with the medians of its peer group (same kind, month and
    weights, metrics with enough data). Two queries."""
    peers = (
        HealthMetricScore.objects.filter(
            health_score__month=score.month,
            health_score__weights_id=score.weights_id,
            health_score__dealer_kind=score.dealer_kind,
            insufficient=False,
        )
        .values("metric")
        .annotate(median_value=Median("value"), median_score=Median("score"))
        .order_by()
    )
    medians = {row["metric"]: row for row in peers}
    own = {row.metric: row for row in score.metrics.all()}
    lines = []
    for metric, label in HealthMetric.choices:
        row, median = own.get(metric), medians.get(metric, {})
        lines.append(
            MetricLine(
                metric=metric,
                label=str(label),
                value=row.value if row else None,
                sample=row.sample if row else 0,
                score=row.score if row else None,
                insufficient=row.insufficient if row else True,
                peer_median_value=median.get("median_value"),
                peer_median_score=median.get("median_score"),
            )
        )
    return lines


def peer_percentile(score: HealthScore) -> Decimal | None:
    """Where the dealer's composite stands among its peers that month, 0-100, ranked as the
    metrics are: 100 x (peers below + half the ties) / peers with a composite. One query."""
    if score.composite is None:
        return None
    counts = HealthScore.objects.filter(
        month=score.month, weights_id=score.weights_id, dealer_kind=score.dealer_kind, composite__isnull=False
    ).aggregate(
        below=Count("pk", filter=Q(composite__lt=score.composite)),
        ties=Count("pk", filter=Q(composite=score.composite)),
        peers=Count("pk"),
    )
    share = (Decimal(counts["below"]) + Decimal(counts["ties"]) / 2) / counts["peers"]
    return (share * 100).quantize(Decimal("0.1"))


@dataclass(frozen=True)
class TrendPoint:
    month: date
    composite: Decimal | None
    scores: dict[str, Decimal | None]


def dealer_trend(dealer: Dealer, last_month: date) -> list[TrendPoint]:
    """The dealer's composite and metric scores over the 12 months to ``last_month``, each month
    under the newest weights version that scored it. Two queries."""
    first = last_month - relativedelta(months=TREND_MONTHS - 1)
    months = (
        HealthScore.objects.filter(dealer=dealer, month__range=(first, last_month))
        .order_by("month", "-weights__version")
        .distinct("month")
        .values("pk", "month", "composite")
    )
    months = list(months)
    metric_rows = HealthMetricScore.objects.filter(health_score_id__in=[row["pk"] for row in months]).values(
        "health_score_id", "metric", "score"
    )
    scores: dict[int, dict[str, Decimal | None]] = {row["pk"]: {} for row in months}
    for row in metric_rows:
        scores[row["health_score_id"]][row["metric"]] = row["score"]
    return [TrendPoint(month=row["month"], composite=row["composite"], scores=scores[row["pk"]]) for row in months]
