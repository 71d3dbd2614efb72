"""Celery entry points for finance jobs: thin wrappers that call one service."""

from datetime import date

from celery import shared_task

from dealerops.validation import today
from finance.services.ledger import commissions_post
from finance.services.loans import loans_mature
from finance.services.summaries import exposure_nightly


@shared_task(acks_late=True)  # idempotent: safe to run again after a worker crash
def mature_loans(as_of: str | None = None, started_by_id: int | None = None) -> int:
    """Nightly: close loans whose term has run out. ``as_of`` (ISO date) re-runs a past day."""
    run = loans_mature(as_of=date.fromisoformat(as_of) if as_of else today(), started_by_id=started_by_id)
    return run.pk


@shared_task(acks_late=True)  # idempotent: the ledger's unique keys refuse a second posting
def post_commissions(as_of: str | None = None, started_by_id: int | None = None, full: bool = False) -> int:
    """Nightly: post the commission accruals and clawbacks due by ``as_of`` (ISO date).
    ``full`` reads every loan instead of the ones queued since the last run (after loans were
    written with the database's triggers bypassed, say)."""
    run = commissions_post(
        as_of=date.fromisoformat(as_of) if as_of else today(), started_by_id=started_by_id, full=full
    )
    return run.pk


@shared_task(acks_late=True)  # idempotent: it replaces the snapshots of the days it computes
def refresh_exposure(as_of: str | None = None, started_by_id: int | None = None) -> int:
    """Nightly, after the loans matured and the ledger posted: the risk report's live loans and
    exposure on ``as_of`` (ISO date) and on the month ends before it."""
    run = exposure_nightly(as_of=date.fromisoformat(as_of) if as_of else today(), started_by_id=started_by_id)
    return run.pk
