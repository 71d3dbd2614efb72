"""Loan pages: scoped lists, rates as percentages, and the audit trail of a status change."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from finance.models import Loan
from tests.factories import LoanFactory, SaleFactory

pytestmark = pytest.mark.django_db


def test_finance_lists_every_dealers_loans_with_rates_in_percent(network, client_for):
    LoanFactory(sale=SaleFactory(dealer=network.home_dealer, payment="loan"), annual_rate=Decimal("0.049900"))
    LoanFactory(sale=SaleFactory(dealer=network.foreign_dealer, payment="loan"))
    response = client_for(network.finance_user).get("/loans/")
    assert response.context["listing"].count == 2
    assert "4.99 %" in response.content.decode()


def test_a_dealer_user_lists_only_their_loans(network, client_for):
    own = LoanFactory(sale=SaleFactory(dealer=network.home_dealer, payment="loan"))
    LoanFactory(sale=SaleFactory(dealer=network.foreign_dealer, payment="loan"))
    loans = client_for(network.dealer_user).get("/loans/").context["object_list"]
    assert [loan.reference for loan in loans] == [own.reference]


def test_the_loan_page_shows_who_changed_the_status(network, client_for):
    loan = LoanFactory(sale=SaleFactory(dealer=network.home_dealer, payment="loan"))
    Loan.objects.filter(pk=loan.pk).update(status="paid_off_early", closed_on=loan.disbursed_on)
    page = client_for(network.finance_user).get(f"/loans/{loan.pk}/").content.decode()
    # the history names statuses by their labels, before -> after
    assert "status</td><td>Disbursed</td><td>Paid off early</td>" in page


def test_the_loans_list_marks_each_loan_with_a_move_awaiting_confirmation(
    network, client_for, django_assert_num_queries
):
    from finance.models import LoanStatus, LoanStatusReport

    reported = LoanFactory(sale=SaleFactory(dealer=network.home_dealer, payment="loan"), status=LoanStatus.APPROVED,
                           disbursed_on=None)  # fmt: skip
    LoanStatusReport.objects.create(loan=reported, status=LoanStatus.DISBURSED, on=reported.applied_on,
                                    reported_by=network.dealer_user)  # fmt: skip
    plain = LoanFactory(sale=SaleFactory(dealer=network.home_dealer, payment="loan"))
    client = client_for(network.finance_user)
    client.cookies["django_language"] = "zh-hans"
    page = client.get("/loans/").content.decode()
    rows = {
        loan.reference: page.split(f">{loan.reference}</a>", 1)[1].split("</tr>", 1)[0] for loan in (reported, plain)
    }
    assert '<span class="badge warning">待确认</span>' in rows[reported.reference]
    assert "badge warning" not in rows[plain.reference]

    # The marker is read in the list's own query: more loans, no more queries.
    client.get("/loans/")
    with CaptureQueriesContext(connection) as few:
        client.get("/loans/")
    for _ in range(5):
        extra = LoanFactory(sale=SaleFactory(dealer=network.home_dealer, payment="loan"), status=LoanStatus.APPROVED,
                            disbursed_on=None)  # fmt: skip
        LoanStatusReport.objects.create(loan=extra, status=LoanStatus.DISBURSED, on=extra.applied_on,
                                        reported_by=network.dealer_user)  # fmt: skip
    with django_assert_num_queries(len(few.captured_queries)):
        response = client.get("/loans/")
    assert response.content.decode().count('class="badge warning"') == 6
