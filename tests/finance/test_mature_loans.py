"""The nightly job that closes loans whose term has ended."""

import datetime as dt

import pytest

from dealerops.models import JobRun, JobStatus
from finance.models import LoanStatus
from finance.services.loans import loans_mature
from finance.tasks import mature_loans
from tests.factories import LoanFactory, SaleFactory


@pytest.fixture
def loans(db):
    """Three disbursed loans: 12 months from 2025-01-31 (matures 2026-01-31),
    12 months from 2025-11-30 (matures 2026-11-30), and one already paid off early."""
    due = LoanFactory(
        sale=SaleFactory(sold_on=dt.date(2025, 1, 28), payment="loan", stock_unit__arrived_on=dt.date(2025, 1, 2)),
        term_months=12,
        disbursed_on=dt.date(2025, 1, 31),
    )
    not_yet = LoanFactory(
        sale=SaleFactory(sold_on=dt.date(2025, 11, 28), payment="loan", stock_unit__arrived_on=dt.date(2025, 11, 2)),
        term_months=12,
        disbursed_on=dt.date(2025, 11, 30),
    )
    paid_off = LoanFactory(
        sale=SaleFactory(sold_on=dt.date(2024, 6, 1), payment="loan", stock_unit__arrived_on=dt.date(2024, 5, 2)),
        term_months=12,
        disbursed_on=dt.date(2024, 6, 5),
        status=LoanStatus.PAID_OFF_EARLY,
        closed_on=dt.date(2024, 12, 1),
    )
    return due, not_yet, paid_off


def test_it_closes_loans_whose_term_ended_on_their_maturity_day(loans):
    due, not_yet, paid_off = loans
    run = loans_mature(as_of=dt.date(2026, 11, 29))
    for loan in loans:
        loan.refresh_from_db()
    assert (due.status, due.closed_on) == (LoanStatus.MATURED, dt.date(2026, 1, 31))
    assert (not_yet.status, not_yet.closed_on) == (LoanStatus.DISBURSED, None)
    assert (paid_off.status, paid_off.closed_on) == (LoanStatus.PAID_OFF_EARLY, dt.date(2024, 12, 1))
    assert (run.status, run.rows, run.period) == (JobStatus.SUCCEEDED, 1, "2026-11-29")


def test_a_second_run_changes_nothing(loans):
    loans_mature(as_of=dt.date(2026, 11, 30))
    second = loans_mature(as_of=dt.date(2026, 11, 30))
    assert second.rows == 0
    assert JobRun.objects.filter(job="finance.mature_loans").count() == 2


def test_the_task_runs_for_a_past_day_and_records_its_run(loans):
    run_id = mature_loans.delay(as_of="2026-01-31").get()
    run = JobRun.objects.get(pk=run_id)
    assert (run.status, run.rows, run.period) == (JobStatus.SUCCEEDED, 1, "2026-01-31")
    assert run.finished_at >= run.started_at


def test_a_failed_run_is_recorded_with_its_error_and_writes_nothing(loans, monkeypatch):
    def failing_clock():
        raise RuntimeError("disk full")

    monkeypatch.setattr("finance.services.loans.Now", failing_clock)
    with pytest.raises(RuntimeError):
        loans_mature(as_of=dt.date(2026, 11, 30))
    run = JobRun.objects.get()
    assert (run.status, run.rows, run.error) == (JobStatus.FAILED, 0, "RuntimeError: disk full")
    loans[0].refresh_from_db()
    assert loans[0].status == LoanStatus.DISBURSED
