"""Celery entry point for the data-quality job: a thin wrapper that calls one service."""

from datetime import date

from celery import shared_task

from datahub.quality.services import data_quality_nightly
from dealerops.validation import today


@shared_task(acks_late=True)  # idempotent: scores, issues and alerts are upserted per month
def compute_data_quality(as_of: str | None = None, started_by_id: int | None = None) -> list[int]:
    """Nightly: last month, this month to date, and past months with sales written since
    yesterday; ``as_of`` (ISO date) re-runs as if on that day."""
    runs = data_quality_nightly(as_of=date.fromisoformat(as_of) if as_of else today(), started_by_id=started_by_id)
    return [run.pk for run in runs]
