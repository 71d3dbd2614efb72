"""Loan pages: scoped lists, rates as percentages, and the audit trail of a status change."""

from decimal import Decimal

import pytest

from finance.models import Loan
from tests.factories import LoanFactory, SaleFactory

pytestmark = pytest.mark.django_db


def test_finance_lists_every_dealers_loans_with_rates_in_percent(network, client_for):
    LoanFactory(sale=SaleFactory(dealer=network.home_dealer, payment="loan"), annual_rate=Decimal("0.049900"))
    LoanFactory(sale=SaleFactory(dealer=network.foreign_dealer, payment="loan"))
    response = client_for(network.finance_user).get("/loans/")
    assert response.context["paginator"].count == 2
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
