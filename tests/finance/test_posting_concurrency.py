"""The nightly posting and a writer in two connections at once: a loan disbursed in a
transaction that commits while the posting runs is neither lost nor posted twice."""

import datetime as dt
import threading
from decimal import Decimal

import pytest
from django.db import connection, transaction

from finance.models import CommissionEntry, EntryKind, LoanStatus, PostingCandidate
from finance.services.ledger import commissions_post
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
