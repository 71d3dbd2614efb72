"""Background export jobs: a large export's rows are written into a file by a Celery task while
the user watches a progress bar, then downloaded from the job's page (``dealerops.export_views``).

The task computes the rows the way the request would have: it calls the same view for the
same page and query, as the job's owner (so ``dealerops.access.scope`` narrows them exactly as
for the request) and in the owner's language, with ``dealerops.exports.export_sink`` set so
that ``tabular_response`` writes into the job's file instead of answering.
"""

import logging
import os
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import QuerySet
from django.db.models.functions import Coalesce
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.urls import resolve
from django.utils import timezone, translation
from django.utils.formats import number_format
from django.utils.translation import gettext as _

from dealerops.access import scope
from dealerops.exports import (
    CSV_LINE_END,
    ExportName,
    ExportRows,
    ExportTooLarge,
    Header,
    PreparedRows,
    RowCount,
    XlsxStyles,
    export_sink,
    write_export,
)
from dealerops.jobs import tracked_run
from dealerops.leases import abandoned_release, heartbeat_text, lease_kept, lease_renewal
from dealerops.models import ExportJob, ExportStatus, JobRun, User

logger = logging.getLogger(__name__)

PROGRESS_EVERY = 1000  # rows between two progress updates


def export_root() -> Path:
    return Path(settings.EXPORT_ROOT)


@transaction.atomic
def export_job_create(*, request: HttpRequest, fmt: str, name: ExportName, title: str) -> ExportJob:
    """Record the export the request asked for and queue its task (after the commit)."""
    return _queue(
        owner=request.user,
        title=title[:200],
        fmt=fmt,
        path=request.path,
        query=request.GET.urlencode(),
        language=translation.get_language() or settings.LANGUAGE_CODE,
        file_name=f"{name.text}.{fmt}"[:255],
        ascii_file_name=f"{name.ascii}.{fmt}"[:255],
    )


@transaction.atomic
def export_job_retry(*, job: ExportJob) -> ExportJob:
    """A failed export again, as a new job of the same page and query; the failed one goes."""
    retried = _queue(
        owner=job.owner,
        title=job.title,
        fmt=job.fmt,
        path=job.path,
        query=job.query,
        language=job.language,
        file_name=job.file_name,
        ascii_file_name=job.ascii_file_name,
    )
    _delete_files(job)
    job.delete()
    return retried


def _queue(**what: Any) -> ExportJob:
    """A new queued job, kept for EXPORT_KEEP_HOURS, with its task sent after the commit. Its
    lease is how long it may wait for a worker (a task lost on its way to one leaves it
    queued); the worker that claims it renews the lease from then on."""
    now = timezone.now()
    job = ExportJob.objects.create(
        **what,
        heartbeat_at=None,
        lease_expires_at=now + timedelta(minutes=settings.EXPORT_WAIT_MINUTES),
        expires_at=now + timedelta(hours=settings.EXPORT_KEEP_HOURS),
    )
    _enqueue(job)
    return job


def _enqueue(job: ExportJob) -> None:
    # The tasks module imports this one: imported here, when a job is queued.
    from dealerops import tasks

    transaction.on_commit(lambda: tasks.run_export.delay(job.pk))


def export_job_run(*, job_id: int) -> ExportJob | None:
    """Write the job's file. Claimed with a conditional UPDATE, so two deliveries of the task
    never write the same job; a failure is recorded on the job, with its reason. None when the
    job is gone (retried or expired before a worker took it). The job's lease is renewed while
    it writes, so a worker killed mid-way is found out (``export_jobs_fail_abandoned``)."""
    claimed = ExportJob.objects.filter(pk=job_id, status=ExportStatus.QUEUED).update(
        status=ExportStatus.RUNNING, started_at=timezone.now(), **lease_renewal()
    )
    job = ExportJob.objects.select_related("owner").filter(pk=job_id).first()
    if job is None or not claimed:
        return job
    sink = _JobSink(job)
    token = export_sink.set(sink)
    try:
        with (
            lease_kept(ExportJob.objects.filter(pk=job_id, status=ExportStatus.RUNNING)),
            translation.override(job.language),
        ):
            try:
                _call_view(job)
                if not sink.written:
                    raise Http404
            except ExportTooLarge as error:
                _fail(job, _too_large_message(error))
            except (Http404, PermissionDenied):
                _fail(job, _("These rows cannot be exported any more (the page or your access to it has changed)."))
            except Exception as error:
                logger.exception("export job %s failed", job.pk)
                _fail(job, _("The export failed: %(error)s") % {"error": f"{type(error).__name__}: {error}"})
    finally:
        export_sink.reset(token)
    job.refresh_from_db()
    return job


def _too_large_message(error: ExportTooLarge) -> str:
    return _(
        "This export has more rows than an Excel sheet holds (%(limit)s besides the header). "
        "Narrow the filters or export CSV."
    ) % {"limit": number_format(error.max_rows, force_grouping=True)}


def _call_view(job: ExportJob) -> HttpResponse:
    """The job's page, asked for by its owner: the view's own scoping and checks apply."""
    request = HttpRequest()
    request.method = "GET"
    request.path = request.path_info = job.path
    request.GET = QueryDict(job.query)
    request.META = {"QUERY_STRING": job.query, "SERVER_NAME": "export-job", "SERVER_PORT": "80"}
    request.user = job.owner
    request.LANGUAGE_CODE = job.language
    match = resolve(job.path)
    return match.func(request, *match.args, **match.kwargs)


class _JobSink:
    """Receives the rows ``tabular_response`` is given and writes them into the job's file."""

    def __init__(self, job: ExportJob) -> None:
        self.job = job
        self.written = False

    def write(
        self,
        *,
        fmt: str,
        headers: Sequence[Header],
        rows: ExportRows,
        sheet_title: str,
        count: RowCount | None,
    ) -> HttpResponse:
        job = self.job
        total = count(None) if count is not None else None
        ExportJob.objects.filter(pk=job.pk).update(rows_total=total)
        root = export_root()
        root.mkdir(parents=True, exist_ok=True)
        stored_as = f"{job.pk}.{fmt}"
        partial = root / f"{stored_as}.part"
        try:
            with open(partial, "wb") as output:
                counted = (
                    _CountedChunks(rows, self._progress) if isinstance(rows, PreparedRows) else self._counted(rows)
                )
                write_export(output, fmt=fmt, headers=headers, rows=counted, sheet_title=sheet_title)
            # Renamed only once complete: a file that is there is a whole export.
            os.replace(partial, root / stored_as)
        except BaseException:
            partial.unlink(missing_ok=True)
            raise
        ExportJob.objects.filter(pk=job.pk, status=ExportStatus.RUNNING).update(
            status=ExportStatus.SUCCEEDED,
            stored_as=stored_as,
            finished_at=timezone.now(),
            # Progress counted CSV lines, which a quoted line break can outnumber the rows by.
            rows_done=Coalesce("rows_total", "rows_done"),
        )
        self.written = True
        return HttpResponse(status=204)

    def _counted(self, rows: Iterable[Sequence[Any]]) -> Iterator[Sequence[Any]]:
        done = 0
        for row in rows:
            yield row
            done += 1
            if done % PROGRESS_EVERY == 0:
                ExportJob.objects.filter(pk=self.job.pk).update(rows_done=done)
        self._progress(done)

    def _progress(self, done: int) -> None:
        ExportJob.objects.filter(pk=self.job.pk).update(rows_done=done)


class _CountedChunks:
    """Prepared rows that say how many rows are written after each chunk (a query's chunk
    is thousands of rows: one update each, not one per PROGRESS_EVERY rows)."""

    def __init__(self, rows: PreparedRows, progress: Callable[[int], None]) -> None:
        self.rows = rows
        self.progress = progress

    def csv_text(self) -> Iterator[str]:
        done = 0
        for block in self.rows.csv_text():
            yield block
            # Lines, not rows: a quoted value may hold a line break. The finished job says all.
            done += block.count(CSV_LINE_END)
            self.progress(done)

    def xlsx_chunks(self, styles: XlsxStyles) -> Iterator[Sequence[str]]:
        return self._counted(self.rows.xlsx_chunks(styles))

    def _counted(self, chunks: Iterator[Sequence[Any]]) -> Iterator[Sequence[Any]]:
        done = 0
        for chunk in chunks:
            yield chunk
            done += len(chunk)
            self.progress(done)
        self.progress(done)


def _fail(job: ExportJob, reason: str) -> None:
    ExportJob.objects.filter(pk=job.pk).update(status=ExportStatus.FAILED, error=reason, finished_at=timezone.now())


def export_jobs_fail_abandoned(*, jobs: QuerySet | None = None) -> int:
    """Mark failed the exports (of ``jobs``, or all) whose lease has run out: a running one's
    worker stopped renewing it (killed mid-way), a queued one was never taken by a worker. The
    user may retry them at once. Returns how many were marked."""
    waiting = (jobs if jobs is not None else ExportJob.objects.all()).filter(
        status__in=[ExportStatus.QUEUED, ExportStatus.RUNNING]
    )
    return abandoned_release(waiting, _abandoned_export_failure)


def _abandoned_export_failure(status: str, heartbeat_at: datetime | None) -> dict[str, Any]:
    if status == ExportStatus.QUEUED:
        reason = _("No worker started the export within %(minutes)s minutes: retry it.") % {
            "minutes": settings.EXPORT_WAIT_MINUTES
        }
    else:
        reason = _("The worker stopped responding at %(time)s and the export was abandoned: retry it.") % {
            "time": heartbeat_text(heartbeat_at)
        }
    return {"status": ExportStatus.FAILED, "error": reason, "finished_at": timezone.now()}


def exports_clean(*, started_by_id: int | None = None) -> JobRun:
    """The hourly job: delete the exports past their expiry, with their files. Its run's rows
    are the exports deleted."""
    with tracked_run(
        "dealerops.clean_exports", period=timezone.localdate().isoformat(), started_by_id=started_by_id
    ) as run:
        expired = list(ExportJob.objects.filter(expires_at__lte=timezone.now()))
        for job in expired:
            _delete_files(job)
        ExportJob.objects.filter(pk__in=[job.pk for job in expired]).delete()
        run.rows = len(expired)
    return run


def _delete_files(job: ExportJob) -> None:
    root = export_root()
    # A job marked dead while its worker still finished leaves its file without naming it.
    for name in {job.stored_as, f"{job.pk}.{job.fmt}", f"{job.pk}.{job.fmt}.part"} - {""}:
        (root / name).unlink(missing_ok=True)


def export_job_file(job: ExportJob) -> Path:
    return export_root() / job.stored_as


def visible_exports(user: User):
    """The user's own exports that have not expired, newest first."""
    return scope(user, ExportJob).filter(expires_at__gt=timezone.now())
