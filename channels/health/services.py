"""Computing channel health: one month for every dealer in one transaction, and the versions
of the metric weights head office sets.

A month is computed by one statement that stages every dealer's 12 metrics and their
percentile scores (``families.STAGE``) and two upserts (scores, then their metrics) keyed on
(dealer, month, weights version), so a re-run rewrites the same rows with the same numbers.

*A closed month is not rewritten*: a month's scores become final when they are computed after
the month's reporting cut-off (``HEALTH_REPORTING_CUTOFF_DAY`` of the next month, end of day,
Shanghai time). From then on a re-run of that month writes nothing, and triggers refuse any
write to its scores in the database. Only a new weights version gives a closed month a new,
separate set of scores (computed, and final, on its first run).

The dealers are rated with the rating bands in force when the month is computed
(``channels.health.bands``); a newer bands version reaches a month already computed only
when head office re-rates it, and never a closed one.
"""

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from dateutil.relativedelta import relativedelta
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.db import connection, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from channels.health.bands import PLACES, PREVIOUS_RATING, PROBATION, RATING, rating_bands_in_force, rating_params
from channels.health.families import FAMILY_TABLES, STAGE
from channels.models import HealthMetric, HealthMetricScore, HealthMonth, HealthScore, HealthWeights
from dealerops.jobs import tracked_run
from dealerops.models import JobRun, User
from dealerops.validation import day_start, today

HEALTH_JOB = "channels.compute_health"

# Stale rows: dealers scored earlier in an open month that are no longer scored (exited).
UNSCORED = """
SELECT id FROM channels_healthscore
WHERE month = %(month)s AND weights_id = %(weights)s AND dealer_id NOT IN (SELECT dealer_id FROM health_stage)
"""
DROP_UNSCORED = [
    f"DELETE FROM channels_healthmetricscore WHERE health_score_id IN ({UNSCORED})",  # noqa: S608 - constant SQL
    f"DELETE FROM channels_healthscore WHERE id IN ({UNSCORED})",  # noqa: S608 - constant SQL
]

# The composite is the weighted mean of the metrics with enough data (the weights of the others
# are left out, which renormalises the rest); the rating is the dealer's band among its peers
# under the bands in force (``bands.RATING``); probation: rated D now and in the previous month
# (its scores under the newest weights version up to this one).
UPSERT_SCORES = f"""
WITH weights(metric, weight) AS (VALUES {{weights}}),
composite AS (
  SELECT st.dealer_id, st.kind, count(st.score) AS metrics_scored,
         round(sum(w.weight * st.score) / NULLIF(sum(w.weight) FILTER (WHERE st.score IS NOT NULL), 0), 2)
           AS composite
  FROM health_stage st JOIN weights w USING (metric)
  GROUP BY st.dealer_id, st.kind
),
rated AS (
  SELECT placed.*, {RATING} AS rating FROM (SELECT composite.*, {PLACES} FROM composite) placed
)
INSERT INTO channels_healthscore
  (dealer_id, month, weights_id, rating_bands_id, dealer_kind, composite, rating, probation, metrics_scored,
   computed_at)
SELECT r.dealer_id, %(month)s, %(weights)s, %(bands)s, r.kind, r.composite, r.rating, {PROBATION},
       r.metrics_scored, %(now)s
FROM rated r
{PREVIOUS_RATING}
ON CONFLICT (dealer_id, month, weights_id) DO UPDATE SET
  rating_bands_id = EXCLUDED.rating_bands_id, dealer_kind = EXCLUDED.dealer_kind, composite = EXCLUDED.composite,
  rating = EXCLUDED.rating, probation = EXCLUDED.probation, metrics_scored = EXCLUDED.metrics_scored,
  computed_at = EXCLUDED.computed_at
"""  # noqa: S608 - only the constant fragments above are interpolated; values are parameters

UPSERT_METRICS = """
INSERT INTO channels_healthmetricscore (health_score_id, metric, value, sample, score, insufficient)
SELECT h.id, st.metric, st.value, st.sample, st.score, st.insufficient
FROM health_stage st
JOIN channels_healthscore h ON h.dealer_id = st.dealer_id AND h.month = %(month)s AND h.weights_id = %(weights)s
ORDER BY h.id, array_position(%(metric_order)s::text[], st.metric::text)
ON CONFLICT (health_score_id, metric) DO UPDATE SET
  value = EXCLUDED.value, sample = EXCLUDED.sample, score = EXCLUDED.score, insufficient = EXCLUDED.insufficient
"""


@dataclass(frozen=True)
class HealthPeriod:
    """The dates one month's metrics are computed over."""

    month: date  # first day
    last: date  # last day of data: the month's end, or today for the current month
    cutoff: date  # the reporting cut-off day in the next month

    @classmethod
    def of(cls, month: date, *, on: date) -> "HealthPeriod":
        if month.day != 1:
            raise ValidationError({"month": _("A month is named by its first day.")})
        if month > on:
            raise ValidationError({"month": _("A month cannot be scored before it begins.")})
        next_month = month + relativedelta(months=1)
        return cls(
            month=month,
            last=min(next_month - timedelta(days=1), on),
            cutoff=next_month + timedelta(days=settings.HEALTH_REPORTING_CUTOFF_DAY - 1),
        )

    def closes_by(self, day: date) -> bool:
        """Whether scores computed on ``day`` are final: the cut-off day is over."""
        return day > self.cutoff

    def params(self) -> dict:
        return {
            "first": self.month,
            "last": self.last,
            "start_ts": day_start(self.month),
            "end_ts": day_start(self.last + timedelta(days=1)),
            "lead_window_ts": day_start(self.last + timedelta(days=1)) - timedelta(days=90),
            "cutoff_ts": day_start(self.cutoff + timedelta(days=1)),
            "tz": settings.TIME_ZONE,
            "aged_before": self.last - timedelta(days=90),
            "bought_from": self.last - relativedelta(years=3),
            "bought_to": self.last - relativedelta(years=1),
            "visited_from": self.last - relativedelta(years=1) + timedelta(days=1),
        }


def health_weights_in_force() -> HealthWeights:
    """The newest weights version; the first run creates version 1, every metric weighing 1."""
    weights = HealthWeights.objects.order_by("-version").first()
    if weights is None:
        # No note: the pages describe equal weights in the reader's language (HealthWeights.summary).
        weights, _created = HealthWeights.objects.get_or_create(version=1)
    return weights


@transaction.atomic
def health_weights_create(*, weights: dict[str, Decimal], created_by: User | None, note: str = "") -> HealthWeights:
    """A new weights version (metrics not named weigh 1). Scores of open months move to it on
    their next computation; final months keep theirs and gain a set under the new version
    when they are run again."""
    unknown = set(weights) - set(HealthMetric.values)
    if unknown:
        raise ValidationError({name: _("Not a health metric.") for name in sorted(unknown)})
    errors = {name: _("A weight cannot be negative.") for name, weight in weights.items() if weight < 0}
    if errors:
        raise ValidationError(errors)
    version = HealthWeights.objects.select_for_update().aggregate(top=Max("version"))["top"] or 0
    record = HealthWeights(version=version + 1, note=note, created_by=created_by, **weights)
    if sum(record.weights().values()) <= 0:
        raise ValidationError({name: _("At least one weight must be above zero.") for name in HealthMetric.values})
    record.full_clean()
    record.save()
    return record


def health_month_compute(*, month: date, started_by_id: int | None = None) -> JobRun:
    """Score every dealer for ``month`` (its first day) under the weights in force, in one
    transaction; the JobRun counts the dealers scored (0 when the month is already final)."""
    with tracked_run(HEALTH_JOB, period=f"{month:%Y-%m}", started_by_id=started_by_id) as run:
        run.rows = _month_compute(month=month, on=today())
    return run


def health_nightly(*, as_of: date, started_by_id: int | None = None) -> list[JobRun]:
    """The nightly job: the month before ``as_of``'s, then ``as_of``'s month to date (re-run
    with a past ``as_of``, it recomputes that month and the one before, unless final)."""
    months = [as_of.replace(day=1) - relativedelta(months=1), as_of.replace(day=1)]
    return [health_month_compute(month=month, started_by_id=started_by_id) for month in months]


def _drop_older_open_versions(*, month: date, weights: HealthWeights) -> None:
    """An open month keeps the scores of the weights in force only (final ones keep theirs)."""
    older = HealthMonth.objects.filter(month=month, final=False).exclude(weights=weights)
    versions = list(older.values_list("weights", flat=True))
    if versions:
        HealthMetricScore.objects.filter(health_score__month=month, health_score__weights__in=versions).delete()
        HealthScore.objects.filter(month=month, weights__in=versions).delete()
        older.delete()


def _minimum_samples() -> dict[str, int]:
    missing = set(HealthMetric.values) - set(settings.HEALTH_MIN_SAMPLES)
    if missing:
        raise ImproperlyConfigured(f"HEALTH_MIN_SAMPLES needs a minimum for {', '.join(sorted(missing))}")
    return {metric: settings.HEALTH_MIN_SAMPLES[metric] for metric in HealthMetric.values}


@transaction.atomic
def _month_compute(*, month: date, on: date) -> int:
    period = HealthPeriod.of(month, on=on)
    weights = health_weights_in_force()
    bands = rating_bands_in_force()
    state, _created = HealthMonth.objects.get_or_create(
        month=month,
        weights=weights,
        defaults={"rating_bands": bands, "period_end": period.last, "computed_at": timezone.now()},
    )
    state = HealthMonth.objects.select_for_update().get(pk=state.pk)  # one computation of a month at a time
    if state.final:
        return 0
    _drop_older_open_versions(month=month, weights=weights)
    params = {
        **period.params(),
        **{f"min_{metric}": minimum for metric, minimum in _minimum_samples().items()},
        **{f"w_{metric}": weight for metric, weight in weights.weights().items()},
        **rating_params(bands),
        "month": month,
        "previous_month": month - relativedelta(months=1),
        "weights": weights.pk,
        "version": weights.version,
        "metric_order": HealthMetric.values,  # new rows' ids follow the issue's order
        "now": timezone.now(),
    }
    weight_rows = ", ".join(f"('{metric}', %(w_{metric})s::numeric)" for metric in HealthMetric.values)
    with connection.cursor() as cursor:
        for drop, create, analyze in FAMILY_TABLES:
            cursor.execute(drop)
            cursor.execute(create, params)
            cursor.execute(analyze)
        cursor.execute("DROP TABLE IF EXISTS health_stage")
        cursor.execute(STAGE, params)
        for statement in DROP_UNSCORED:
            cursor.execute(statement, params)
        cursor.execute(UPSERT_SCORES.format(weights=weight_rows), params)
        scored = cursor.rowcount
        cursor.execute(UPSERT_METRICS, params)
    state.period_end, state.dealers, state.computed_at = period.last, scored, params["now"]
    state.rating_bands = bands
    if period.closes_by(on):
        state.final, state.finalised_at = True, params["now"]
    state.save()
    return scored
