"""Celery entry points of the kernel: thin wrappers that call one service."""

from celery import shared_task

from dealerops.jobs import job_runs_fail_abandoned


@shared_task  # every few minutes (dealerops.schedules.UPKEEP)
def fail_abandoned_job_runs() -> int:
    """Mark failed the job runs whose worker died mid-way (their lease ran out)."""
    return job_runs_fail_abandoned()
