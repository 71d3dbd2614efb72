"""The ledger's pages and API: totals to the fen within each role's scope, CSV export,
closing a period, and loan status changes through the API."""

import csv
import datetime as dt
import io
from decimal import Decimal

import pytest

from finance.models import CommissionPeriod, LoanStatus, PeriodStatus
from finance.services.ledger import commissions_post
from finance.services.policies import PolicyTerms, policy_version_create
from tests.factories import LenderFactory
from tests.finance.test_commission_posting import make_loan

D = Decimal
pytestmark = pytest.mark.django_db


@pytest.fixture
def ledger(network):
    """Two loans at home (150.00 + 120.00) and one abroad (150.00), posted for 2025."""
    lender = LenderFactory(code="ICBC", name="ICBC Auto")
    policy_version_create(
        lender=lender, terms=PolicyTerms(basis="rate_based", effective_from=dt.date(2025, 1, 1), ratio=D("0.01"))
    )
    home = [
        make_loan(network.home_dealer, lender, disbursed=dt.date(2025, 3, 10)),
        make_loan(network.home_dealer, lender, principal="240000.00", disbursed=dt.date(2025, 4, 2)),
    ]
    foreign = make_loan(network.foreign_dealer, lender, disbursed=dt.date(2025, 3, 12), reference="LNABROAD01")
    commissions_post(as_of=dt.date(2025, 12, 31))
    return home, foreign


def test_a_dealer_sees_only_its_own_commissions_and_their_total(network, ledger, client_for):
    response = client_for(network.dealer_user).get("/commissions/")

    page = response.content.decode()
    assert response.status_code == 200
    assert "¥270.00" in page  # 150.00 + 120.00, not the foreign dealer's 150.00
    assert "LNABROAD01" not in page


def test_finance_sees_the_network_total_and_exports_the_same_rows(network, ledger, client_for):
    client = client_for(network.users()["finance"])

    page = client.get("/commissions/").content.decode()
    export = client.get(
        "/commissions/", {"export": "csv", "period": CommissionPeriod.objects.get(month="2025-03-01").pk}
    )

    assert "¥420.00" in page
    rows = list(csv.DictReader(io.StringIO(b"".join(export.streaming_content).decode("utf-8-sig"))))
    assert sorted(row["Amount"] for row in rows) == ["150.00", "150.00"]
    assert {row["Loan"] for row in rows} >= {"LNABROAD01"}


def test_finance_closes_a_period_from_its_page_and_a_dealer_cannot(network, ledger, client_for):
    march = CommissionPeriod.objects.get(month=dt.date(2025, 3, 1))
    earlier = CommissionPeriod.objects.filter(month__lt=march.month)
    assert not earlier.exists()

    refused = client_for(network.dealer_user).post(f"/commissions/periods/{march.pk}/close/")
    closed = client_for(network.users()["finance"]).post(f"/commissions/periods/{march.pk}/close/", follow=True)

    assert refused.status_code == 403
    march.refresh_from_db()
    assert march.status == PeriodStatus.CLOSED
    assert "Period 2025-03 is closed." in closed.content.decode()


def test_closing_out_of_order_shows_why_and_changes_nothing(network, ledger, client_for):
    april = CommissionPeriod.objects.get(month=dt.date(2025, 4, 1))

    response = client_for(network.users()["finance"]).post(f"/commissions/periods/{april.pk}/close/", follow=True)

    assert "Close 2025-03 first" in response.content.decode()
    april.refresh_from_db()
    assert april.status == PeriodStatus.OPEN


def test_the_period_page_totals_by_lender_and_dealer_within_the_scope(network, ledger, client_for):
    march = CommissionPeriod.objects.get(month=dt.date(2025, 3, 1))

    manager_page = client_for(network.users()["regional_manager"]).get(march.get_absolute_url()).content.decode()

    assert "ICBC Auto" in manager_page and "¥150.00" in manager_page
    assert network.foreign_dealer.name not in manager_page


def test_the_ledger_summary_endpoint_totals_by_lender(network, ledger, client_for):
    response = client_for(network.users()["finance"]).get("/api/v1/commission-entries/summary/", {"group_by": "lender"})
    bad = client_for(network.users()["finance"]).get("/api/v1/commission-entries/summary/", {"group_by": "colour"})

    assert response.status_code == 200
    [group] = response.json()
    assert (group["group"]["lender__name"], group["accrued"], group["net"], group["entries"]) == (
        "ICBC Auto",
        "420.00",
        "420.00",
        3,
    )
    assert bad.status_code == 400 and "group_by" in bad.json()


def test_a_dealer_reports_its_loan_paid_off_early_through_the_api_but_never_backwards(network, ledger, client_for):
    loan = ledger[0][0]
    client = client_for(network.dealer_user)

    closed = client.post(
        f"/api/v1/loans/{loan.pk}/status/",
        {"status": "paid_off_early", "on": "2025-05-01"},
        content_type="application/json",
    )
    backwards = client.post(
        f"/api/v1/loans/{loan.pk}/status/", {"status": "disbursed", "on": "2025-05-02"}, content_type="application/json"
    )
    foreign = client.post(
        f"/api/v1/loans/{ledger[1].pk}/status/",
        {"status": "defaulted", "on": "2025-05-01"},
        content_type="application/json",
    )

    # Reported, not applied: the clawback waits for finance's confirmation.
    assert closed.status_code == 202 and closed.json()["status"] == LoanStatus.DISBURSED
    assert closed.json()["awaiting_confirmation"]["status"] == LoanStatus.PAID_OFF_EARLY
    assert backwards.status_code == 400 and "cannot go from" in backwards.json()["status"][0]
    assert foreign.status_code == 404


def test_the_ledger_lists_the_newest_event_first_and_keeps_its_other_sorts(network, ledger, client_for):
    client = client_for(network.finance_user)
    rows = client.get("/commissions/").context["object_list"]
    keys = [(entry.event_on, entry.pk) for entry in rows]
    assert len(keys) > 2 and keys == sorted(keys, reverse=True)
    page = client.get("/commissions/").content.decode()
    assert "▼" in page.split('ordering=event_on">')[1].split("</a>")[0]  # the default sort is marked
    by_amount = client.get("/commissions/", {"ordering": "amount"}).context["object_list"]
    assert [entry.amount for entry in by_amount] == sorted(entry.amount for entry in by_amount)
    oldest_first = client.get("/commissions/", {"ordering": "event_on"}).context["object_list"]
    assert [entry.event_on for entry in oldest_first] == sorted(key[0] for key in keys)
