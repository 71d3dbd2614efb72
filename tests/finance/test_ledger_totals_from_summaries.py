"""The ledger list's totals and the periods page's read the ledger's summaries when the filters
allow, and show the same figures, to the fen, as the entries themselves."""

import datetime as dt
from decimal import Decimal

import pytest

from finance.models import CommissionEntry, CommissionPeriod, EntryKind
from finance.selectors import ledger_totals
from tests.factories import CommissionEntryFactory, LenderFactory, LoanFactory, SaleFactory

pytestmark = pytest.mark.django_db

FEBRUARY, MARCH = dt.date(2025, 2, 1), dt.date(2025, 3, 1)


@pytest.fixture
def ledger(network):
    cmb, icbc = LenderFactory(name="招商银行"), LenderFactory(name="工商银行")
    # Adjustments (postings need policies; the summaries sum every kind alike).
    rows = [
        (network.home_dealer, cmb, FEBRUARY, "1234.56", "Lender corrected the rate"),
        (network.home_dealer, icbc, FEBRUARY, "-200.10", "Duplicate accrual"),
        (network.home_dealer, cmb, MARCH, "-0.07", "Rounding"),
        (network.foreign_dealer, cmb, FEBRUARY, "999.99", "Lender corrected the term"),
        (network.foreign_dealer, icbc, MARCH, "500.00", "Late booking"),
    ]
    for dealer, lender, month, amount, note in rows:
        loan = LoanFactory(sale=SaleFactory(dealer=dealer, payment="loan"), lender=lender)
        period = CommissionPeriod.objects.get_or_create(month=month)[0]
        CommissionEntryFactory(
            loan=loan, amount=Decimal(amount), period=period, event_on=month + dt.timedelta(days=9), note=note
        )
    return {"cmb": cmb, "icbc": icbc}


def shown(client, params: dict) -> list[tuple[str, str]]:
    response = client.get("/commissions/", params)
    assert response.status_code == 200
    return [(str(label), value) for label, value in response.context["summary"]]


def raw(user, **filters) -> list[str]:
    from dealerops.access import scope
    from dealerops.formats import format_yuan

    totals = ledger_totals(scope(user, CommissionEntry).filter(**filters))
    return [
        format_yuan(value)
        for value in (
            totals.accrued,
            totals.clawed_back,
            totals.adjusted,
            totals.net,
            totals.received,
            totals.outstanding,
        )
    ]


@pytest.mark.parametrize("role", ["head_office", "regional_manager", "dealer_user", "finance_user"])
def test_the_ledger_lists_totals_equal_the_entries_under_every_filter(network, client_for, ledger, role):
    user = getattr(network, role)
    client = client_for(user)
    cmb = ledger["cmb"]
    cases = [
        ({}, {}),
        ({"lender": cmb.pk}, {"lender": cmb}),
        ({"kind": EntryKind.ADJUSTMENT}, {"kind": EntryKind.ADJUSTMENT}),
        ({"kind": EntryKind.ACCRUAL}, {"kind": EntryKind.ACCRUAL}),
        ({"month_from": "2025-03-01"}, {"period__month__gte": MARCH}),
        ({"period": CommissionPeriod.objects.get(month=FEBRUARY).pk}, {"period__month": FEBRUARY}),
        # A search needs the entries themselves: the same figures by the other path.
        ({"q": "corrected"}, {"note__icontains": "corrected"}),
    ]
    if role != "dealer_user":
        cases.append(({"dealer": network.home_dealer.pk}, {"dealer": network.home_dealer}))
    for params, filters in cases:
        assert [value for _label, value in shown(client, params)] == raw(user, **filters), params


@pytest.mark.parametrize("role", ["head_office", "regional_manager", "dealer_user"])
def test_the_periods_page_totals_each_month_as_its_entries(network, client_for, ledger, role):
    user = getattr(network, role)
    response = client_for(user).get("/commissions/periods/")
    assert response.status_code == 200
    from dealerops.access import scope

    for period, totals, _refusal in response.context["rows"]:
        entries = scope(user, CommissionEntry).filter(period=period)
        expected = ledger_totals(entries)
        if not expected.entries:
            assert totals is None
            continue
        assert (totals.accrued, totals.clawed_back, totals.adjusted, totals.received, totals.entries) == (
            expected.accrued,
            expected.clawed_back,
            expected.adjusted,
            expected.received,
            expected.entries,
        ), (role, period)


@pytest.mark.parametrize("role", ["head_office", "regional_manager", "dealer_user", "finance_user"])
def test_a_periods_page_and_export_total_each_lender_and_dealer_as_their_entries(network, client_for, ledger, role):
    from dealerops.access import scope
    from finance.selectors import ledger_totals_by

    user = getattr(network, role)
    client = client_for(user)
    february = CommissionPeriod.objects.get(month=FEBRUARY)
    response = client.get(f"/commissions/periods/{february.pk}/")
    assert response.status_code == 200
    entries = scope(user, CommissionEntry).filter(period=february)
    assert response.context["totals"] == ledger_totals(entries)
    assert response.context["by_lender"] == ledger_totals_by(entries, "lender", "lender__name")
    assert response.context["by_dealer"] == ledger_totals_by(entries, "dealer", "dealer__code", "dealer__name")
    # The home dealer's February nets 1,034.46 (1,234.56 招商银行 − 200.10 工商银行).
    home = [totals for group, totals in response.context["by_dealer"] if group["dealer"] == network.home_dealer.pk]
    assert [totals.net for totals in home] == [Decimal("1034.46")]

    export = client.get(f"/commissions/periods/{february.pk}/", {"export": "csv"})
    lines = b"".join(export.streaming_content).decode("utf-8-sig").splitlines()
    if role in ("head_office", "finance_user"):  # the network: both dealers
        assert lines[1:] == [
            f"Lender,{ledger['cmb'].code},招商银行,2,0.00,0.00,2234.55,2234.55,0.00,2234.55",
            f"Lender,{ledger['icbc'].code},工商银行,1,0.00,0.00,-200.10,-200.10,0.00,-200.10",
            "Dealer,HZ01,Hangzhou Xihu 4S,2,0.00,0.00,1034.46,1034.46,0.00,1034.46",
            "Dealer,CD01,Chengdu Jinjiang 4S,1,0.00,0.00,999.99,999.99,0.00,999.99",
            "Total,,,3,0.00,0.00,2034.45,2034.45,0.00,2034.45",
        ]
    else:  # the home dealer's region or the dealer itself
        assert lines[-1] == "Total,,,2,0.00,0.00,1034.46,1034.46,0.00,1034.46"
