"""Bulk loads that rebuild a table's indexes and keys afterwards: the same postings as row by
row, the same catalogue afterwards, and a broken key still refused with nothing written."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import IntegrityError, connection, transaction

from dealerops.bulk import index_and_key_upkeep_after
from finance.models import CommissionEntry, EntryKind, LoanStatus
from finance.services import ledger
from finance.services.ledger import commissions_post
from tests.factories import DealerFactory, LenderFactory
from tests.finance.test_commission_posting import AS_OF, make_loan, policy

D = Decimal
LEDGER = CommissionEntry._meta.db_table


def catalogue(table: str) -> tuple[list, list]:
    """The table's constraints and indexes as PostgreSQL describes them."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT conname, pg_get_constraintdef(oid), convalidated FROM pg_constraint"
            " WHERE conrelid = %s::regclass ORDER BY conname",
            [table],
        )
        constraints = cursor.fetchall()
        cursor.execute("SELECT indexname, indexdef FROM pg_indexes WHERE tablename = %s ORDER BY indexname", [table])
        return constraints, cursor.fetchall()


@pytest.fixture
def posting_network(db):
    dealer, lender = DealerFactory(), LenderFactory(code="ICBC", name="ICBC Auto")
    policy(lender, clawback={90: D("1")})
    kept = make_loan(dealer, lender, principal="300000.00")
    paid_off = make_loan(dealer, lender, principal="200000.00", rate="0.060000")
    paid_off.status, paid_off.closed_on = LoanStatus.PAID_OFF_EARLY, dt.date(2025, 4, 1)
    paid_off.save(update_fields=["status", "closed_on"])
    return kept, paid_off


@pytest.fixture
def bulk_loads(monkeypatch) -> list[str]:
    """The tables the posting loaded in bulk."""
    loaded: list[str] = []

    def spy(table: str, **options):
        loaded.append(table)
        return index_and_key_upkeep_after(table, **options)

    monkeypatch.setattr(ledger, "index_and_key_upkeep_after", spy)
    return loaded


def test_the_first_large_posting_loads_in_bulk_books_the_same_amounts_and_leaves_the_ledger_as_it_was(
    posting_network, settings, bulk_loads
):
    kept, paid_off = posting_network
    settings.COMMISSION_BULK_POSTING_MIN_LOANS = 2
    before = catalogue(LEDGER)

    run = commissions_post(as_of=AS_OF)

    assert catalogue(LEDGER) == before  # same keys (validated) and indexes, by name and definition
    amounts = {(entry.loan_id, entry.kind): entry.amount for entry in CommissionEntry.objects.all()}
    assert amounts == {
        (kept.pk, EntryKind.ACCRUAL): D("150.00"),
        (paid_off.pk, EntryKind.ACCRUAL): D("120.00"),
        (paid_off.pk, EntryKind.CLAWBACK): D("-120.00"),
    }
    assert (run.rows, run.amount) == (3, D("150.00"))
    assert bulk_loads == [LEDGER]
    assert commissions_post(as_of=AS_OF).rows == 0  # idempotent; the ledger now has accruals: row by row
    assert bulk_loads == [LEDGER]


def test_a_small_first_posting_goes_row_by_row(posting_network, settings, bulk_loads):
    settings.COMMISSION_BULK_POSTING_MIN_LOANS = 3  # two loans disbursed

    assert commissions_post(as_of=AS_OF).rows == 3
    assert bulk_loads == []


def test_a_row_breaking_a_foreign_key_fails_the_whole_load_and_keeps_the_keys(posting_network):
    kept, _paid_off = posting_network
    before = catalogue(LEDGER)

    with (
        pytest.raises(IntegrityError, match="dealer_id"),
        transaction.atomic(),
        index_and_key_upkeep_after(LEDGER),
        connection.cursor() as cursor,
    ):
        commissions_post(as_of=AS_OF)
        cursor.execute(  # an adjustment for a dealer that does not exist
            f"INSERT INTO {LEDGER} (kind, period_id, event_on, dealer_id, lender_id, amount, basis, credit_grade,"  # noqa: S608
            " capped, reason, note, statement_reference, created_at)"
            " SELECT 'adjustment', period_id, event_on, 999999, lender_id, 1, '', '', false, 'other', 'x', '',"
            f" now() FROM {LEDGER} LIMIT 1"
        )

    assert not CommissionEntry.objects.exists()
    assert catalogue(LEDGER) == before


def test_it_refuses_to_run_outside_a_transaction():
    with pytest.raises(RuntimeError, match="transaction"), index_and_key_upkeep_after(LEDGER):
        pass


def test_a_second_accrual_for_a_loan_fails_a_bulk_load_when_the_unique_keys_are_rebuilt(posting_network):
    commissions_post(as_of=AS_OF)

    with (
        pytest.raises(IntegrityError, match="entry_one_accrual_per_loan"),
        transaction.atomic(),
        index_and_key_upkeep_after(LEDGER, unique_indexes=True),
        connection.cursor() as cursor,
    ):
        cursor.execute(  # an accrual posted twice, which the dropped unique key no longer stops
            f"INSERT INTO {LEDGER} (kind, period_id, event_on, loan_id, dealer_id, lender_id, policy_id, amount, basis,"  # noqa: S608
            " credit_grade, capped, reason, note, statement_reference, created_at)"
            " SELECT kind, period_id, event_on, loan_id, dealer_id, lender_id, policy_id, amount, basis, credit_grade,"
            f" capped, reason, note, statement_reference, now() FROM {LEDGER} WHERE kind = 'accrual' LIMIT 1"
        )

    assert CommissionEntry.objects.filter(kind=EntryKind.ACCRUAL).count() == 2  # as posted, no duplicate


def test_a_duplicate_id_fails_a_bulk_load_when_the_primary_key_is_rebuilt(posting_network):
    commissions_post(as_of=AS_OF)
    before = catalogue(LEDGER)
    inserted = False

    with (
        pytest.raises(IntegrityError, match="pkey"),
        transaction.atomic(),
        index_and_key_upkeep_after(LEDGER, unique_indexes=True, primary_key=True),
        connection.cursor() as cursor,
    ):
        cursor.execute(  # an adjustment that reuses an entry's id, which the dropped primary key no longer stops
            f"INSERT INTO {LEDGER} (id, kind, period_id, event_on, dealer_id, lender_id, amount, basis, credit_grade,"  # noqa: S608
            " capped, reason, note, statement_reference, created_at)"
            " SELECT id, 'adjustment', period_id, event_on, dealer_id, lender_id, 1, '', '', false, 'other', 'x', '',"
            f" now() FROM {LEDGER} LIMIT 1"
        )
        inserted = True

    assert inserted  # refused when the key came back, not by the insert
    assert CommissionEntry.objects.count() == 3
    assert catalogue(LEDGER) == before
