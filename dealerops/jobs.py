"""Recording background job runs, and starting a nightly job by hand.

The JobRun row is written outside the job's own transaction, so a failed run is recorded even
though the job's writes were rolled back. While the job runs its process renews the row's
lease (``dealerops.leases``); a run whose process died is marked failed by the next run of
the same job, by the operations page and by a periodic task, and can be started again."""

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime
from typing import Any

import pghistory
from django.db import connection, transaction
from django.utils import timezone
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

from dealerops.celery import app as celery_app
from dealerops.leases import abandoned_release, heartbeat_text, lease_kept, lease_renewal
from dealerops.models import JobRun, JobStatus
from dealerops.schedules import NightlyJob

logger = logging.getLogger(__name__)


@contextmanager
def tracked_run(job: str, *, period: str = "", started_by_id: int | None = None) -> Iterator[JobRun]:
    """Record a run of ``job``; the body sets ``run.rows`` (and ``run.amount``).
    Exceptions are recorded, then re-raised."""
    job_runs_fail_abandoned(job=job)
    run = JobRun.objects.create(job=job, period=period, started_by_id=started_by_id, **lease_renewal())
    try:
        with (
            lease_kept(JobRun.objects.filter(pk=run.pk, status=JobStatus.RUNNING)),
            pghistory.context(job=job, job_run=run.pk),
        ):
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


def job_runs_fail_abandoned(*, job: str | None = None) -> int:
    """Mark failed the runs (of ``job``, or of any job) whose process stopped renewing their
    lease: killed mid-way, they would show "running" for ever. Their transaction died with
    them, so nothing they wrote was kept. Returns how many were marked."""
    running = JobRun.objects.filter(status=JobStatus.RUNNING)
    if job is not None:
        running = running.filter(job=job)
    return abandoned_release(running, _abandoned_run_failure)


def _abandoned_run_failure(status: str, heartbeat_at: datetime | None) -> dict[str, Any]:
    return {
        "status": JobStatus.FAILED,
        "finished_at": timezone.now(),
        "error": _(
            "The worker stopped responding at %(time)s and the run was abandoned (nothing it wrote was kept): "
            "start the job again."
        )
        % {"time": heartbeat_text(heartbeat_at)},
    }


def job_start(*, job: NightlyJob, as_of: date, started_by_id: int | None) -> None:
    """Start ``job`` for ``as_of`` (see ``task_start``)."""
    task_start(job.task, {"as_of": as_of.isoformat(), "started_by_id": started_by_id})


def task_start(task_name: str, kwargs: dict[str, Any]) -> None:
    """Start the task ``task_name`` (its dotted name) with ``kwargs`` (plain JSON values) once
    the caller's transaction commits, without waiting for it. With a broker it is sent to a
    worker by its name (a web process has not imported the task modules: its Celery registry
    does not know them); without one (tasks run eagerly, ``make run``) a thread of this process
    runs it, so the page answers at once either way and shows the run's progress."""
    if celery_app.conf.task_always_eager:
        transaction.on_commit(lambda: _run_in_thread(task_name, kwargs))
    else:
        transaction.on_commit(lambda: celery_app.send_task(task_name, kwargs=kwargs))


def _run_in_thread(task_name: str, kwargs: dict) -> None:
    task = import_string(task_name)

    def run() -> None:
        try:
            task(**kwargs)
        except Exception:  # recorded on the JobRun; logged here as a worker would
            logger.exception("job %s failed", task_name)
        finally:
            connection.close()  # the thread's own connection

    # Not a daemon: a server shutting down lets the job finish (one killed is failed by its lease).
    threading.Thread(target=run, name=f"job {task_name}").start()
