"""Celery entry points for inventory jobs: thin wrappers that call one service."""

from datetime import date

from celery import shared_task

from dealerops.validation import today
from inventory.alerts import stock_alerts_run


@shared_task(acks_late=True)  # idempotent: alerts are upserted on their live key, a re-run changes nothing
def stock_alerts(as_of: str | None = None, started_by_id: int | None = None) -> int:
    """Nightly: open, update and resolve stock alerts; ``as_of`` (ISO date) as of that day."""
    return stock_alerts_run(as_of=date.fromisoformat(as_of) if as_of else today(), started_by_id=started_by_id).pk
