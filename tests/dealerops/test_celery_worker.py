"""A nightly job and a background export sent through Redis to a real Celery worker process."""

import datetime as dt
import os
import signal
import subprocess
import sys
import uuid
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import psycopg
import pytest
from django.conf import settings

from channels.models import AssignmentKind, Lead, LeadSource
from channels.routing.services import NewLead, lead_create
from channels.tasks import route_leads
from dealerops.celery import app as celery_app
from dealerops.leases import heartbeat_text
from dealerops.models import ExportJob, ExportStatus, JobRun, JobStatus
from dealerops.tasks import run_export
from finance.models import LoanStatus
from finance.tasks import mature_loans
from tests.background import wait_for
from tests.factories import DealerFactory, ExportJobFactory, LoanFactory, SaleFactory
from tests.requirements import require

ROOT = Path(__file__).resolve().parents[2]
WORKER_LEASE_SECONDS = 5  # the worker renews its leases every 5/3 s: one killed is found out in seconds
pytestmark = [pytest.mark.celery_worker, pytest.mark.django_db(transaction=True)]


def broker_reachable(url: str) -> bool:
    import redis

    try:
        return bool(redis.Redis.from_url(url, socket_connect_timeout=2).ping())
    except redis.RedisError:
        return False


@dataclass
class Worker:
    queue: str
    process: subprocess.Popen
    database_url: str  # the test database, as the worker reaches it


@pytest.fixture
def worker():
    """Start a worker on a queue of its own, against the test database."""
    broker = os.environ.get("CELERY_BROKER_URL", "")
    require(bool(broker) and broker_reachable(broker), f"A Celery broker (CELERY_BROKER_URL={broker!r})")
    require(bool(os.environ.get("DATABASE_URL")), "DATABASE_URL (the worker must reach the test database)")
    database = settings.DATABASES["default"]
    test_database_url = (
        f"postgres://{database['USER']}:{database['PASSWORD'] or ''}@{database['HOST']}:{database['PORT'] or 5432}"
        f"/{database['NAME']}"
    )
    queue = f"dealerops-test-{uuid.uuid4().hex[:8]}"
    environment = {
        **os.environ,
        "DATABASE_URL": test_database_url,
        "DJANGO_SETTINGS_MODULE": "dealerops.settings.local",
        "BACKGROUND_LEASE_SECONDS": str(WORKER_LEASE_SECONDS),
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "dealerops", "worker", "--pool=solo", "-Q", queue, "--loglevel=WARNING"],
        cwd=ROOT,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    # Under its namespaced name: the conf reads CELERY_TASK_ALWAYS_EAGER from the Django
    # settings first, so setting ``task_always_eager`` left every task running in this process.
    celery_app.conf.CELERY_TASK_ALWAYS_EAGER = False
    try:
        yield Worker(queue, process, test_database_url)
    finally:
        celery_app.conf.CELERY_TASK_ALWAYS_EAGER = True
        process.terminate()
        output, _ = process.communicate(timeout=30)
        print(output.decode(errors="replace"))


@pytest.fixture
def worker_queue(worker) -> str:
    return worker.queue


def test_a_real_worker_runs_the_nightly_job_and_records_its_run(worker_queue):
    loan = LoanFactory(
        sale=SaleFactory(sold_on=dt.date(2025, 1, 28), payment="loan", stock_unit__arrived_on=dt.date(2025, 1, 2)),
        term_months=12,
        disbursed_on=dt.date(2025, 1, 31),
    )
    result = mature_loans.apply_async(kwargs={"as_of": "2026-11-29"}, queue=worker_queue)
    run_id = result.get(timeout=90)
    run = JobRun.objects.get(pk=run_id)
    assert (run.status, run.rows) == (JobStatus.SUCCEEDED, 1)
    loan.refresh_from_db()
    assert (loan.status, loan.closed_on) == (LoanStatus.MATURED, dt.date(2026, 1, 31))


def test_a_real_worker_routes_waiting_leads_and_moves_an_overdue_one(worker_queue):
    """The every-few-minutes lead pass, as beat sends it: a lead left a month ago without a
    call moves to the next candidate; one that came in when no dealer could take it is routed."""
    customer = {
        "customer_city": "Hangzhou",
        "customer_latitude": Decimal("30.27"),
        "customer_longitude": Decimal("120.15"),
    }
    came_in = dt.datetime(2026, 11, 2, 10, tzinfo=dt.UTC)
    waiting = lead_create(lead=NewLead(source=LeadSource.APP, created_at=came_in, **customer), at=came_in)
    assert waiting.dealer is None
    near = DealerFactory(code="NEAR", latitude=Decimal("30.28"), longitude=Decimal("120.15"))
    far = DealerFactory(code="FAR", latitude=Decimal("30.40"), longitude=Decimal("120.15"))
    overdue = lead_create(lead=NewLead(source=LeadSource.WEBSITE, created_at=came_in, **customer), at=came_in)
    assert overdue.dealer == near

    run_id = route_leads.apply_async(queue=worker_queue).get(timeout=90)
    run = JobRun.objects.get(pk=run_id)
    assert run.status == JobStatus.SUCCEEDED and run.rows == 2
    waiting.refresh_from_db()
    overdue.refresh_from_db()
    assert waiting.dealer == near and waiting.sla_due_at > waiting.assigned_at
    assert (overdue.dealer, overdue.reassignments) == (far, 1)
    assert list(overdue.assignments.order_by("at", "id").values_list("kind", "dealer__code")) == [
        (AssignmentKind.ROUTED, "NEAR"),
        (AssignmentKind.REASSIGNED, "FAR"),
    ]
    assert Lead.objects.count() == 2


def test_run_now_on_the_operations_page_is_sent_to_a_real_worker_by_the_tasks_name(
    worker_queue, network, client_for, monkeypatch
):
    monkeypatch.setitem(celery_app.conf, "task_default_queue", worker_queue)  # the test worker's queue
    response = client_for(network.head_office).post(
        "/operations/", {"job": "finance.mature_loans", "as_of": "2026-11-29"}
    )
    assert response.status_code == 302
    run = wait_for(
        lambda: JobRun.objects.filter(job="finance.mature_loans").exclude(status=JobStatus.RUNNING).first(),
        timeout=90,
        what="the worker's run",
    )
    assert (run.status, run.started_by) == (JobStatus.SUCCEEDED, network.head_office)


@pytest.fixture
def shared_export_root(tmp_path, monkeypatch, settings):
    """One exports folder for this process (which serves the file) and the worker (which writes it)."""
    monkeypatch.setenv("EXPORT_ROOT", str(tmp_path))
    settings.EXPORT_ROOT = tmp_path
    return tmp_path


def test_a_real_worker_writes_a_background_export_as_its_owner(network, shared_export_root, worker_queue, client):
    LoanFactory(reference="LNHOME1", sale=SaleFactory(dealer=network.home_dealer, payment="loan"))
    LoanFactory(reference="LNFOREIGN1", sale=SaleFactory(dealer=network.foreign_dealer, payment="loan"))
    job = ExportJobFactory(owner=network.dealer_user, path="/loans/", query="export=csv")

    assert run_export.apply_async(args=[job.pk], queue=worker_queue).get(timeout=90) == ExportStatus.SUCCEEDED

    job = ExportJob.objects.get(pk=job.pk)
    assert (job.rows_done, job.rows_total) == (1, 1)
    client.force_login(network.dealer_user)
    text = b"".join(client.get(f"/exports/{job.pk}/download/").streaming_content).decode("utf-8-sig")
    assert "LNHOME1" in text and "LNFOREIGN1" not in text


def test_an_export_whose_worker_is_killed_is_marked_failed_and_retried_at_once(
    network, shared_export_root, worker, client
):
    LoanFactory(reference="LNHOME1", sale=SaleFactory(dealer=network.home_dealer, payment="loan"))
    job = ExportJobFactory(owner=network.dealer_user, path="/loans/", query="export=csv")
    # The loans table locked: the worker claims the job, then waits on its first read of the loans.
    with psycopg.connect(worker.database_url) as blocker:
        blocker.execute("LOCK TABLE finance_loan IN ACCESS EXCLUSIVE MODE")
        run_export.apply_async(args=[job.pk], queue=worker.queue)
        claimed = wait_for(
            lambda: (
                ExportJob.objects.filter(pk=job.pk, status=ExportStatus.RUNNING).values_list("heartbeat_at").first()
            ),
            timeout=60,
            what="the worker to take the job",
        )[0]
        # Its lease is renewed while the job waits on a statement.
        wait_for(lambda: ExportJob.objects.get(pk=job.pk).heartbeat_at > claimed, what="a second heartbeat")
        os.kill(worker.process.pid, signal.SIGKILL)
        worker.process.wait(timeout=30)
        blocker.rollback()
    client.force_login(network.dealer_user)
    assert client.get(f"/exports/{job.pk}/progress/").json()["running"] is True  # its lease still runs

    def failed_page() -> str | None:
        page = client.get(f"/exports/{job.pk}/").content.decode()
        return page if "the export was abandoned" in page else None

    page = wait_for(failed_page, timeout=WORKER_LEASE_SECONDS * 4, what="the killed worker's lease to run out")

    silent_at = heartbeat_text(ExportJob.objects.get(pk=job.pk).heartbeat_at)
    assert f"The worker stopped responding at {silent_at} and the export was abandoned: retry it." in page
    celery_app.conf.CELERY_TASK_ALWAYS_EAGER = True  # the retry runs here: the killed worker is gone
    retried = client.post(f"/exports/{job.pk}/retry/")
    again = ExportJob.objects.get()
    assert retried["Location"] == f"/exports/{again.pk}/"
    assert again.status == ExportStatus.SUCCEEDED
    assert "LNHOME1" in b"".join(client.get(f"/exports/{again.pk}/download/").streaming_content).decode("utf-8-sig")
