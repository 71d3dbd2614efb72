"""Celery entry points of the kernel: thin wrappers that call one service."""

from celery import shared_task

from dealerops.export_jobs import export_job_run, export_jobs_fail_abandoned, exports_clean
from dealerops.jobs import job_runs_fail_abandoned


@shared_task  # every few minutes (dealerops.schedules.UPKEEP_JOBS)
def fail_abandoned_job_runs() -> int:
    """Mark failed the job runs whose worker died mid-way (their lease ran out)."""
    return job_runs_fail_abandoned()


@shared_task  # every few minutes (dealerops.schedules.UPKEEP_JOBS)
def fail_abandoned_exports() -> int:
    """Mark failed the exports whose worker died mid-way or never took them (their lease ran out)."""
    return export_jobs_fail_abandoned()


@shared_task  # not acks_late: a redelivery while the first run still writes is refused by the claim anyway
def run_export(job_id: int) -> str:
    job = export_job_run(job_id=job_id)
    return job.status if job is not None else ""


@shared_task(acks_late=True)  # idempotent: deletes what has expired
def clean_exports() -> int:
    return exports_clean().pk
