"""Computing data quality: one month for every dealer in one transaction, its alerts, and
acknowledging an alert.

A month is computed by the rule families of ``datahub.quality.rules`` (one statement each,
network-wide) into a temporary table, then three set-based writes: the scores (upserted on
(dealer, month)), the issues (upserted on (rule, record, month); those no longer found are
deleted) and the alerts (raised once per (dealer, month, rule)). A re-run of a month with the
same data rewrites the same numbers and keeps every issue's first detection time.
"""

from datetime import date, timedelta

from dateutil.relativedelta import relativedelta
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from channels.health.services import HealthPeriod
from datahub.models import DataQualityAlert, QualityDimension
from datahub.quality import rules
from datahub.quality.definitions import MIN_MEASURABLE_DIMENSIONS
from dealerops.access import can_write, scope
from dealerops.jobs import tracked_run
from dealerops.models import JobRun, User
from dealerops.validation import day_start, today

QUALITY_JOB = "datahub.compute_data_quality"
DIMENSIONS = QualityDimension.values

# SQL fragments repeated for each dimension (constant names only).
_PER_DIMENSION_COUNTS = ", ".join(
    f"COALESCE(sum(checked) FILTER (WHERE dimension = '{d}'), 0) AS {d}_checked, "
    f"COALESCE(sum(checked - failed) FILTER (WHERE dimension = '{d}'), 0) AS {d}_passed"
    for d in DIMENSIONS
)
_COUNT_COLUMNS = ", ".join(f"{d}_checked, {d}_passed" for d in DIMENSIONS)
_SCORES = ", ".join(f"round(100.0 * {d}_passed / NULLIF({d}_checked, 0), 2) AS {d}" for d in DIMENSIONS)
_SCORE_COLUMNS = ", ".join(f"{d}, {d}_passed, {d}_checked" for d in DIMENSIONS)
_SCORE_VALUES = ", ".join(f"s.{d}, s.{d}_passed, s.{d}_checked" for d in DIMENSIONS)
_SCORE_ARRAY = ", ".join(f"s.{d}" for d in DIMENSIONS)
_SCORE_UPDATES = ", ".join(
    f"{d} = EXCLUDED.{d}, {d}_passed = EXCLUDED.{d}_passed, {d}_checked = EXCLUDED.{d}_checked" for d in DIMENSIONS
)

# The month's scores from the per-dimension counts: passed / checked, NULL without a check;
# overall is the plain mean of the dimensions that have one, NULL (insufficient evidence) when
# fewer than MIN_MEASURABLE_DIMENSIONS have.
UPSERT_SCORES = f"""
WITH counts AS ({rules.DIMENSION_COUNTS}),
dealer_scores AS (SELECT dealer_id, {_PER_DIMENSION_COUNTS} FROM counts GROUP BY dealer_id),
issue_counts AS (SELECT dealer_id, count(*) FILTER (WHERE issue) AS issues FROM dq_result GROUP BY dealer_id),
scored AS (SELECT dealer_id, {_COUNT_COLUMNS}, {_SCORES} FROM dealer_scores)
INSERT INTO datahub_dataqualityscore
  (dealer_id, month, {_SCORE_COLUMNS}, overall, issues, source_lag_hours, computed_at)
SELECT s.dealer_id, %(month)s, {_SCORE_VALUES},
       (SELECT CASE WHEN count(v) >= {MIN_MEASURABLE_DIMENSIONS} THEN round(avg(v), 2) END
        FROM unnest(ARRAY[{_SCORE_ARRAY}]) AS v),
       ic.issues, '{{}}'::jsonb, %(now)s
FROM scored s JOIN issue_counts ic USING (dealer_id)
ON CONFLICT (dealer_id, month) DO UPDATE SET {_SCORE_UPDATES},
  overall = EXCLUDED.overall, issues = EXCLUDED.issues, source_lag_hours = EXCLUDED.source_lag_hours,
  computed_at = EXCLUDED.computed_at
"""  # noqa: S608 - only constants (dimension names, the minimum) are interpolated; values are parameters

DROP_UNSCORED = """
DELETE FROM datahub_dataqualityscore q
WHERE q.month = %(month)s AND NOT EXISTS (SELECT 1 FROM dq_result r WHERE r.dealer_id = q.dealer_id)
"""

DROP_GONE_ISSUES = """
DELETE FROM datahub_dataissue i
WHERE i.month = %(month)s AND NOT EXISTS (
  SELECT 1 FROM dq_result r
  WHERE r.issue AND r.rule = i.rule AND r.record_type = i.record_type AND r.record_id = i.record_id
)
"""

UPSERT_ISSUES = """
INSERT INTO datahub_dataissue (dealer_id, month, dimension, rule, record_type, record_id, detail, detected_at)
SELECT DISTINCT ON (rule, record_type, record_id) dealer_id, %(month)s, dimension, rule, record_type, record_id,
       detail, %(now)s
FROM dq_result WHERE issue
ORDER BY rule, record_type, record_id
ON CONFLICT (rule, record_type, record_id, month) DO UPDATE SET
  dealer_id = EXCLUDED.dealer_id, dimension = EXCLUDED.dimension, detail = EXCLUDED.detail
"""

SET_SOURCE_LAGS = """
UPDATE datahub_dataqualityscore q SET source_lag_hours = lags.hours
FROM (
  SELECT dealer_id, jsonb_object_agg(source, hours) AS hours
  FROM (SELECT dealer_id, source, round(percentile_cont(0.5) WITHIN GROUP (ORDER BY lag_hours)::numeric, 1) AS hours
        FROM dq_lag GROUP BY dealer_id, source) per_source
  GROUP BY dealer_id
) lags
WHERE q.month = %(month)s AND q.dealer_id = lags.dealer_id
"""

# Suspicious patterns, per dealer: figures the alerts are raised from. ``sales``: the sales the
# integrity dimension checked (its denominator also counts loans, stock units and customers).
SUSPICIOUS = """
WITH sales AS (
  SELECT dealer_id, count(DISTINCT record_id) AS sales FROM dq_result
  WHERE dimension = 'integrity' AND record_type = 'inventory.Sale' GROUP BY dealer_id
)
SELECT q.dealer_id,
       count(i.id) FILTER (WHERE i.rule IN ('sale_backdated', 'sale_moved_month')) AS backdated,
       count(i.id) FILTER (WHERE i.rule = 'sale_moved_month') AS moved,
       COALESCE(min(sales.sales), 0) AS sales,
       count(i.id) FILTER (WHERE i.rule = 'sale_deleted_reentered') AS sales_reentered,
       count(i.id) FILTER (WHERE i.rule = 'loan_deleted_reentered') AS loans_reentered,
       count(i.id) FILTER (WHERE i.rule = 'stock_unit_deleted_reentered') AS units_reentered,
       count(i.id) FILTER (WHERE i.rule = 'customer_deleted_reentered') AS customers_reentered,
       count(i.id) FILTER (WHERE i.rule = 'sale_edited_after_cutoff') AS sales_edited,
       count(i.id) FILTER (WHERE i.rule = 'loan_edited_after_close') AS loans_edited,
       count(i.id) FILTER (WHERE i.rule = 'stock_arrival_moved_month') AS arrivals_moved,
       q.overall, previous.overall AS previous_overall
FROM datahub_dataqualityscore q
LEFT JOIN sales ON sales.dealer_id = q.dealer_id
LEFT JOIN datahub_dataissue i ON i.dealer_id = q.dealer_id AND i.month = q.month
LEFT JOIN datahub_dataqualityscore previous ON previous.dealer_id = q.dealer_id AND previous.month = %(previous_month)s
WHERE q.month = %(month)s
GROUP BY q.dealer_id, q.overall, previous.overall
"""

# Records whose audited months changed since a day, by the date that places them in a month.
MONTHS_TOUCHED = """
SELECT date_trunc('month', sold_on)::date FROM inventory_saleevent
WHERE pgh_created_at >= %(since)s AND sold_on BETWEEN %(earliest)s AND %(latest)s
UNION
SELECT date_trunc('month', disbursed_on)::date FROM finance_loanevent
WHERE pgh_created_at >= %(since)s AND disbursed_on BETWEEN %(earliest)s AND %(latest)s
UNION
SELECT date_trunc('month', arrived_on)::date FROM inventory_stockunitevent
WHERE pgh_created_at >= %(since)s AND arrived_on BETWEEN %(earliest)s AND %(latest)s
"""


def data_quality_compute(*, month: date, started_by_id: int | None = None) -> JobRun:
    """Score every dealer's data quality for ``month`` (its first day) in one transaction; the
    JobRun counts the dealers scored."""
    with tracked_run(QUALITY_JOB, period=f"{month:%Y-%m}", started_by_id=started_by_id) as run:
        run.rows = _month_compute(month=month, on=today())
    return run


def data_quality_nightly(*, as_of: date, started_by_id: int | None = None) -> list[JobRun]:
    """The nightly job: last month, this month to date, and any earlier month of the past year
    whose sales, loans or stock units were written since yesterday (late edits are what
    integrity looks for; customers are judged in the month they are entered)."""
    this_month = as_of.replace(day=1)
    months = {this_month - relativedelta(months=1), this_month}
    months |= _months_touched_since(
        as_of - timedelta(days=1), earliest=this_month - relativedelta(months=12), latest=as_of
    )
    return [data_quality_compute(month=month, started_by_id=started_by_id) for month in sorted(months)]


def _months_touched_since(day: date, *, earliest: date, latest: date) -> set[date]:
    """Months (from ``earliest`` to ``latest``'s) of the sales, loans (disbursement) and stock
    units (arrival) written from ``day`` on."""
    since = day_start(day)
    with connection.cursor() as cursor:
        cursor.execute(MONTHS_TOUCHED, {"since": since, "earliest": earliest, "latest": latest})
        return {row[0] for row in cursor.fetchall()}


@transaction.atomic
def _month_compute(*, month: date, on: date) -> int:
    """The month's scores, issues and alerts; the number of dealers scored."""
    period = HealthPeriod.of(month, on=on)
    now = timezone.now()
    params = {
        **period.params(),
        "month": month,
        "previous_month": month - relativedelta(months=1),
        "now": now,
        "backdate_days": settings.DATA_QUALITY_BACKDATE_DAYS,
        "lag_limit_hours": settings.DATA_QUALITY_LAG_LIMIT_HOURS,
        "loan_grace_days": settings.DATA_QUALITY_LOAN_GRACE_DAYS,
    }
    with connection.cursor() as cursor:
        # One computation of a month at a time (the nightly job and a re-run from the page).
        cursor.execute("SELECT pg_advisory_xact_lock(hashtext('datahub.quality'), %s)", [month.toordinal()])
        for table in rules.TEMP_TABLES:
            cursor.execute(f"DROP TABLE IF EXISTS {table}")
        cursor.execute(rules.RESULT_TABLE)
        for family in rules.FAMILIES:
            cursor.execute(family, params)
        cursor.execute("ANALYZE dq_result")  # row counts for the aggregates below
        cursor.execute(DROP_UNSCORED, params)
        cursor.execute(UPSERT_SCORES, params)
        dealers = cursor.rowcount
        cursor.execute(SET_SOURCE_LAGS, params)
        cursor.execute(DROP_GONE_ISSUES, params)
        cursor.execute(UPSERT_ISSUES, params)
        _raise_alerts(cursor, params, complete_month=(period.last + timedelta(days=1)).day == 1)
    return dealers


def _raise_alerts(cursor, params: dict, *, complete_month: bool) -> None:
    """Alerts for the month's suspicious patterns, raised once per (dealer, month, rule); the
    messages are written in the portal's language."""
    cursor.execute(SUSPICIOUS, params)
    columns = [column.name for column in cursor.description]
    month, now = params["month"], params["now"]
    alerts = []
    with translation.override(settings.LANGUAGE_CODE):
        for f in (dict(zip(columns, values, strict=True)) for values in cursor.fetchall()):
            dealer_id = f["dealer_id"]
            # Sales moved across a month end are deliberate; late entries are suspicious when
            # they are a good share of the month's sales (a few are everyday sloppiness).
            if f["moved"] >= settings.DATA_QUALITY_ALERT_MOVED_SALES or (
                f["backdated"] >= settings.DATA_QUALITY_ALERT_BACKDATED_SALES
                and 100 * f["backdated"] >= settings.DATA_QUALITY_ALERT_BACKDATED_SHARE * f["sales"]
            ):
                message = _("%(n)s of %(sales)s sales back-dated or moved, %(moved)s of them across a month end.") % {
                    "n": f["backdated"],
                    "sales": f["sales"],
                    "moved": f["moved"],
                }
                alerts.append((dealer_id, DataQualityAlert.Rule.REPEATED_BACKDATING, message))
            # Deleting a record and entering it again erases its history: always worth a look.
            reentered = {kind: f[f"{kind}_reentered"] for kind in ("sales", "loans", "units", "customers")}
            if any(reentered.values()):
                message = (
                    _(
                        "Deleted and entered again: %(sales)s sales, %(loans)s loans, %(units)s stock units, "
                        "%(customers)s customers."
                    )
                    % reentered
                )
                alerts.append((dealer_id, DataQualityAlert.Rule.DELETED_REENTERED, message))
            # One late correction happens; several rewrite figures already reported or booked.
            edited = {"sales": f["sales_edited"], "loans": f["loans_edited"], "arrivals": f["arrivals_moved"]}
            if sum(edited.values()) >= settings.DATA_QUALITY_ALERT_CLOSED_EDITS:
                message = (
                    _(
                        "Changed after their month closed: %(sales)s sales, %(loans)s loans, "
                        "%(arrivals)s stock arrival dates."
                    )
                    % edited
                )
                alerts.append((dealer_id, DataQualityAlert.Rule.EDITED_AFTER_CLOSE, message))
            overall, previous = f["overall"], f["previous_overall"]
            drop = settings.DATA_QUALITY_ALERT_SCORE_DROP
            if complete_month and overall is not None and previous is not None and previous - overall >= drop:
                message = _("The overall score fell from %(before)s to %(after)s.") % {
                    "before": previous,
                    "after": overall,
                }
                alerts.append((dealer_id, DataQualityAlert.Rule.SCORE_DROP, message))
    DataQualityAlert.objects.bulk_create(
        [
            DataQualityAlert(dealer_id=dealer_id, month=month, rule=rule, message=message, created_at=now)
            for dealer_id, rule, message in alerts
        ],
        ignore_conflicts=True,  # raised once: a re-run does not raise it again
    )


def data_quality_alert_acknowledge(*, alert_id: int, user: User) -> DataQualityAlert:
    """Mark an alert of the user's scope as seen (once: a second acknowledgement changes nothing)."""
    if not can_write(user, DataQualityAlert):
        raise PermissionDenied
    alert = scope(user, DataQualityAlert).get(pk=alert_id)  # DoesNotExist outside the scope
    if alert.acknowledged_at is not None:
        raise ValidationError(_("This alert was already acknowledged."))
    DataQualityAlert.objects.filter(pk=alert.pk, acknowledged_at__isnull=True).update(
        acknowledged_by=user, acknowledged_at=timezone.now()
    )
    alert.refresh_from_db()
    return alert
