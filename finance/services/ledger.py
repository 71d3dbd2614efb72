"""Posting to the commission ledger: the nightly accruals and clawbacks, adjustments by
finance staff, and closing periods.

The nightly posting is two ``INSERT … SELECT`` statements (accruals, then clawbacks) in one
transaction: PostgreSQL computes every amount in ``numeric`` and rounds it half-up to the fen;
no loan passes through Python. The partial unique keys on the ledger plus ``ON CONFLICT DO
NOTHING`` make a re-run, or a run after a crash, post nothing twice. The first posting of a
large network rebuilds the ledger's indexes and foreign keys after the rows are in rather than
maintaining them row by row (``dealerops.bulk``).

A nightly run reads only the loans queued for it (``PostingCandidate``: triggers queue a loan
whenever it changes in a way that can make an accrual or a clawback due, and the loans a new
policy version or clawback window covers) rather than anti-joining every loan with the ledger.
The whole network is read instead ("full") on the first posting, on a re-run for a date
before the last posting's, and when asked.
"""

from contextlib import nullcontext
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from dateutil.relativedelta import relativedelta
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from channels.models import Dealer
from dealerops.bulk import index_and_key_upkeep_after
from dealerops.jobs import tracked_run
from dealerops.models import JobRun, JobStatus, User
from dealerops.validation import ensure_not_future, today
from finance.models import (
    CLAWBACK_STATUSES_SQL,
    DISBURSED_STATUSES,
    DISBURSED_STATUSES_SQL,
    MAX_TERM_MONTHS,
    AdjustmentReason,
    CommissionEntry,
    CommissionPeriod,
    EntryKind,
    Lender,
    Loan,
    PeriodStatus,
)

FEN = Decimal("0.01")
POST_JOB = "finance.post_commissions"
# Postings run one at a time: a lock that exists whatever the data (an empty ledger has no
# periods to lock), held until the posting's transaction ends.
POSTING_LOCK_KEY = "hashtext('finance.commission_posting')"
LEDGER = CommissionEntry._meta.db_table

# Every month from the earliest event still to post (or the ledger's first period) to the
# run's month, and the month after the last closed period, exist as periods. A nightly run
# looks at its candidates' months only: every other loan's month got its period when posted.
ENSURE_PERIODS_OF = """
WITH bounds AS (
  SELECT LEAST(
           (SELECT min(month) FROM finance_commissionperiod),
           (SELECT date_trunc('month', min(disbursed_on))::date FROM {loans}
             WHERE disbursed_on <= %(as_of)s AND status IN ('disbursed', 'paid_off_early', 'defaulted', 'matured'))
         ) AS first_month
)
INSERT INTO finance_commissionperiod (month, status)
SELECT month::date, 'open' FROM bounds,
  generate_series(COALESCE(bounds.first_month, date_trunc('month', %(as_of)s::date)),
                  date_trunc('month', %(as_of)s::date), interval '1 month') AS month
UNION
SELECT (max(month) + interval '1 month')::date, 'open' FROM finance_commissionperiod WHERE status = 'closed'
HAVING max(month) IS NOT NULL
ON CONFLICT (month) DO NOTHING
"""
ENSURE_PERIODS = ENSURE_PERIODS_OF.format(loans="finance_loan l")

# Where an event of a month is booked: its own period while open, else the first open period
# after it (a late event for a closed month). Events before the ledger's first period go to
# its first open one. Materialised: one row per month, not a subquery per posted loan.
POSTING_PERIODS = """
posting_period AS MATERIALIZED (
  SELECT m.month AS event_month,
         (SELECT o.id FROM finance_commissionperiod o
           WHERE o.status = 'open' AND o.month >= m.month ORDER BY o.month LIMIT 1) AS period_id
  FROM finance_commissionperiod m
)
"""

# How the nightly posting skips a loan posted meanwhile; a bulk load holds the ledger locked
# and rebuilds the unique keys afterwards instead (a duplicate then fails the whole load).
ON_CONFLICT = {
    "accrual": "ON CONFLICT (loan_id) WHERE kind = 'accrual' DO NOTHING",
    "clawback": "ON CONFLICT (loan_id) WHERE kind = 'clawback' DO NOTHING",
}

# What a posting statement reports back: entries written and their sum.
POSTED_TOTALS = "SELECT count(*), COALESCE(sum(amount), 0) FROM posted"

# The total interest of a loan repaid in equal monthly instalments (standard amortisation):
# n * P * r / (1 - (1 + r)^-n) - P with r the monthly rate.
AMORTISED_INTEREST = "({n} * {p} * ({y} / 12) / (1 - power(1 + {y} / 12, -{n})) - {p})"

ACCRUALS = f"""
WITH {POSTING_PERIODS},
due AS (
  SELECT l.id AS loan_id, l.dealer_id, l.lender_id, l.principal, l.annual_rate, l.buy_rate, l.term_months,
         l.credit_grade, l.disbursed_on, p.id AS policy_id, p.basis, p.cap_per_loan, p.max_markup,
         COALESCE(t.ratio, p.ratio) AS ratio, COALESCE(t.amount, p.amount) AS fixed_amount
  FROM {{loans}}
  JOIN finance_commissionpolicy p
    ON p.lender_id = l.lender_id AND l.disbursed_on >= p.effective_from
   AND (p.effective_to IS NULL OR l.disbursed_on <= p.effective_to)
  LEFT JOIN LATERAL (
    SELECT t.ratio, t.amount FROM finance_commissiontier t
    WHERE t.policy_id = p.id
      AND (t.credit_grade = '' OR t.credit_grade = l.credit_grade)
      AND (t.term_band = '' OR t.term_band = CASE WHEN l.term_months <= 12 THEN '6_12'
                                                   WHEN l.term_months <= 24 THEN '13_24'
                                                   WHEN l.term_months <= 36 THEN '25_36' ELSE '37_60' END)
    ORDER BY (t.credit_grade <> '') DESC, (t.term_band <> '') DESC
    LIMIT 1
  ) t ON true
  WHERE l.status IN ('disbursed', 'paid_off_early', 'defaulted', 'matured')
    AND l.disbursed_on <= %(as_of)s
    AND (p.min_principal IS NULL OR l.principal >= p.min_principal)
    AND (p.basis <> 'reserve' OR l.buy_rate IS NOT NULL)
    AND NOT EXISTS (SELECT 1 FROM finance_commissionentry e WHERE e.loan_id = l.id AND e.kind = 'accrual')
),
priced AS (
  SELECT due.*,
         round(CASE basis
           WHEN 'rate_based' THEN principal * annual_rate * ratio
           WHEN 'principal_based' THEN principal * ratio
           WHEN 'flat' THEN fixed_amount
           WHEN 'reserve' THEN ratio * GREATEST(0,
             {AMORTISED_INTEREST.format(n="term_months", p="principal", y="LEAST(annual_rate, buy_rate + max_markup)")}
             - {AMORTISED_INTEREST.format(n="term_months", p="principal", y="buy_rate")})
         END, 2) AS uncapped
  FROM due
  OFFSET 0  -- a fence: computed once per loan, not once for each of its four uses below
),
posted AS (
INSERT INTO finance_commissionentry
  (kind, period_id, event_on, loan_id, dealer_id, lender_id, policy_id, amount, basis, principal, annual_rate,
   buy_rate, term_months, credit_grade, ratio, capped, days_on_book, reason, note, statement_reference,
   job_run_id, created_at)
SELECT 'accrual', pp.period_id, disbursed_on, loan_id, dealer_id, lender_id, policy_id,
       LEAST(uncapped, COALESCE(cap_per_loan, uncapped)), basis, principal, annual_rate, buy_rate, term_months,
       credit_grade, CASE WHEN basis = 'flat' THEN NULL ELSE ratio END, uncapped > COALESCE(cap_per_loan, uncapped),
       NULL, '', '', '', %(job_run)s, %(now)s
FROM priced JOIN posting_period pp
  ON pp.event_month = GREATEST(date_trunc('month', disbursed_on)::date,
                               (SELECT min(month) FROM finance_commissionperiod))
{{on_conflict}}
RETURNING amount
)
{POSTED_TOTALS}
"""  # noqa: S608 - only the constant fragments above are interpolated; values are parameters

# A loan paid off early or defaulted inside a clawback window gives back the window's share
# of its accrual (the shortest window that contains the loan's days on book).
CLAWBACKS = f"""
WITH {POSTING_PERIODS},
due AS (
  SELECT a.id AS accrual_id, a.loan_id, a.dealer_id, a.lender_id, a.policy_id, a.amount AS accrued, a.basis,
         l.principal, l.annual_rate, l.buy_rate, l.term_months, l.credit_grade, l.closed_on,
         l.closed_on - l.disbursed_on AS days_on_book, s.share
  FROM {{loans}}
  JOIN finance_commissionentry a ON a.loan_id = l.id AND a.kind = 'accrual'
  JOIN LATERAL (
    SELECT s.share FROM finance_clawbackstep s
    WHERE s.policy_id = a.policy_id AND l.closed_on - l.disbursed_on <= s.within_days
    ORDER BY s.within_days LIMIT 1
  ) s ON true
  WHERE l.status IN ('paid_off_early', 'defaulted') AND l.closed_on <= %(as_of)s AND a.amount > 0
    AND NOT EXISTS (SELECT 1 FROM finance_commissionentry c WHERE c.loan_id = l.id AND c.kind = 'clawback')
),
posted AS (
INSERT INTO finance_commissionentry
  (kind, period_id, event_on, loan_id, dealer_id, lender_id, policy_id, amount, basis, principal, annual_rate,
   buy_rate, term_months, credit_grade, capped, clawback_share, days_on_book, original_id, reason, note,
   statement_reference, job_run_id, created_at)
SELECT 'clawback', pp.period_id, closed_on, loan_id, dealer_id, lender_id, policy_id, -round(accrued * share, 2),
       basis, principal, annual_rate, buy_rate, term_months, credit_grade, false, share, days_on_book, accrual_id,
       '', '', '', %(job_run)s, %(now)s
FROM due JOIN posting_period pp
  ON pp.event_month = GREATEST(date_trunc('month', closed_on)::date, (SELECT min(month) FROM finance_commissionperiod))
WHERE round(accrued * share, 2) > 0
{{on_conflict}}
RETURNING amount
)
{POSTED_TOTALS}
"""  # noqa: S608 - only the constant fragments above are interpolated; values are parameters


# The full posting's anti-join of every disbursed loan against the ledger's accruals hashes a
# few million loan ids: in memory rather than in batches on disk. Merge joins are off: the
# planner underestimates the loans a policy version's date range covers and would sort
# millions of priced loans on disk to merge them with a few dozen posting periods.
POSTING_WORK_MEM = "128MB"

# The queue a nightly run takes: every candidate this transaction sees is deleted (rows queued
# by writers not yet committed stay for the next run; their loans' changes are not seen here
# either) and expanded to the loans it names. Every later statement of the run sees at least
# the changes that queued them. Candidates are only ever inserted by writers, so the DELETE
# neither waits for them nor makes them wait.
BATCH = "posting_batch"
TAKE_CANDIDATES = f"""
WITH taken AS (
  DELETE FROM finance_postingcandidate RETURNING loan_id, lender_id, disbursed_from, disbursed_to
)
INSERT INTO {BATCH} (loan_id)
SELECT loan_id FROM taken WHERE loan_id IS NOT NULL
UNION
SELECT l.id FROM taken t
JOIN finance_loan l ON l.lender_id = t.lender_id AND l.disbursed_on >= t.disbursed_from
 AND (t.disbursed_to IS NULL OR l.disbursed_on <= t.disbursed_to)
WHERE l.status IN ({DISBURSED_STATUSES_SQL})
"""  # noqa: S608 - constants only
# The loans a posting statement reads: all of them, or the batch's, each fetched by its key (the
# fence, OFFSET 0, keeps the planner from hashing the whole loan table against the batch).
ALL_LOANS = "finance_loan l"
QUEUED_LOANS = f"{BATCH} b CROSS JOIN LATERAL (SELECT * FROM finance_loan WHERE id = b.loan_id OFFSET 0) l"  # noqa: S608

# What a run leaves for later: loans whose disbursement or early closure falls after its date
# and is not posted yet (a re-run for a past day, or a loan disbursed today). Queued again, so
# every loan with something still to post is a candidate, whichever run comes next.
REQUEUE_LATER_EVENTS = f"""
INSERT INTO finance_postingcandidate (loan_id)
SELECT l.id FROM {{loans}}
WHERE (l.status IN ({DISBURSED_STATUSES_SQL}) AND l.disbursed_on > %(as_of)s
       AND NOT EXISTS (SELECT 1 FROM finance_commissionentry e WHERE e.loan_id = l.id AND e.kind = 'accrual'))
   OR (l.status IN ({CLAWBACK_STATUSES_SQL}) AND l.closed_on > %(as_of)s
       AND NOT EXISTS (SELECT 1 FROM finance_commissionentry e WHERE e.loan_id = l.id AND e.kind = 'clawback'))
"""  # noqa: S608 - constants only


def commissions_post(*, as_of: date, started_by_id: int | None = None, full: bool = False) -> JobRun:
    """Post every accrual and clawback due by ``as_of``; safe to run again for any day.
    ``full`` reads every loan rather than the queued candidates (which it empties too): the
    first posting and a re-run for an earlier day than the last posting's do so anyway."""
    with tracked_run(POST_JOB, period=as_of.isoformat(), started_by_id=started_by_id) as run, transaction.atomic():
        # Another posting, which would take the same candidates, waits for this one.
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT pg_advisory_xact_lock({POSTING_LOCK_KEY})")
        # Closing a period waits for a posting in progress (and the other way round).
        list(CommissionPeriod.objects.select_for_update().filter(status=PeriodStatus.OPEN).values_list("pk"))
        params = {"as_of": as_of, "job_run": run.pk, "now": timezone.now()}
        bulk = _is_first_large_posting(as_of)
        full = full or bulk or _needs_full_posting(as_of)
        with connection.cursor() as cursor:
            cursor.execute("SELECT set_config('work_mem', %s, true)", [POSTING_WORK_MEM])
            cursor.execute("SELECT set_config('enable_mergejoin', 'off', true)")
            loans = ALL_LOANS if full else QUEUED_LOANS
            _take_candidates(cursor, full=full)
            cursor.execute(ENSURE_PERIODS_OF.format(loans=loans), params)
            upkeep = nullcontext()
            if bulk:  # every index and key of the ledger rebuilt after the load, the primary key too
                upkeep = index_and_key_upkeep_after(LEDGER, unique_indexes=True, primary_key=True)
            with upkeep:
                accrual_sql = ACCRUALS.format(on_conflict="" if bulk else ON_CONFLICT["accrual"], loans=loans)
                cursor.execute(accrual_sql, params)
                accruals, accrued = cursor.fetchone()
                if bulk:
                    # The planner has no figures for the accruals just loaded (and no index on
                    # them): guessing a handful, it would rescan the whole ledger per closed loan.
                    cursor.execute(f"ANALYZE {LEDGER}")
                clawback_sql = CLAWBACKS.format(on_conflict="" if bulk else ON_CONFLICT["clawback"], loans=loans)
                cursor.execute(clawback_sql, params)
                clawbacks, clawed_back = cursor.fetchone()
            cursor.execute(REQUEUE_LATER_EVENTS.format(loans=loans), params)
            if not full:
                cursor.execute(f"DROP TABLE {BATCH}")
        run.rows = accruals + clawbacks
        run.amount = accrued + clawed_back
    return run


def _take_candidates(cursor, *, full: bool) -> None:
    """Empty the queue; for a nightly run, into the temporary table of the loans to read."""
    if full:
        cursor.execute("DELETE FROM finance_postingcandidate")
        return
    cursor.execute(f"DROP TABLE IF EXISTS pg_temp.{BATCH}")
    cursor.execute(f"CREATE TEMPORARY TABLE {BATCH} (loan_id bigint PRIMARY KEY) ON COMMIT DROP")
    cursor.execute(TAKE_CANDIDATES)
    cursor.execute(f"ANALYZE {BATCH}")  # the planner's row count, for the joins below


def _is_first_large_posting(as_of: date) -> bool:
    """The first posting of a network with many loans loads the ledger in bulk. Later nightly
    runs post thousands, not millions, and keep the ledger readable while they run."""
    if CommissionEntry.objects.filter(kind=EntryKind.ACCRUAL).exists():
        return False
    disbursed = Loan.objects.filter(status__in=DISBURSED_STATUSES, disbursed_on__lte=as_of)
    return disbursed.count() >= settings.COMMISSION_BULK_POSTING_MIN_LOANS


def _needs_full_posting(as_of: date) -> bool:
    """The first posting reads every loan (loans loaded before the queue's triggers, or with
    them bypassed, were never queued), and so does a re-run for a day before the last
    successful posting's: a correction, rare enough to afford reading every loan once."""
    if not CommissionEntry.objects.filter(kind=EntryKind.ACCRUAL).exists():
        return True
    last = (
        JobRun.objects.filter(job=POST_JOB, status=JobStatus.SUCCEEDED)
        .order_by("-period")
        .values_list("period", flat=True)
        .first()
    )
    return last is not None and as_of.isoformat() < last


@dataclass(frozen=True)
class Adjustment:
    """An adjustment as finance staff enter it: for a loan, or for a dealer and lender."""

    amount: Decimal
    reason: str
    note: str
    event_on: date
    loan: Loan | None = None
    dealer: Dealer | None = None
    lender: Lender | None = None
    period: CommissionPeriod | None = None


@transaction.atomic
def adjustment_post(*, adjustment: Adjustment, entered_by: User) -> CommissionEntry:
    """Book an adjustment into an open period (by default the event's month, or the first
    open one after it when that month is closed)."""
    errors: dict[str, str] = {}
    amount = adjustment.amount.quantize(FEN, rounding=ROUND_HALF_UP)
    if amount == 0:
        errors["amount"] = _("An adjustment cannot be zero.")
    if adjustment.reason not in AdjustmentReason.values:
        errors["reason"] = _("Choose the reason for the adjustment.")
    if not adjustment.note.strip():
        errors["note"] = _("Explain the adjustment.")
    loan = adjustment.loan
    dealer = loan.dealer if loan else adjustment.dealer
    lender = loan.lender if loan else adjustment.lender
    if dealer is None:
        errors["dealer"] = _("Name the loan, or the dealer and the lender.")
    if lender is None:
        errors["lender"] = _("Name the loan, or the dealer and the lender.")
    refusal = adjustment_date_refusal(event_on=adjustment.event_on, loan=loan)
    if refusal:
        errors["event_on"] = refusal
    period = adjustment.period
    if period is not None:
        period = CommissionPeriod.objects.select_for_update().get(pk=period.pk)
        if not period.is_open:
            errors["period"] = _("Period %(period)s is closed: choose an open period.") % {"period": period}
    else:
        period = open_period_for(adjustment.event_on)
    if errors:
        raise ValidationError(errors)
    ensure_not_future(event_on=adjustment.event_on)
    entry = CommissionEntry(
        kind=EntryKind.ADJUSTMENT,
        period=period,
        event_on=adjustment.event_on,
        loan=loan,
        dealer=dealer,
        lender=lender,
        amount=amount,
        reason=adjustment.reason,
        note=adjustment.note.strip(),
        created_by=entered_by,
    )
    entry.save()
    return entry


def adjustment_date_refusal(*, event_on: date, loan: Loan | None) -> str | None:
    """Why an adjustment cannot be dated ``event_on``, or None: 1900-01-01 is a typing mistake,
    not a correction to book into the open month. A loan's adjustment cannot predate the loan's
    application; any other cannot be older than the longest loan term before the ledger's first
    month (this month while the ledger is empty): no commission of the ledger reaches back further."""
    if loan is not None:
        if event_on < loan.applied_on:
            return _("The event date %(date)s is before loan %(loan)s was applied for (%(applied)s).") % {
                "date": event_on,
                "loan": loan.reference,
                "applied": loan.applied_on,
            }
        return None
    first_month = CommissionPeriod.objects.order_by("month").values_list("month", flat=True).first()
    earliest = (first_month or today().replace(day=1)) - relativedelta(months=MAX_TERM_MONTHS)
    if event_on < earliest:
        return _("The event date %(date)s is before %(earliest)s: no commission in the ledger goes back that far.") % {
            "date": event_on,
            "earliest": earliest,
        }
    return None


def open_period_for(day: date) -> CommissionPeriod:
    """The open period an event of ``day`` is booked in, by the nightly posting's rule: its
    own month while open, else the first open month after it (created when missing)."""
    month = day.replace(day=1)
    first_month = CommissionPeriod.objects.order_by("month").values_list("month", flat=True).first()
    if first_month is None or month >= first_month:
        CommissionPeriod.objects.get_or_create(month=month)
    else:
        month = first_month
    period = (
        CommissionPeriod.objects.select_for_update()
        .filter(status=PeriodStatus.OPEN, month__gte=month)
        .order_by("month")
        .first()
    )
    if period is None:
        last_closed = CommissionPeriod.objects.filter(status=PeriodStatus.CLOSED).order_by("-month").first()
        period = CommissionPeriod.objects.create(month=last_closed.month + relativedelta(months=1))
    return period


def first_open_period() -> CommissionPeriod | None:
    return CommissionPeriod.objects.filter(status=PeriodStatus.OPEN).order_by("month").first()


def period_close_refusal(*, period: CommissionPeriod, first_open: CommissionPeriod | None) -> str | None:
    """Why ``period`` cannot be closed now, or None. ``first_open`` is the earliest open period
    (``first_open_period()``): months close in order, and only once they have ended. Shared by
    the close action and the period pages, which offer 关账 only when it would be accepted."""
    if not period.is_open:
        return _("Period %(period)s is already closed.") % {"period": period}
    if period.month >= today().replace(day=1):
        return _("Period %(period)s has not ended yet: it can be closed from %(date)s.") % {
            "period": period,
            "date": period.month + relativedelta(months=1),
        }
    if first_open is not None and first_open.month < period.month:
        return _("Close %(earlier)s first: periods close in order.") % {"earlier": first_open}
    return None


@transaction.atomic
def period_close(*, period: CommissionPeriod, closed_by: User) -> CommissionPeriod:
    """Close a period for good. Months close in order: every earlier period must be closed."""
    period = CommissionPeriod.objects.select_for_update().get(pk=period.pk)
    refusal = period_close_refusal(period=period, first_open=first_open_period())
    if refusal:
        raise ValidationError({"period": refusal})
    period.status = PeriodStatus.CLOSED
    period.closed_at = timezone.now()
    period.closed_by = closed_by
    period.save(update_fields=["status", "closed_at", "closed_by"])
    return period
