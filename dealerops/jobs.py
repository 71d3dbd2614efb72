"""Recording background job runs. The JobRun row is written outside the job's own transaction,
so a failed run is recorded even though the job's writes were rolled back."""

from collections.abc import Iterator
from contextlib import contextmanager

import pghistory
from django.utils import timezone

from dealerops.models import JobRun, JobStatus


@contextmanager
def tracked_run(job: str, *, period: str = "", started_by_id: int | None = None) -> Iterator[JobRun]:
    """Record a run of ``job``; the body sets ``run.rows`` (and ``run.amount``).
    Exceptions are recorded, then re-raised."""
    run = JobRun.objects.create(job=job, period=period, started_by_id=started_by_id)
    try:
        with pghistory.context(job=job, job_run=run.pk):
            yield run
    except Exception as error:
        JobRun.objects.filter(pk=run.pk).update(
            status=JobStatus.FAILED, finished_at=timezone.now(), rows=0, error=f"{type(error).__name__}: {error}"
        )
        raise
    JobRun.objects.filter(pk=run.pk).update(
        status=JobStatus.SUCCEEDED, finished_at=timezone.now(), rows=run.rows, amount=run.amount
    )
    run.refresh_from_db()
