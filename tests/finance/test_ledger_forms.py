"""The ledger's entry pages: a policy version with tiers and clawback steps typed in percent,
adjustments, and a loan's status change and commission on its page. Every refusal is shown
next to its field or row and writes nothing."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from finance.forms import AdjustmentForm
from finance.models import (
    AdjustmentReason,
    ClawbackStep,
    CommissionEntry,
    CommissionPeriod,
    CommissionPolicy,
    CommissionTier,
    EntryKind,
    LoanStatus,
    PeriodStatus,
)
from finance.services.ledger import commissions_post
from finance.services.policies import PolicyTerms, TierTerms, policy_version_create
from tests.factories import CommissionEntryFactory, LenderFactory
from tests.finance.test_commission_posting import make_loan

D = Decimal
pytestmark = pytest.mark.django_db

POLICY_URL = "/commissions/policies/new/"
ADJUSTMENT_URL = "/commissions/adjustments/new/"
EMPTY_FORMSETS = {
    "tiers-TOTAL_FORMS": "3",
    "tiers-INITIAL_FORMS": "0",
    "clawback-TOTAL_FORMS": "2",
    "clawback-INITIAL_FORMS": "0",
}


@pytest.fixture
def lender(db):
    return LenderFactory(code="ICBC", name="ICBC Auto")


def policy_post(lender, **fields) -> dict[str, str]:
    return {
        **EMPTY_FORMSETS,
        "lender": str(lender.pk),
        "basis": "rate_based",
        "ratio": "1.00",
        "effective_from": "2025-01-01",
        **fields,
    }


# ---------------------------------------------------------------- policy versions


def test_finance_creates_a_version_with_tiers_and_clawback_steps_stored_as_exact_fractions(network, lender, client_for):
    first = policy_version_create(
        lender=lender, terms=PolicyTerms(basis="rate_based", effective_from=dt.date(2025, 1, 1), ratio=D("0.01"))
    )
    data = policy_post(
        lender,
        ratio="1.2345",
        cap_per_loan="800.00",
        min_principal="50000",
        effective_from="2025-07-01",
        note="Second half of 2025",
        **{
            "tiers-0-credit_grade": "A",
            "tiers-0-ratio": "1.5",
            "tiers-1-term_band": "37_60",
            "tiers-1-ratio": "0.0001",
            "clawback-0-within_days": "90",
            "clawback-0-share": "100",
            "clawback-1-within_days": "180",
            "clawback-1-share": "33.3333",
        },
    )

    response = client_for(network.finance_user).post(POLICY_URL, data, follow=True)

    policy = CommissionPolicy.objects.get(lender=lender, version=2)
    assert response.redirect_chain == [(f"/commissions/policies/{policy.pk}/", 302)]
    assert "Version 2 of ICBC Auto is saved, in force from 2025-07-01." in response.content.decode()
    assert (policy.ratio, policy.cap_per_loan, policy.min_principal) == (D("0.012345"), D("800.00"), D("50000.00"))
    assert policy.created_by == network.finance_user
    assert sorted(CommissionTier.objects.filter(policy=policy).values_list("credit_grade", "term_band", "ratio")) == [
        ("", "37_60", D("0.000001")),
        ("A", "", D("0.015000")),
    ]
    assert list(ClawbackStep.objects.filter(policy=policy).values_list("within_days", "share")) == [
        (90, D("1.000000")),
        (180, D("0.333333")),
    ]
    first.refresh_from_db()
    assert first.effective_to == dt.date(2025, 6, 30)


def test_a_flat_version_with_amount_tiers(network, lender, client_for):
    data = policy_post(
        lender,
        basis="flat",
        ratio="",
        amount="500.00",
        **{"tiers-0-credit_grade": "E", "tiers-0-amount": "200.00"},
    )

    response = client_for(network.head_office).post(POLICY_URL, data)

    policy = CommissionPolicy.objects.get()
    assert response.status_code == 302
    assert (policy.basis, policy.amount, policy.ratio) == ("flat", D("500.00"), None)
    assert list(policy.tiers.values_list("credit_grade", "amount", "ratio")) == [("E", D("200.00"), None)]


def test_a_reserve_version_stores_the_mark_up_in_points_as_a_fraction(network, lender, client_for):
    data = policy_post(lender, basis="reserve", ratio="40", max_markup="2.5")

    client_for(network.finance_user).post(POLICY_URL, data)

    assert CommissionPolicy.objects.values_list("ratio", "max_markup").get() == (D("0.400000"), D("0.025000"))


@pytest.mark.parametrize(
    ("fields", "field", "text"),
    [
        ({"ratio": "150"}, "ratio", "The ratio must lie between 0 and 100 %."),
        ({"ratio": "-1"}, "ratio", "The ratio must lie between 0 and 100 %."),
        ({"ratio": ""}, "ratio", "This basis needs a ratio."),
        ({"cap_per_loan": "-0.01"}, "cap_per_loan", "This cannot be negative."),
        ({"min_principal": "-5"}, "min_principal", "This cannot be negative."),
        ({"basis": "flat", "ratio": ""}, "amount", "A flat policy needs the amount per loan."),
        ({"basis": "reserve"}, "max_markup", "A reserve policy caps the mark-up over the buy rate."),
        ({"effective_to": "2024-12-31"}, "effective_to", "A policy cannot end before it starts."),
        ({"effective_from": "next week"}, "effective_from", "Enter a valid date."),
    ],
)
def test_a_refused_version_shows_why_next_to_its_field_and_writes_nothing(
    network, lender, client_for, fields, field, text
):
    response = client_for(network.finance_user).post(POLICY_URL, policy_post(lender, **fields))

    assert response.status_code == 200
    assert response.context["form"].errors[field] == [text]
    assert text in response.content.decode().replace("&#x27;", "'")
    assert not CommissionPolicy.objects.exists()


def test_a_version_overlapping_another_is_refused_and_the_other_is_left_alone(network, lender, client_for):
    policy_version_create(
        lender=lender,
        terms=PolicyTerms(
            basis="rate_based", effective_from=dt.date(2025, 1, 1), effective_to=dt.date(2025, 6, 30), ratio=D("0.01")
        ),
    )

    response = client_for(network.finance_user).post(POLICY_URL, policy_post(lender, effective_from="2025-06-01"))

    assert response.context["form"].errors["effective_from"] == [
        "This period overlaps version 1 of ICBC Auto (from 2025-01-01)."
    ]
    assert list(CommissionPolicy.objects.values_list("version", "effective_to")) == [(1, dt.date(2025, 6, 30))]


def test_a_version_starting_on_a_day_already_posted_is_refused(network, lender, client_for):
    policy_version_create(
        lender=lender, terms=PolicyTerms(basis="rate_based", effective_from=dt.date(2025, 1, 1), ratio=D("0.01"))
    )
    make_loan(network.home_dealer, lender, disbursed=dt.date(2025, 3, 10))
    commissions_post(as_of=dt.date(2025, 12, 31))

    response = client_for(network.finance_user).post(POLICY_URL, policy_post(lender, effective_from="2025-03-01"))

    [error] = response.context["form"].errors["effective_from"]
    assert error.startswith("Loans disbursed up to 2025-03-10 were already posted under version 1")
    assert list(CommissionPolicy.objects.values_list("version", "effective_to")) == [(1, None)]


@pytest.mark.parametrize(
    ("rows", "row", "text"),
    [
        (
            {"tiers-0-credit_grade": "A", "tiers-0-ratio": "1.5", "tiers-0-amount": "100"},
            0,
            "Tier 1 must set the ratio of this basis, and only that.",
        ),
        (
            {"tiers-0-credit_grade": "B", "tiers-0-ratio": "1", "tiers-2-credit_grade": "B", "tiers-2-ratio": "2"},
            2,
            "Tier 2 repeats a credit grade and term band.",
        ),
        ({"tiers-1-ratio": "1.5"}, 1, "Tier 1 names neither a credit grade nor a term band."),
        (
            {"tiers-0-term_band": "6_12", "tiers-0-ratio": "101"},
            0,
            "Tier 1: a ratio lies between 0 and 100 %, an amount is not negative.",
        ),
    ],
)
def test_a_bad_tier_is_shown_on_its_row_and_nothing_is_written(network, lender, client_for, rows, row, text):
    response = client_for(network.finance_user).post(POLICY_URL, policy_post(lender, **rows))

    tiers = response.context["form"].tiers
    assert [form.non_field_errors() for form in tiers.forms][row] == [text]
    assert sum(len(form.non_field_errors()) for form in tiers.forms) == 1
    assert not CommissionPolicy.objects.exists() and not CommissionTier.objects.exists()


@pytest.mark.parametrize(
    ("rows", "where", "text"),
    [
        (
            {"clawback-0-within_days": "90", "clawback-0-share": "120"},
            ("row", 0),
            "Clawback within 90 days: the share lies above 0 and up to 100 %, over at least one day.",
        ),
        (
            {"clawback-1-within_days": "0", "clawback-1-share": "50"},
            ("row", 1),
            "Clawback within 0 days: the share lies above 0 and up to 100 %, over at least one day.",
        ),
        (
            {"clawback-0-within_days": "90", "clawback-0-share": "50", "clawback-1-within_days": "90"},
            ("row", 1),
            "Give both the window in days and the share clawed back.",
        ),
        (
            {
                "clawback-0-within_days": "90",
                "clawback-0-share": "50",
                "clawback-1-within_days": "90",
                "clawback-1-share": "20",
            },
            ("within_days", 1),
            "This window is already listed above.",
        ),
    ],
)
def test_a_bad_clawback_step_is_shown_on_its_row(network, lender, client_for, rows, where, text):
    response = client_for(network.finance_user).post(POLICY_URL, policy_post(lender, **rows))

    kind, index = where
    form = response.context["form"].clawback.forms[index]
    assert (form.non_field_errors() if kind == "row" else form.errors[kind]) == [text]
    assert not CommissionPolicy.objects.exists() and not ClawbackStep.objects.exists()


def test_a_new_version_starts_from_the_figures_of_the_version_it_copies(network, lender, client_for):
    source = policy_version_create(
        lender=lender,
        terms=PolicyTerms(
            basis="rate_based",
            effective_from=dt.date(2025, 1, 1),
            ratio=D("0.012345"),
            cap_per_loan=D("900.00"),
            tiers=[TierTerms(credit_grade="A", ratio=D("0.015"))],
            clawback={90: D("1"), 180: D("0.5")},
        ),
    )
    client = client_for(network.finance_user)

    form = client.get(POLICY_URL, {"lender": lender.pk, "from": source.pk}).context["form"]
    copied = {
        "tiers-TOTAL_FORMS": "6",
        "tiers-INITIAL_FORMS": "1",
        "tiers-0-credit_grade": "A",
        "tiers-0-ratio": "1.50",
        "clawback-TOTAL_FORMS": "5",
        "clawback-INITIAL_FORMS": "2",
        "clawback-0-within_days": "90",
        "clawback-0-share": "100.00",
        "clawback-1-within_days": "180",
        "clawback-1-share": "50.00",
    }
    response = client.post(POLICY_URL, {**policy_post(lender, ratio="1.2345", effective_from="2026-01-01"), **copied})

    assert (form["basis"].value(), form["ratio"].value(), form["cap_per_loan"].value()) == (
        "rate_based",
        D("1.2345"),
        D("900.00"),
    )
    assert [(row["credit_grade"].value(), row["ratio"].value()) for row in form.tiers.forms[:2]] == [
        ("A", D("1.50")),
        (None, None),
    ]
    assert [row["share"].value() for row in form.clawback.forms[:3]] == [D("100.00"), D("50.00"), None]
    assert response.status_code == 302
    new = CommissionPolicy.objects.get(version=2)
    assert list(new.tiers.values_list("credit_grade", "ratio")) == [("A", D("0.015000"))]
    assert list(new.clawback_steps.values_list("within_days", "share")) == [(90, D("1.000000")), (180, D("0.500000"))]


def test_only_finance_and_head_office_open_the_policy_form(network, lender, client_for):
    statuses = {
        role: client_for(user).get(POLICY_URL, {"lender": lender.pk}).status_code
        for role, user in network.users().items()
    }
    page = client_for(network.finance_user).get(POLICY_URL, {"lender": lender.pk}).content.decode()

    assert statuses == {"dealer_user": 403, "regional_manager": 403, "finance": 200, "head_office": 200}
    assert f'<option value="{lender.pk}" selected>ICBC Auto</option>' in page
    assert "Ratio (%)" in page and "Share clawed back (%)" in page


def test_a_lenders_policy_list_offers_its_next_version(network, lender, client_for):
    policy = policy_version_create(
        lender=lender, terms=PolicyTerms(basis="rate_based", effective_from=dt.date(2025, 1, 1), ratio=D("0.01"))
    )
    client = client_for(network.finance_user)

    listing = client.get("/commissions/policies/", {"lender": lender.pk}).content.decode()
    detail = client.get(policy.get_absolute_url()).content.decode()
    manager_detail = client_for(network.regional_manager).get(policy.get_absolute_url()).content.decode()

    assert f'href="{POLICY_URL}?lender={lender.pk}">New</a>' in listing
    assert f'href="{POLICY_URL}?lender={lender.pk}&amp;from={policy.pk}">New version</a>' in detail
    assert POLICY_URL not in manager_detail


# ---------------------------------------------------------------- adjustments


def adjustment_post_data(**fields) -> dict[str, str]:
    return {
        "amount": "-80.50",
        "reason": AdjustmentReason.LENDER_CORRECTION,
        "note": "Lender's October statement lists a lower rate.",
        "event_on": "2025-10-15",
        **fields,
    }


def test_finance_books_an_adjustment_on_a_loan_by_its_reference(network, lender, client_for):
    loan = make_loan(network.foreign_dealer, lender, reference="LNCD0001")

    response = client_for(network.finance_user).post(
        ADJUSTMENT_URL, adjustment_post_data(loan_reference=" LNCD0001 "), follow=True
    )

    entry = CommissionEntry.objects.get()
    assert response.redirect_chain == [(f"/commissions/{entry.pk}/", 302)]
    assert "The adjustment of -¥80.50 is booked in period 2025-10." in response.content.decode()
    assert (entry.kind, entry.loan, entry.dealer, entry.lender, entry.amount) == (
        EntryKind.ADJUSTMENT,
        loan,
        network.foreign_dealer,
        lender,
        D("-80.50"),
    )
    assert (entry.period.month, entry.created_by) == (dt.date(2025, 10, 1), network.finance_user)


def test_an_adjustment_for_a_dealer_and_lender_goes_into_the_chosen_open_period(network, lender, client_for):
    november = CommissionPeriod.objects.create(month=dt.date(2025, 11, 1))

    response = client_for(network.head_office).post(
        ADJUSTMENT_URL,
        adjustment_post_data(
            dealer=network.home_dealer.pk, lender=lender.pk, period=november.pk, amount="1200", reason="volume_bonus"
        ),
    )

    entry = CommissionEntry.objects.get()
    assert response.status_code == 302
    assert (entry.loan, entry.dealer, entry.period, entry.amount) == (None, network.home_dealer, november, D("1200.00"))


def test_the_adjustment_form_offers_only_open_periods_and_prefills_the_loan(network, client_for, lender):
    open_month = CommissionPeriod.objects.create(month=dt.date(2025, 11, 1))
    CommissionPeriod.objects.create(month=dt.date(2025, 10, 1), status=PeriodStatus.CLOSED, closed_at=timezone.now())

    form = client_for(network.finance_user).get(ADJUSTMENT_URL, {"loan": "LN0042"}).context["form"]

    assert [label for value, label in form.fields["period"].widget.choices] == ["---", str(open_month)]
    assert form["loan_reference"].value() == "LN0042"


def test_an_adjustment_into_a_closed_period_is_refused(network, lender, client_for):
    closed = CommissionPeriod.objects.create(
        month=dt.date(2025, 10, 1), status=PeriodStatus.CLOSED, closed_at=timezone.now()
    )
    loan = make_loan(network.home_dealer, lender)

    response = client_for(network.finance_user).post(
        ADJUSTMENT_URL, adjustment_post_data(loan_reference=loan.reference, period=closed.pk)
    )

    assert response.context["form"].errors["period"] == ["Period 2025-10 is closed: choose an open period."]
    assert not CommissionEntry.objects.exists()


@pytest.mark.parametrize(
    ("fields", "field", "text"),
    [
        ({"reason": ""}, "reason", "Choose the reason for the adjustment."),
        ({"note": "   "}, "note", "Explain the adjustment."),
        ({"amount": "0.00"}, "amount", "An adjustment cannot be zero."),
        ({"event_on": "2099-01-01"}, "event_on", "This date is in the future."),
        ({"loan_reference": ""}, "dealer", "Name the loan, or the dealer and the lender."),
        ({"loan_reference": "LN-NOPE"}, "loan_reference", "No loan with reference LN-NOPE."),
    ],
)
def test_a_refused_adjustment_shows_why_next_to_its_field(network, lender, client_for, fields, field, text):
    loan = make_loan(network.home_dealer, lender)

    response = client_for(network.finance_user).post(
        ADJUSTMENT_URL, adjustment_post_data(**{"loan_reference": loan.reference, **fields})
    )

    assert response.status_code == 200
    assert response.context["form"].errors[field] == [text]
    assert not CommissionEntry.objects.exists()


def test_a_loan_and_a_dealer_together_are_refused(network, lender, client_for):
    loan = make_loan(network.home_dealer, lender)

    response = client_for(network.finance_user).post(
        ADJUSTMENT_URL, adjustment_post_data(loan_reference=loan.reference, dealer=network.foreign_dealer.pk)
    )

    assert "Leave the dealer and lender empty" in response.context["form"].errors["dealer"][0]
    assert not CommissionEntry.objects.exists()


def test_a_foreign_dealers_loan_cannot_be_adjusted_by_those_who_may_not_see_it(network, lender, client_for):
    foreign = make_loan(network.foreign_dealer, lender, reference="LNFOREIGN9")
    data = adjustment_post_data(loan_reference="LNFOREIGN9")

    refused = {
        role: client_for(user).post(ADJUSTMENT_URL, data).status_code
        for role, user in network.users().items()
        if role in ("dealer_user", "regional_manager")
    }
    # The loan is looked up in the user's scope: outside it, it does not exist.
    form = AdjustmentForm(data, user=network.regional_manager)

    assert refused == {"dealer_user": 403, "regional_manager": 403}
    assert not form.is_valid() and form.errors["loan_reference"] == ["No loan with reference LNFOREIGN9."]
    assert AdjustmentForm(data, user=network.finance_user).is_valid()
    assert not CommissionEntry.objects.filter(loan=foreign).exists()


def test_the_ledger_list_and_an_open_period_offer_a_new_adjustment_to_finance_only(network, client_for):
    november = CommissionPeriod.objects.create(month=dt.date(2025, 11, 1))
    finance = client_for(network.finance_user)

    finance_list = finance.get("/commissions/").content.decode()
    finance_period = finance.get(november.get_absolute_url()).content.decode()
    dealer = client_for(network.dealer_user)
    dealer_list = dealer.get("/commissions/").content.decode()
    dealer_period = dealer.get(november.get_absolute_url()).content.decode()

    assert f'href="{ADJUSTMENT_URL}">New adjustment</a>' in finance_list
    assert f'href="{ADJUSTMENT_URL}?period={november.pk}">New adjustment</a>' in finance_period
    assert ADJUSTMENT_URL not in dealer_list and ADJUSTMENT_URL not in dealer_period


@pytest.mark.parametrize("url", [POLICY_URL, ADJUSTMENT_URL])
def test_an_empty_or_tampered_post_is_answered_with_the_form_not_an_error(network, client_for, url):
    response = client_for(network.finance_user).post(url, {"tiers-TOTAL_FORMS": "x"})

    assert response.status_code == 200
    assert response.context["form"].errors
    assert not CommissionPolicy.objects.exists() and not CommissionEntry.objects.exists()


# ---------------------------------------------------------------- the loan page


@pytest.fixture
def posted_loan(network, lender):
    """300,000 at 5 %, 1 % ratio: 150.00 accrued; paid off early after 61 days, half clawed back."""
    policy_version_create(
        lender=lender,
        terms=PolicyTerms(
            basis="rate_based", effective_from=dt.date(2025, 1, 1), ratio=D("0.01"), clawback={90: D("0.5")}
        ),
    )
    loan = make_loan(
        network.home_dealer,
        lender,
        disbursed=dt.date(2025, 3, 10),
        status=LoanStatus.PAID_OFF_EARLY,
        closed_on=dt.date(2025, 5, 10),
    )
    commissions_post(as_of=dt.date(2025, 12, 31))
    CommissionEntryFactory(
        loan=loan, amount=D("12.34"), period__month=dt.date(2025, 6, 1), event_on=dt.date(2025, 6, 3)
    )
    CommissionEntry.objects.create(
        kind=EntryKind.RECEIPT,
        loan=loan,
        dealer=loan.dealer,
        lender=lender,
        period=CommissionPeriod.objects.get(month=dt.date(2025, 6, 1)),
        event_on=dt.date(2025, 6, 20),
        amount=D("100.00"),
        statement_reference="ICBC-2025-06",
    )
    return loan


def test_the_loan_page_lists_its_commission_entries_with_totals_to_the_fen(network, posted_loan, client_for):
    response = client_for(network.dealer_user).get(posted_loan.get_absolute_url())

    page = response.content.decode()
    totals = response.context["entry_totals"]
    assert (totals.accrued, totals.clawed_back, totals.adjusted, totals.received) == (
        D("150.00"),
        D("-75.00"),
        D("12.34"),
        D("100.00"),
    )
    for figure in ("¥150.00", "-¥75.00", "¥12.34", "¥87.34", "¥100.00", "-¥12.66"):
        assert figure in page
    assert [entry.kind for entry in response.context["ledger_entries"]] == [
        "accrual",
        "clawback",
        "adjustment",
        "receipt",
    ]
    assert "50.00 % after 61 days" in page and "ICBC-2025-06" in page
    assert "New adjustment" not in page  # a dealer user does not adjust the ledger


def test_finance_gets_a_prefilled_adjustment_link_on_the_loan_page(network, posted_loan, client_for):
    page = client_for(network.finance_user).get(posted_loan.get_absolute_url()).content.decode()

    assert f'href="{ADJUSTMENT_URL}?loan={posted_loan.reference}">New adjustment</a>' in page


def test_the_loan_page_costs_the_same_queries_however_many_entries(network, posted_loan, client_for):
    client = client_for(network.finance_user)
    client.get(posted_loan.get_absolute_url())
    with CaptureQueriesContext(connection) as few:
        client.get(posted_loan.get_absolute_url())
    for day in range(1, 6):
        CommissionEntryFactory(
            loan=posted_loan, amount=D("1.00"), period__month=dt.date(2025, 7, 1), event_on=dt.date(2025, 7, day)
        )
    with CaptureQueriesContext(connection) as many:
        response = client.get(posted_loan.get_absolute_url())

    assert len(response.context["ledger_entries"]) == 9
    assert len(many) == len(few)


# ---------------------------------------------------------------- status changes


def status_url(loan) -> str:
    return f"/loans/{loan.pk}/status/"


def test_finance_closes_a_loan_as_paid_off_early(network, lender, client_for):
    """(A dealer user's close is reported for confirmation: tests/security/test_loan_moves.py.)"""
    loan = make_loan(network.home_dealer, lender, disbursed=dt.date(2025, 3, 10))

    response = client_for(network.finance_user).post(
        status_url(loan), {"status": "paid_off_early", "on": "2025-05-01"}, follow=True
    )

    loan.refresh_from_db()
    assert response.redirect_chain == [(loan.get_absolute_url(), 302)]
    assert (loan.status, loan.closed_on) == (LoanStatus.PAID_OFF_EARLY, dt.date(2025, 5, 1))
    assert f"Loan {loan.reference} is now Paid off early." in response.content.decode()


def test_the_status_form_offers_only_the_allowed_next_statuses(network, lender, client_for):
    approved = make_loan(network.home_dealer, lender, status=LoanStatus.APPROVED, disbursed_on=None)
    matured = make_loan(network.home_dealer, lender, status=LoanStatus.MATURED, closed_on=dt.date(2028, 3, 10))
    client = client_for(network.dealer_user)

    form = client.get(approved.get_absolute_url()).context["status_form"]
    closed_page = client.get(matured.get_absolute_url())

    assert form.fields["status"].widget.choices == [("rejected", "Rejected"), ("disbursed", "Disbursed")]
    assert closed_page.context["status_form"] is None
    assert "Change status" not in closed_page.content.decode()


@pytest.mark.parametrize(
    ("role", "own", "expected"),
    [
        ("dealer_user", True, 302),
        ("dealer_user", False, 404),
        ("regional_manager", True, 403),
        ("finance", False, 302),
        ("head_office", False, 302),
    ],
)
def test_who_may_change_a_loans_status(network, lender, client_for, role, own, expected):
    loan = make_loan(network.home_dealer if own else network.foreign_dealer, lender, disbursed=dt.date(2025, 3, 10))

    response = client_for(network.users()[role]).post(status_url(loan), {"status": "defaulted", "on": "2025-09-01"})

    loan.refresh_from_db()
    assert response.status_code == expected
    # A dealer user's default is reported for finance to confirm; finance's own applies at once.
    reported = role == "dealer_user" and expected == 302
    assert loan.status == (LoanStatus.DEFAULTED if expected == 302 and not reported else LoanStatus.DISBURSED)
    assert loan.status_reports.filter(status=LoanStatus.DEFAULTED, decision="pending").exists() == reported


def test_the_manager_sees_no_status_form(network, lender, client_for):
    loan = make_loan(network.home_dealer, lender)

    response = client_for(network.regional_manager).get(loan.get_absolute_url())

    assert response.status_code == 200 and response.context["status_form"] is None


@pytest.mark.parametrize(
    ("loan_fields", "posted", "field", "text"),
    [
        (
            {"status": LoanStatus.PAID_OFF_EARLY, "closed_on": dt.date(2025, 5, 1)},
            {"status": "disbursed", "on": "2025-05-02"},
            "status",
            "A loan cannot go from Paid off early to Disbursed.",
        ),
        ({}, {"status": "defaulted", "on": "2025-03-01"}, "on", "A loan cannot close before it was disbursed."),
        ({}, {"status": "matured", "on": "2025-06-01"}, "status", "term has not ended yet"),
        ({}, {"status": "defaulted", "on": ""}, "on", "This field is required."),
        ({}, {"status": "exploded", "on": "2025-06-01"}, "status", "Select a valid choice."),
    ],
)
def test_a_refused_status_change_shows_why_and_changes_nothing(
    network, lender, client_for, loan_fields, posted, field, text
):
    loan = make_loan(network.home_dealer, lender, disbursed=dt.date(2025, 3, 10), **loan_fields)
    before = (loan.status, loan.closed_on)

    response = client_for(network.dealer_user).post(status_url(loan), posted)

    loan.refresh_from_db()
    assert response.status_code == 200
    assert text in " ".join(response.context["status_form"].errors[field])
    assert text in response.content.decode()
    assert (loan.status, loan.closed_on) == before
