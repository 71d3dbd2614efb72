"""The operations page: jobs by their names, "run now" in the background with its progress,
and a run whose worker died failed with its reason and started again."""

import datetime as dt
import os
import signal
import time
from datetime import timedelta

import pytest
from django.conf import settings
from django.utils import timezone

from dealerops.models import JobRun, JobStatus
from dealerops.schedules import NIGHTLY_JOBS, beat_schedule
from dealerops.tasks import fail_abandoned_exports, fail_abandoned_job_runs
from dealerops.validation import today
from finance.models import CommissionEntry
from finance.services.ledger import POST_JOB, POSTING_LOCK_KEY, commissions_post
from tests.background import LEASE_SECONDS, advisory_lock_held, join_job_threads, start_worker, wait_for
from tests.factories import LenderFactory
from tests.finance.test_commission_posting import make_loan, policy


def in_chinese(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"
    return client


def a_loan_to_post(network):
    lender = LenderFactory(code="ICBC", name="ICBC Auto")
    policy(lender)
    return make_loan(network.home_dealer, lender, disbursed=dt.date(2025, 3, 10))


def test_the_page_names_each_job_in_chinese_not_by_its_code(network, client_for):
    JobRun.objects.create(job=POST_JOB, period="2026-11-30", status=JobStatus.SUCCEEDED)
    page = in_chinese(client_for(network.head_office)).get("/operations/").content.decode()
    table = page.split("<tbody>", 1)[1]
    assert "贷款佣金及追回入账" in table
    assert POST_JOB not in table


def test_the_run_form_offers_today_in_the_iso_format_a_date_picker_reads_in_chinese_too(network, client_for):
    page = in_chinese(client_for(network.head_office)).get("/operations/").content.decode()
    assert f'name="as_of" value="{today().isoformat()}"' in page  # not 2026/12/02: shown empty


@pytest.mark.django_db(transaction=True)
def test_run_now_answers_at_once_and_the_page_follows_the_run_until_it_has_finished(network, client_for):
    loan = a_loan_to_post(network)
    client = client_for(network.head_office)
    with advisory_lock_held(POSTING_LOCK_KEY):  # another posting holds the ledger: this run waits in it
        started = time.monotonic()
        response = client.post("/operations/", {"job": POST_JOB, "as_of": today().isoformat()})
        assert response.status_code == 302
        assert time.monotonic() - started < 5
        run = wait_for(lambda: JobRun.objects.filter(job=POST_JOB).first(), what="the run to start")
        assert run.status == JobStatus.RUNNING

        page = client.get(response.url).content.decode()
        assert "1 run in progress" in page
        assert "Running" in page.split("<tbody>", 1)[1]
        assert client.get("/operations/progress/").json() == {"running": 1, "latest": run.pk}
    join_job_threads()

    run.refresh_from_db()
    assert (run.status, run.rows) == (JobStatus.SUCCEEDED, 1)
    assert CommissionEntry.objects.get().loan_id == loan.pk
    assert client.get("/operations/progress/").json() == {"running": 0, "latest": run.pk}
    assert "in progress" not in client.get("/operations/").content.decode()


def test_the_page_waits_for_a_run_that_a_worker_has_not_started_yet(network, client_for):
    client = client_for(network.head_office)
    page = client.get("/operations/?after=0").content.decode()  # the first run ever: none yet
    assert "waiting for a worker" in page
    assert 'id="job-progress"' in page
    started = JobRun.objects.create(job=POST_JOB).pk
    assert "waiting for a worker" not in client.get("/operations/?after=0").content.decode()
    assert "1 run in progress" in client.get(f"/operations/?after={started - 1}").content.decode()


@pytest.mark.django_db(transaction=True)
def test_a_job_whose_worker_is_killed_mid_run_is_failed_with_its_reason_and_runs_again(network, client_for):
    a_loan_to_post(network)
    as_of = today().isoformat()
    with advisory_lock_held(POSTING_LOCK_KEY):  # the worker's posting waits here, mid-run
        worker = start_worker(f"from finance.tasks import post_commissions\npost_commissions(as_of={as_of!r})")
        try:
            run = wait_for(lambda: JobRun.objects.filter(job=POST_JOB).first(), what="the worker's run")
            # Its process renews the lease while it runs.
            wait_for(lambda: JobRun.objects.get(pk=run.pk).heartbeat_at > run.heartbeat_at, what="a second heartbeat")
            os.kill(worker.pid, signal.SIGKILL)
        finally:
            worker.wait(timeout=30)
    assert JobRun.objects.get(pk=run.pk).status == JobStatus.RUNNING  # nothing else knows yet

    client = in_chinese(client_for(network.head_office))
    time.sleep(LEASE_SECONDS + 0.5)
    page = client.get("/operations/").content.decode()
    run.refresh_from_db()
    assert run.status == JobStatus.FAILED
    assert "停止响应" in run.error
    assert run.error in page
    assert not CommissionEntry.objects.exists()  # the killed run's transaction died with it

    response = client.post("/operations/", {"job": POST_JOB, "as_of": as_of})
    assert response.status_code == 302
    join_job_threads()
    again = JobRun.objects.filter(job=POST_JOB).exclude(pk=run.pk).get()
    assert (again.status, again.rows) == (JobStatus.SUCCEEDED, 1)
    assert CommissionEntry.objects.count() == 1


def abandoned_run(job: str) -> JobRun:
    """A run whose process stopped renewing its lease a while ago."""
    silent_since = timezone.now() - timedelta(minutes=5)
    return JobRun.objects.create(job=job, heartbeat_at=silent_since, lease_expires_at=silent_since)


def test_the_next_run_of_a_job_fails_its_abandoned_run_and_leaves_other_jobs_runs_alone(network):
    abandoned = abandoned_run(POST_JOB)
    other_job = abandoned_run("finance.mature_loans")
    alive = JobRun.objects.create(job=POST_JOB, lease_expires_at=timezone.now() + timedelta(minutes=1))

    commissions_post(as_of=dt.date(2025, 3, 31))

    statuses = dict(JobRun.objects.filter(pk__in=[abandoned.pk, other_job.pk, alive.pk]).values_list("pk", "status"))
    assert statuses == {abandoned.pk: JobStatus.FAILED, other_job.pk: JobStatus.RUNNING, alive.pk: JobStatus.RUNNING}


def test_the_periodic_task_fails_every_abandoned_run(network):
    runs = [abandoned_run(job.name) for job in NIGHTLY_JOBS]
    assert fail_abandoned_job_runs.delay().get() == len(runs)
    assert set(JobRun.objects.values_list("status", flat=True)) == {JobStatus.FAILED}


def test_beat_runs_the_upkeep_every_few_minutes():
    from datahub.tasks import fail_abandoned_imports

    schedule = beat_schedule()
    assert schedule["dealerops.fail_abandoned_job_runs"]["task"] == fail_abandoned_job_runs.name
    assert schedule["datahub.fail_abandoned_imports"]["task"] == fail_abandoned_imports.name
    assert schedule["dealerops.fail_abandoned_exports"]["task"] == fail_abandoned_exports.name


def test_a_runs_rows_and_seconds_read_with_thousands_separators_and_one_decimal(network, client_for):
    run = JobRun.objects.create(job=POST_JOB, period="2026-11-30", status=JobStatus.SUCCEEDED, rows=1234567)
    JobRun.objects.filter(pk=run.pk).update(finished_at=run.started_at + timedelta(seconds=3725.26))
    page = in_chinese(client_for(network.head_office)).get("/operations/").content.decode()
    row = page.split("<tbody>", 1)[1].split("</tr>", 1)[0]
    assert '<td class="num" data-label="行数">1,234,567</td>' in row
    assert '<td class="num" data-label="耗时（秒）">3,725.3</td>' in row
