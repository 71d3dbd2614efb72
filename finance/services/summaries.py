"""Upkeep of finance's summary tables (finance.models.summaries).

The triggers of finance.summary_sql keep the ledger, loan and sales summaries exact as rows
change; ``summaries_rebuild`` recomputes them from the raw rows (after a load that bypassed
the triggers, or to repair). ``exposure_refresh`` stores the live loans and their amortised
balance on given days: the risk report's exposure, which no running total can keep because
every loan's balance moves each month.
"""

from collections.abc import Iterable
from datetime import date, timedelta

from django.db import connection, transaction
from django.utils import timezone

from dealerops.jobs import tracked_run
from finance.models import DISBURSED_STATUSES_SQL, ExposureSnapshot
from finance.summary_sql import REBUILD, band_sql
from inventory.selectors import month_start

EXPOSURE_JOB = "finance.refresh_exposure"
# The days the nightly job pictures: today and the last day of each of the months before it
# (a report's as-of day is its range's last day, or today while the range is still running).
EXPOSURE_MONTHS = 12

# The live loans of each as-of day of the snapshots in %(snapshots)s, per region, lender, grade
# and band, with their principal outstanding (finance.reports.amortised_balance, in SQL).
EXPOSURE_INSERT = f"""
INSERT INTO finance_exposurefigure (snapshot_id, region_id, lender_id, credit_grade, term_band, live_loans, exposure)
SELECT s.id, d.region_id, l.lender_id, l.credit_grade, {band_sql("l.term_months")}, count(*),
  sum(round(l.principal * (power(1 + l.annual_rate / 12, l.term_months) - power(1 + l.annual_rate / 12, p.paid))
      / (power(1 + l.annual_rate / 12, l.term_months) - 1), 2))
FROM finance_exposuresnapshot s
JOIN finance_loan l ON l.disbursed_on <= s.as_of AND (l.closed_on IS NULL OR l.closed_on > s.as_of)
JOIN channels_dealer d ON d.id = l.dealer_id
CROSS JOIN LATERAL (
  SELECT LEAST(l.term_months, (EXTRACT(YEAR FROM age(s.as_of, l.disbursed_on)) * 12
         + EXTRACT(MONTH FROM age(s.as_of, l.disbursed_on)))::integer) AS paid
) p
WHERE s.id = ANY(%(snapshots)s) AND l.status IN ({DISBURSED_STATUSES_SQL})
GROUP BY 1, 2, 3, 4, 5
"""  # noqa: S608 - only the status constants and the band's CASE are interpolated


def summaries_rebuild() -> None:
    """Recompute every trigger-kept summary from the raw rows, set-based (writers wait)."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(REBUILD)


def exposure_days(today: date, months: int = EXPOSURE_MONTHS) -> list[date]:
    """Today and the last day of each of the ``months`` months before today's."""
    return [today] + [month_start(today, back) - timedelta(days=1) for back in range(months)]


def exposure_refresh(*, days: Iterable[date]) -> int:
    """Replace the snapshots of ``days`` with the loans as they are now; returns the figures written."""
    days = sorted(set(days))
    with transaction.atomic(), connection.cursor() as cursor:
        ExposureSnapshot.objects.filter(as_of__in=days).delete()
        now = timezone.now()
        snapshots = ExposureSnapshot.objects.bulk_create(ExposureSnapshot(as_of=day, computed_at=now) for day in days)
        cursor.execute(EXPOSURE_INSERT, {"snapshots": [snapshot.pk for snapshot in snapshots]})
        return cursor.rowcount


def exposure_nightly(*, as_of: date, started_by_id: int | None = None):
    """The nightly job: the snapshots of ``as_of`` and the month ends before it."""
    with tracked_run(EXPOSURE_JOB, period=as_of.isoformat(), started_by_id=started_by_id) as run:
        run.rows = exposure_refresh(days=exposure_days(as_of))
    return run
