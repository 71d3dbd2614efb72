"""Large exports as background jobs, as their user meets them: the export link leads to a
progress page, then to a download of the rows that user may see; nobody else opens the job;
a job whose worker died says so and can be retried; expired files are cleaned up. And the
file names and rates every export writes."""

import csv
import datetime as dt
import io
import time
from decimal import Decimal
from urllib.parse import quote

import pytest
from django.utils import timezone
from openpyxl import load_workbook

from dealerops import export_jobs, exports
from dealerops.export_jobs import exports_clean
from dealerops.leases import heartbeat_text, lease_renewal
from dealerops.models import ExportJob, ExportStatus, JobRun, JobStatus
from dealerops.tasks import fail_abandoned_exports
from dealerops.validation import today
from tests.factories import CommissionEntryFactory, ExportJobFactory, LoanFactory, SaleFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def background(settings, tmp_path):
    """Every export of two rows or more runs as a job; files go to a folder of the test's own."""
    settings.EXPORT_BACKGROUND_MIN_ROWS = 2
    settings.EXPORT_ROOT = tmp_path / "exports"
    return settings.EXPORT_ROOT


def loans(dealer, *references: str, rate: str = "0.050000") -> None:
    for reference in references:
        LoanFactory(reference=reference, sale=SaleFactory(dealer=dealer, payment="loan"), annual_rate=Decimal(rate))


def export(client, url: str, params: dict, capture):
    """Ask for the export; its task runs when the request's transaction commits (eager Celery)."""
    with capture(execute=True):
        return client.get(url, params)


def download_text(client, job: ExportJob) -> str:
    response = client.get(f"/exports/{job.pk}/download/")
    assert response.status_code == 200
    return b"".join(response.streaming_content).decode("utf-8-sig")


def test_a_large_export_leads_to_a_progress_page_then_to_the_file_of_the_users_own_rows(
    network, client_for, background, django_capture_on_commit_callbacks
):
    loans(network.home_dealer, "LNHOME1", "LNHOME2")
    loans(network.foreign_dealer, "LNFOREIGN1")
    client = client_for(network.regional_manager)

    response = export(client, "/loans/", {"export": "csv", "status": ""}, django_capture_on_commit_callbacks)

    job = ExportJob.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/exports/{job.pk}/"
    page = client.get(response["Location"]).content.decode()
    assert "The file is ready: 2 rows." in page
    assert f'href="/exports/{job.pk}/download/"' in page
    rows = list(csv.reader(io.StringIO(download_text(client, job))))
    assert sorted(row[0] for row in rows[1:]) == ["LNHOME1", "LNHOME2"]  # the manager's scope, not the foreign loan
    assert (job.owner, job.rows_total) == (network.regional_manager, 2)
    assert "Loans" in client.get("/exports/").content.decode()


def test_a_small_export_still_downloads_at_once(network, client_for, background):
    loans(network.home_dealer, "LNHOME1")

    response = client_for(network.dealer_user).get("/loans/", {"export": "csv"})

    assert response.status_code == 200 and response.streaming
    assert not ExportJob.objects.exists()


@pytest.mark.parametrize("path", ["/exports/{pk}/", "/exports/{pk}/progress/", "/exports/{pk}/download/"])
def test_another_user_gets_404_for_the_job_its_progress_and_its_file_even_head_office(
    network, client_for, background, django_capture_on_commit_callbacks, path
):
    loans(network.home_dealer, "LNHOME1", "LNHOME2")
    export(client_for(network.dealer_user), "/loans/", {"export": "xlsx"}, django_capture_on_commit_callbacks)
    job = ExportJob.objects.get(status=ExportStatus.SUCCEEDED)

    for other in (network.regional_manager, network.head_office):
        assert client_for(other).get(path.format(pk=job.pk)).status_code == 404
        assert job.file_name not in client_for(other).get("/exports/").content.decode()
    assert client_for(network.dealer_user).get(path.format(pk=job.pk)).status_code == 200


def test_the_progress_page_shows_the_rows_written_so_far_and_polls_for_more(network, client_for):
    job = ExportJobFactory(owner=network.finance_user, status=ExportStatus.RUNNING, rows_done=4000, rows_total=12000)
    client = client_for(network.finance_user)

    page = client.get(f"/exports/{job.pk}/").content.decode()
    progress = client.get(f"/exports/{job.pk}/progress/").json()

    assert '<progress id="export-progress-bar" max="12000" value="4000">' in page
    assert "4,000 of 12,000 rows written" in page
    assert progress == {
        "status": "running",
        "status_label": "Running",
        "rows_done": 4000,
        "rows_total": 12000,
        "running": True,
    }


def test_the_job_reports_its_progress_as_it_writes(network, client_for, background, monkeypatch):
    loans(network.home_dealer, "LNHOME1", "LNHOME2", "LNHOME3")
    monkeypatch.setattr(exports, "CSV_CHUNK_CHARS", 1)  # the CSV COPY wrote, handed on a line a block
    seen = []
    original = export_jobs._CountedChunks.csv_text

    def watched(counted):
        for block in original(counted):
            seen.append(ExportJob.objects.values_list("rows_done", "rows_total").get(pk=job.pk))
            yield block

    monkeypatch.setattr(export_jobs._CountedChunks, "csv_text", watched)
    job = ExportJobFactory(owner=network.dealer_user, query="export=csv")

    export_jobs.export_job_run(job_id=job.pk)

    assert seen == [(0, 3), (1, 3), (2, 3)]  # before each chunk is written, what the page would show
    job.refresh_from_db()
    assert (job.status, job.rows_done, job.rows_total) == (ExportStatus.SUCCEEDED, 3, 3)


def test_a_job_of_plain_rows_reports_its_progress_every_few_rows(network, background, monkeypatch):
    CommissionEntryFactory.create_batch(2)  # a report's rows are plain values, not a query's
    monkeypatch.setattr(export_jobs, "PROGRESS_EVERY", 1)
    seen = []
    original = export_jobs._JobSink._counted

    def watched(sink, rows):
        for row in original(sink, rows):
            seen.append(ExportJob.objects.values_list("rows_done", flat=True).get(pk=sink.job.pk))
            yield row

    monkeypatch.setattr(export_jobs._JobSink, "_counted", watched)
    job = ExportJobFactory(
        owner=network.finance_user,
        path="/commissions/reports/ledger/",
        query="export=csv&first_month=2025-01&last_month=2025-03",
    )

    export_jobs.export_job_run(job_id=job.pk)

    job.refresh_from_db()
    assert job.status == ExportStatus.SUCCEEDED, job.error
    assert seen == list(range(job.rows_done)) and job.rows_done >= 2


def test_the_xlsx_file_holds_the_rows_with_rates_as_percentages(
    network, client_for, background, django_capture_on_commit_callbacks
):
    loans(network.home_dealer, "LNHOME1", "LNHOME2", rate="0.007000")
    client = client_for(network.dealer_user)
    export(client, "/loans/", {"export": "xlsx"}, django_capture_on_commit_callbacks)
    job = ExportJob.objects.get()

    response = client.get(f"/exports/{job.pk}/download/")

    assert response["Content-Disposition"] == f'attachment; filename="loans-{today().isoformat()}.xlsx"'
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    header = [cell.value for cell in sheet[1]]
    rate = sheet.cell(row=2, column=header.index("Annual rate") + 1)
    assert (rate.value, rate.number_format) == (0.007, "0.00%")
    assert sheet.title == "Loans"


def test_a_job_whose_worker_died_is_marked_failed_with_its_reason_and_can_be_retried(
    network, client_for, background, django_capture_on_commit_callbacks
):
    loans(network.home_dealer, "LNHOME1", "LNHOME2")
    silent_since = timezone.now() - dt.timedelta(minutes=2)
    stalled = ExportJobFactory(
        owner=network.dealer_user,
        status=ExportStatus.RUNNING,
        rows_done=1000,
        heartbeat_at=silent_since,
        lease_expires_at=silent_since + dt.timedelta(minutes=1),
    )
    client = client_for(network.dealer_user)

    page = client.get(f"/exports/{stalled.pk}/").content.decode()

    silent_at = heartbeat_text(silent_since)
    assert f"The worker stopped responding at {silent_at} and the export was abandoned: retry it." in page
    assert f'action="/exports/{stalled.pk}/retry/"' in page
    with django_capture_on_commit_callbacks(execute=True):
        retried = client.post(f"/exports/{stalled.pk}/retry/")
    job = ExportJob.objects.get()
    assert retried["Location"] == f"/exports/{job.pk}/"
    assert job.status == ExportStatus.SUCCEEDED
    assert "LNHOME1" in download_text(client, job)


def test_my_exports_lists_an_export_whose_worker_died_as_failed(network, client_for):
    silent_since = timezone.now() - dt.timedelta(minutes=2)
    dead = ExportJobFactory(
        owner=network.dealer_user, status=ExportStatus.RUNNING, heartbeat_at=silent_since, lease_expires_at=silent_since
    )
    alive = ExportJobFactory(owner=network.dealer_user, status=ExportStatus.RUNNING, **lease_renewal())

    page = client_for(network.dealer_user).get("/exports/")

    statuses = dict(ExportJob.objects.values_list("pk", "status"))
    assert statuses == {dead.pk: ExportStatus.FAILED, alive.pk: ExportStatus.RUNNING}
    assert [job.status for job in page.context["object_list"]] == [ExportStatus.RUNNING, ExportStatus.FAILED]


def test_a_running_job_with_a_recent_heartbeat_is_left_running(network, client_for):
    job = ExportJobFactory(owner=network.dealer_user, status=ExportStatus.RUNNING, **lease_renewal())

    client_for(network.dealer_user).get(f"/exports/{job.pk}/progress/")

    job.refresh_from_db()
    assert job.status == ExportStatus.RUNNING


def test_the_cleanup_deletes_expired_exports_and_their_files_and_keeps_the_others(network, background):
    background.mkdir(parents=True)
    expired = ExportJobFactory(
        owner=network.dealer_user,
        status=ExportStatus.SUCCEEDED,
        stored_as="1.csv",
        expires_at=timezone.now() - dt.timedelta(minutes=1),
    )
    kept = ExportJobFactory(owner=network.dealer_user, status=ExportStatus.SUCCEEDED, stored_as="2.csv")
    (background / "1.csv").write_text("old")
    (background / "2.csv").write_text("new")

    run = exports_clean()

    assert list(ExportJob.objects.all()) == [kept]
    assert [path.name for path in background.iterdir()] == ["2.csv"]
    assert (run.job, run.status, run.rows) == ("dealerops.clean_exports", JobStatus.SUCCEEDED, 1)
    assert JobRun.objects.filter(pk=run.pk).exists()
    assert expired.pk not in ExportJob.objects.values_list("pk", flat=True)


def test_an_expired_export_is_no_longer_listed_or_downloadable(network, client_for, background):
    job = ExportJobFactory(
        owner=network.dealer_user,
        status=ExportStatus.SUCCEEDED,
        stored_as="1.csv",
        expires_at=timezone.now() - dt.timedelta(minutes=1),
    )

    assert client_for(network.dealer_user).get(f"/exports/{job.pk}/download/").status_code == 404


def test_a_report_that_reads_many_entries_runs_as_a_job(
    network, client_for, background, django_capture_on_commit_callbacks
):
    CommissionEntryFactory.create_batch(2)  # February 2025; the threshold is 2 entries
    client = client_for(network.finance_user)
    months = {"first_month": "2025-01", "last_month": "2025-03"}

    response = export(
        client, "/commissions/reports/ledger/", {"export": "xlsx", **months}, django_capture_on_commit_callbacks
    )

    job = ExportJob.objects.get()
    assert response["Location"] == f"/exports/{job.pk}/"
    assert job.status == ExportStatus.SUCCEEDED
    sheet = load_workbook(io.BytesIO(b"".join(client.get(f"/exports/{job.pk}/download/").streaming_content))).active
    assert sheet.title == "Ledger by period, dealer and le"  # Excel's 31 characters
    assert list(sheet.iter_rows(values_only=True))[-1][0] == "Total"


def test_the_list_export_is_named_after_the_page_in_chinese_with_an_ascii_fallback(network, client_for):
    loans(network.home_dealer, "LNHOME1")
    client = client_for(network.finance_user)
    client.post("/i18n/setlang/", {"language": "zh-hans", "next": "/"})

    response = client.get("/commissions/", {"export": "csv"})
    workbook = client.get("/loans/", {"export": "xlsx"})

    day = today().isoformat()
    assert response["Content-Disposition"] == (
        f"attachment; filename=\"commission-ledger-{day}.csv\"; filename*=UTF-8''{quote(f'佣金台账-{day}.csv')}"
    )
    assert workbook["Content-Disposition"].endswith(f"filename*=UTF-8''{quote(f'贷款-{day}.xlsx')}")
    sheet = load_workbook(io.BytesIO(b"".join(workbook.streaming_content))).active
    assert sheet.title == "贷款"


def test_the_loans_csv_writes_rates_as_the_page_shows_them(network, client_for):
    loans(network.home_dealer, "LNHOME1", rate="0.007000")

    response = client_for(network.dealer_user).get("/loans/", {"export": "csv"})

    header, row = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    assert row[header.index("Annual rate")] == "0.70 %"
    assert "0.70 %" in client_for(network.dealer_user).get("/loans/").content.decode()


def test_the_changes_export_runs_as_a_job_too(network, client_for, background, django_capture_on_commit_callbacks):
    loans(network.home_dealer, "LNHOME1", "LNHOME2")  # their sales and loans are audited changes
    client = client_for(network.head_office)

    response = export(client, "/audit/changes/", {"export": "csv"}, django_capture_on_commit_callbacks)

    job = ExportJob.objects.get()
    assert response["Location"] == f"/exports/{job.pk}/"
    assert job.status == ExportStatus.SUCCEEDED, job.error
    rows = list(csv.reader(io.StringIO(download_text(client, job))))
    assert len(rows) - 1 == job.rows_done >= 2  # a row per changed field
    assert "Created" in {row[3] for row in rows[1:]}


def test_a_job_no_worker_ever_took_is_marked_failed_by_the_periodic_task(network, client_for):
    lost = ExportJobFactory(owner=network.dealer_user, lease_expires_at=timezone.now() - dt.timedelta(minutes=1))
    waiting = ExportJobFactory(owner=network.dealer_user)

    assert fail_abandoned_exports.delay().get() == 1

    lost.refresh_from_db()
    waiting.refresh_from_db()
    assert (lost.status, waiting.status) == (ExportStatus.FAILED, ExportStatus.QUEUED)
    assert lost.error == "No worker started the export within 10 minutes: retry it."
    assert (
        f'action="/exports/{lost.pk}/retry/"'
        in client_for(network.dealer_user).get(f"/exports/{lost.pk}/").content.decode()
    )


def test_an_export_waits_for_a_worker_within_a_lease_of_its_own(
    network, client_for, background, django_capture_on_commit_callbacks
):
    loans(network.home_dealer, "LNHOME1", "LNHOME2")

    with django_capture_on_commit_callbacks():  # queued; no worker takes it
        client_for(network.dealer_user).get("/loans/", {"export": "csv"})

    job = ExportJob.objects.get()
    assert (job.status, job.heartbeat_at) == (ExportStatus.QUEUED, None)
    assert dt.timedelta(minutes=9) < job.lease_expires_at - timezone.now() <= dt.timedelta(minutes=10)


@pytest.mark.django_db(transaction=True)  # the renewal thread sees the job's row
def test_the_worker_renews_the_exports_lease_while_it_writes(network, background, settings, monkeypatch):
    settings.BACKGROUND_LEASE_SECONDS = 0.6  # renewed every 0.2 s
    loans(network.home_dealer, "LNHOME1", "LNHOME2")
    leases = []
    monkeypatch.setattr(exports, "CSV_CHUNK_CHARS", 1)  # the CSV COPY wrote, handed on a line a block
    original = export_jobs._CountedChunks.csv_text

    def slow(counted):
        for block in original(counted):
            time.sleep(0.5)  # a slow write: only the renewal thread moves the lease on meanwhile
            leases.append(ExportJob.objects.values_list("heartbeat_at", "lease_expires_at").get(pk=job.pk))
            yield block

    monkeypatch.setattr(export_jobs._CountedChunks, "csv_text", slow)
    job = ExportJobFactory(owner=network.dealer_user)

    assert export_jobs.export_job_run(job_id=job.pk).status == ExportStatus.SUCCEEDED

    (first_beat, first_expiry), (second_beat, second_expiry) = leases
    assert first_beat < second_beat and first_expiry < second_expiry
    assert second_expiry - second_beat == dt.timedelta(seconds=0.6)


def test_a_task_for_a_job_already_gone_or_taken_writes_nothing(network, background):
    taken = ExportJobFactory(owner=network.dealer_user, status=ExportStatus.RUNNING)

    assert export_jobs.export_job_run(job_id=taken.pk + 1000) is None
    assert export_jobs.export_job_run(job_id=taken.pk).status == ExportStatus.RUNNING
    assert not background.exists()
