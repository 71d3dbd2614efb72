"""Bad input to the ledger is refused with a clear message and writes nothing; the database
keeps the ledger append-only and closed periods final even against raw SQL."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import DatabaseError, IntegrityError, connection, transaction

from dealerops.validation import today
from finance.models import (
    AdjustmentReason,
    CommissionBasis,
    CommissionEntry,
    CommissionPeriod,
    CommissionPolicy,
    EntryKind,
    LoanStatus,
    PeriodStatus,
)
from finance.services.ledger import Adjustment, adjustment_post, commissions_post, period_close
from finance.services.loans import loan_status_change
from finance.services.policies import PolicyTerms, TierTerms, policy_version_create
from tests.factories import DealerFactory, LenderFactory, UserFactory
from tests.finance.test_commission_posting import make_loan

D = Decimal
pytestmark = pytest.mark.django_db


@pytest.fixture
def lender():
    return LenderFactory(code="ICBC", name="ICBC Auto")


@pytest.fixture
def finance_user():
    return UserFactory(username="fin", role="finance")


def terms(**overrides) -> PolicyTerms:
    return PolicyTerms(
        **{"basis": CommissionBasis.RATE_BASED, "effective_from": dt.date(2025, 1, 1), "ratio": D("0.01"), **overrides}
    )


def messages(error: ValidationError) -> dict[str, list[str]]:
    return error.value.message_dict


def test_a_version_that_overlaps_another_is_refused(lender):
    policy_version_create(lender=lender, terms=terms(effective_to=dt.date(2025, 6, 30)))

    with pytest.raises(ValidationError) as error:
        policy_version_create(lender=lender, terms=terms(effective_from=dt.date(2025, 6, 1)))

    assert "overlaps version 1" in messages(error)["effective_from"][0]
    assert CommissionPolicy.objects.count() == 1


def test_the_database_refuses_overlapping_versions_written_around_the_service(lender):
    first = policy_version_create(lender=lender, terms=terms())

    with pytest.raises(IntegrityError, match="overlap"), transaction.atomic():
        CommissionPolicy.objects.create(
            lender=lender, version=2, basis=first.basis, ratio=first.ratio, effective_from=dt.date(2025, 3, 1)
        )


@pytest.mark.parametrize(
    ("overrides", "field", "text"),
    [
        ({"ratio": D("1.5")}, "ratio", "between 0 and 100 %"),
        ({"ratio": D("-0.01")}, "ratio", "between 0 and 100 %"),
        ({"cap_per_loan": D("-1")}, "cap_per_loan", "cannot be negative"),
        ({"basis": CommissionBasis.FLAT, "ratio": None}, "amount", "needs the amount"),
        ({"basis": CommissionBasis.RESERVE}, "max_markup", "caps the mark-up"),
        ({"effective_to": dt.date(2024, 12, 31)}, "effective_to", "cannot end before it starts"),
        ({"tiers": [TierTerms(credit_grade="A", ratio=D("0.02"))] * 2}, "tiers", "repeats a credit grade"),
        ({"tiers": [TierTerms(ratio=D("0.02"))]}, "tiers", "neither a credit grade nor a term band"),
        ({"tiers": [TierTerms(credit_grade="A", amount=D("100"))]}, "tiers", "must set the ratio"),
        ({"clawback": {90: D("1.2")}}, "clawback", "up to 100 %"),
    ],
)
def test_bad_policy_terms_name_their_field_and_write_nothing(lender, overrides, field, text):
    with pytest.raises(ValidationError) as error:
        policy_version_create(lender=lender, terms=terms(**overrides))

    assert text in " ".join(messages(error)[field])
    assert not CommissionPolicy.objects.exists()


def test_a_new_version_cannot_start_inside_days_already_posted(lender):
    dealer = DealerFactory()
    policy_version_create(lender=lender, terms=terms())
    make_loan(dealer, lender, disbursed=dt.date(2025, 3, 10))
    commissions_post(as_of=dt.date(2025, 12, 31))

    with pytest.raises(ValidationError) as error:
        policy_version_create(lender=lender, terms=terms(effective_from=dt.date(2025, 3, 1)))

    assert "already posted under version 1" in messages(error)["effective_from"][0]
    assert CommissionPolicy.objects.get().effective_to is None


def test_a_used_version_is_frozen_in_the_database(lender):
    dealer = DealerFactory()
    used = policy_version_create(lender=lender, terms=terms())
    make_loan(dealer, lender)
    commissions_post(as_of=dt.date(2025, 12, 31))

    with pytest.raises(IntegrityError, match="create a new version"), transaction.atomic():
        CommissionPolicy.objects.filter(pk=used.pk).update(ratio=D("0.02"))


def test_ledger_entries_can_be_neither_changed_nor_deleted(lender):
    dealer = DealerFactory()
    policy_version_create(lender=lender, terms=terms())
    make_loan(dealer, lender)
    commissions_post(as_of=dt.date(2025, 12, 31))

    for statement in ("UPDATE finance_commissionentry SET amount = 1", "DELETE FROM finance_commissionentry"):
        with pytest.raises(DatabaseError, match="Cannot"), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(statement)
    assert CommissionEntry.objects.get().amount == D("150.00")


def test_periods_close_in_order_only_after_they_end_and_never_reopen(finance_user):
    september, october = (CommissionPeriod.objects.create(month=dt.date(2025, month, 1)) for month in (9, 10))
    current = CommissionPeriod.objects.create(month=today().replace(day=1))

    with pytest.raises(ValidationError, match="Close 2025-09 first"):
        period_close(period=october, closed_by=finance_user)

    period_close(period=september, closed_by=finance_user)
    period_close(period=october, closed_by=finance_user)
    with pytest.raises(ValidationError, match="has not ended yet"):
        period_close(period=current, closed_by=finance_user)
    with pytest.raises(ValidationError, match="already closed"):
        period_close(period=september, closed_by=finance_user)
    with pytest.raises(DatabaseError, match="Cannot"), transaction.atomic():
        CommissionPeriod.objects.filter(pk=september.pk).update(status=PeriodStatus.OPEN, closed_at=None)
    september.refresh_from_db()
    assert (september.status, september.closed_by) == (PeriodStatus.CLOSED, finance_user)


def test_the_database_refuses_an_entry_in_a_closed_period(lender, finance_user):
    dealer = DealerFactory()
    closed = CommissionPeriod.objects.create(month=dt.date(2025, 9, 1))
    period_close(period=closed, closed_by=finance_user)

    with pytest.raises(IntegrityError, match="closed period"), transaction.atomic():
        CommissionEntry.objects.create(
            kind=EntryKind.ADJUSTMENT,
            period=closed,
            event_on=dt.date(2025, 9, 3),
            dealer=dealer,
            lender=lender,
            amount=D("10.00"),
            reason=AdjustmentReason.OTHER,
            note="raw insert",
        )


def adjustment(**overrides) -> Adjustment:
    return Adjustment(
        **{
            "amount": D("-88.805"),
            "reason": AdjustmentReason.LENDER_CORRECTION,
            "note": "Lender's statement of October lists a lower rate.",
            "event_on": dt.date(2025, 10, 15),
            **overrides,
        }
    )


def test_an_adjustment_is_booked_with_its_reason_rounded_half_up_to_the_fen(lender, finance_user):
    loan = make_loan(DealerFactory(), lender)

    entry = adjustment_post(adjustment=adjustment(loan=loan), entered_by=finance_user)

    assert (entry.kind, entry.amount, entry.dealer, entry.lender) == (
        EntryKind.ADJUSTMENT,
        D("-88.81"),
        loan.dealer,
        lender,
    )
    assert (entry.period.month, entry.reason, entry.created_by) == (
        dt.date(2025, 10, 1),
        AdjustmentReason.LENDER_CORRECTION,
        finance_user,
    )


@pytest.mark.parametrize(
    ("overrides", "field", "text"),
    [
        ({"reason": ""}, "reason", "Choose the reason"),
        ({"note": "  "}, "note", "Explain the adjustment"),
        ({"amount": D("0.001")}, "amount", "cannot be zero"),
    ],
)
def test_an_adjustment_without_a_reason_or_amount_is_refused(lender, finance_user, overrides, field, text):
    loan = make_loan(DealerFactory(), lender)

    with pytest.raises(ValidationError) as error:
        adjustment_post(adjustment=adjustment(loan=loan, **overrides), entered_by=finance_user)

    assert text in messages(error)[field][0]
    assert not CommissionEntry.objects.exists()


def test_an_adjustment_into_a_closed_period_is_refused(lender, finance_user):
    loan = make_loan(DealerFactory(), lender)
    closed = CommissionPeriod.objects.create(month=dt.date(2025, 9, 1))
    period_close(period=closed, closed_by=finance_user)

    with pytest.raises(ValidationError) as error:
        adjustment_post(adjustment=adjustment(loan=loan, period=closed), entered_by=finance_user)

    assert "is closed" in messages(error)["period"][0]
    assert not CommissionEntry.objects.exists()


def test_an_adjustment_dated_in_a_closed_month_lands_in_the_next_open_one(lender, finance_user):
    loan = make_loan(DealerFactory(), lender)
    closed = CommissionPeriod.objects.create(month=dt.date(2025, 10, 1))
    period_close(period=closed, closed_by=finance_user)

    entry = adjustment_post(adjustment=adjustment(loan=loan), entered_by=finance_user)

    assert (entry.event_on, entry.period.month) == (dt.date(2025, 10, 15), dt.date(2025, 11, 1))


def test_a_loan_status_never_goes_backwards(lender):
    loan = make_loan(DealerFactory(), lender, status=LoanStatus.DEFAULTED, closed_on=dt.date(2025, 5, 1))

    with pytest.raises(ValidationError) as error:
        loan_status_change(loan=loan, status=LoanStatus.DISBURSED, on=dt.date(2025, 5, 2))

    assert "cannot go from Defaulted to Disbursed" in messages(error)["status"][0]
    with pytest.raises(DatabaseError, match="Invalid transition"), transaction.atomic():
        type(loan).objects.filter(pk=loan.pk).update(status=LoanStatus.DISBURSED, closed_on=None)


def test_a_loan_moves_forward_with_its_dates_checked(lender):
    loan = make_loan(DealerFactory(), lender, disbursed=dt.date(2025, 3, 10), term_months=12)

    with pytest.raises(ValidationError, match="before it was disbursed"):
        loan_status_change(loan=loan, status=LoanStatus.PAID_OFF_EARLY, on=dt.date(2025, 3, 1))
    with pytest.raises(ValidationError, match="term has not ended"):
        loan_status_change(loan=loan, status=LoanStatus.MATURED, on=dt.date(2025, 12, 1))

    changed = loan_status_change(loan=loan, status=LoanStatus.PAID_OFF_EARLY, on=dt.date(2025, 6, 1))

    assert (changed.status, changed.closed_on) == (LoanStatus.PAID_OFF_EARLY, dt.date(2025, 6, 1))
