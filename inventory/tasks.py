"""Celery entry points for inventory jobs: thin wrappers that call one service."""

from datetime import date

from celery import shared_task

from dealerops.validation import today
from inventory.alerts import stock_alerts_run
from inventory.forecasting.services import forecast_region_job, forecast_week_run


@shared_task(acks_late=True)  # idempotent: the week's rows are upserted per (dealer, model, target week)
def forecast_weekly(as_of: str | None = None, started_by_id: int | None = None) -> int:
    """Weekly (Monday): forecast the 12 weeks from the week of ``as_of`` (ISO date, today by
    default), one chunk per region; returns the run's id."""
    return forecast_week_run(as_of=date.fromisoformat(as_of) if as_of else today(), started_by_id=started_by_id).pk


@shared_task(acks_late=True)  # idempotent: a chunk rewrites its region's rows and counts itself once
def forecast_region(run_id: int, region_id: int) -> int:
    """One region's chunk of a weekly forecast run (sent by ``forecast_weekly`` to the workers)."""
    return forecast_region_job(run_id=run_id, region_id=region_id).pk


@shared_task(acks_late=True)  # idempotent: alerts are upserted on their live key, a re-run changes nothing
def stock_alerts(as_of: str | None = None, started_by_id: int | None = None) -> int:
    """Nightly: open, update and resolve stock alerts; ``as_of`` (ISO date) as of that day."""
    return stock_alerts_run(as_of=date.fromisoformat(as_of) if as_of else today(), started_by_id=started_by_id).pk
