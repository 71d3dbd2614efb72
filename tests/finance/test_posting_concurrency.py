"""The nightly posting and a writer in two connections at once: a loan disbursed in a
transaction that commits while the posting runs is neither lost nor posted twice."""

import datetime as dt
import threading
import time
from decimal import Decimal

import pytest
from django.db import connection, transaction

from dealerops.models import JobRun, JobStatus
from finance.models import CommissionEntry, CommissionPeriod, EntryKind, LoanStatus, PostingCandidate
from finance.services import ledger
from finance.services.ledger import POST_JOB, commissions_post
from finance.services.loans import loan_status_change
from tests.factories import DealerFactory, LenderFactory
from tests.finance.test_commission_posting import make_loan, policy

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_loan_disbursed_by_a_transaction_still_open_during_a_posting_is_posted_by_the_next_run():
    dealer, lender = DealerFactory(), LenderFactory(code="ICBC", name="ICBC Auto")
    policy(lender)
    make_loan(dealer, lender, disbursed=dt.date(2025, 2, 1))
    assert commissions_post(as_of=dt.date(2025, 2, 28)).rows == 1  # the ledger is started: runs are nightly now
    pending = make_loan(dealer, lender, status=LoanStatus.APPROVED, disbursed_on=None)

    disbursed, posted, errors = threading.Event(), threading.Event(), []

    def writer() -> None:
        """Another connection: disburses the loan and commits only after the posting has."""
        try:
            with transaction.atomic():
                loan_status_change(loan=pending, status=LoanStatus.DISBURSED, on=dt.date(2025, 3, 10))
                disbursed.set()
                assert posted.wait(timeout=60), "the posting did not finish"
        except Exception as error:  # noqa: BLE001 - reported by the main thread
            errors.append(error)
            disbursed.set()
        finally:
            connection.close()

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        assert disbursed.wait(timeout=60)
        # Its candidate is queued but not committed: this run neither sees nor takes it.
        run = commissions_post(as_of=dt.date(2025, 3, 31))
    finally:
        posted.set()
        thread.join(timeout=60)
    assert not errors, errors

    assert run.rows == 0
    assert set(PostingCandidate.objects.values_list("loan_id", flat=True)) == {pending.pk}
    assert commissions_post(as_of=dt.date(2025, 3, 31)).rows == 1
    entry = CommissionEntry.objects.get(loan=pending, kind=EntryKind.ACCRUAL)
    assert (entry.amount, entry.event_on) == (Decimal("150.00"), dt.date(2025, 3, 10))
    assert not PostingCandidate.objects.exists()
    assert commissions_post(as_of=dt.date(2025, 3, 31)).rows == 0


def test_two_first_postings_at_once_on_an_empty_ledger_run_one_after_the_other_and_post_each_loan_once(
    monkeypatch,
):
    dealer, lender = DealerFactory(), LenderFactory(code="ICBC", name="ICBC Auto")
    policy(lender)
    loans = [make_loan(dealer, lender, disbursed=dt.date(2025, 2, day)) for day in (3, 10, 17)]
    assert not CommissionPeriod.objects.exists()  # no period for a row lock to hold

    # The first posting pauses inside its transaction, after its locks; the second must wait.
    inside, release, runs, errors = [], threading.Event(), [], []
    first_inside = threading.Event()
    reads_the_ledger = ledger._is_first_large_posting

    def paused(as_of):
        inside.append(threading.current_thread().name)
        if threading.current_thread().name == "first":
            first_inside.set()
            assert release.wait(timeout=60)
        return reads_the_ledger(as_of)

    monkeypatch.setattr(ledger, "_is_first_large_posting", paused)

    def post() -> None:
        try:
            runs.append(commissions_post(as_of=dt.date(2025, 2, 28)))
        except Exception as error:  # noqa: BLE001 - reported by the main thread
            errors.append(error)
        finally:
            connection.close()

    first, second = threading.Thread(target=post, name="first"), threading.Thread(target=post, name="second")
    first.start()
    try:
        assert first_inside.wait(timeout=60)
        second.start()
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and "second" not in inside and not advisory_lock_waiters():
            time.sleep(0.05)
        assert "second" not in inside, "the second posting did not wait for the first"
        assert advisory_lock_waiters() == 1
    finally:
        release.set()
        first.join(timeout=60)
        if second.ident is not None:  # started
            second.join(timeout=60)
    assert not errors, errors

    assert [run.rows for run in runs] == [3, 0]  # the second found everything posted
    accruals = CommissionEntry.objects.filter(kind=EntryKind.ACCRUAL)
    assert sorted(accruals.values_list("loan_id", flat=True)) == sorted(loan.pk for loan in loans)
    assert JobRun.objects.filter(job=POST_JOB, status=JobStatus.SUCCEEDED).count() == 2


def advisory_lock_waiters() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted")
        return cursor.fetchone()[0]
