"""Values a finance user would call mistakes are refused with a message naming the field, by
the page, the API and the import alike: a lender statement for a month still to come, an
adjustment dated 1900-01-01, a loan whose buy rate is above its annual rate."""

import datetime as dt
from decimal import Decimal

import pytest
from dateutil.relativedelta import relativedelta
from django.db import IntegrityError, transaction
from rest_framework.test import APIClient

from datahub.models import ImportKind
from dealerops.validation import today
from finance.models import CommissionEntry, CommissionPeriod, LenderStatement, Loan
from tests.datahub.helpers import errors_of, run_import
from tests.datahub.test_import_kinds import LOANS, VIN_A, immediate, loan_sales  # noqa: F401 - fixtures
from tests.factories import CustomerFactory, LenderFactory, LoanFactory, SaleFactory, StockUnitFactory
from tests.finance.test_commission_posting import make_loan
from tests.finance.test_ledger_forms import ADJUSTMENT_URL, adjustment_post_data
from tests.finance.test_reconciliation import csv_bytes, upload

pytestmark = pytest.mark.django_db


# ---------------------------------------------------------------- lender statements


def test_a_statement_line_for_a_month_still_to_come_is_refused_naming_its_row_and_period(network, client_for):
    lender = LenderFactory(code="ICBC")
    future = today().replace(day=1) + relativedelta(months=1)

    response = upload(
        client_for(network.finance_user),
        lender,
        csv_bytes([("LN1", "2025-03", "150.00"), ("LN2", "2030-01", "88.00"), ("LN3", f"{future:%Y-%m}", "1.00")]),
    )

    page = response.content.decode()
    assert "period 2030-01 has not begun yet: a statement covers months that have." in page
    assert f"period {future:%Y-%m} has not begun yet" in page
    assert not LenderStatement.objects.exists()


def test_a_statement_of_the_month_in_progress_is_accepted(network, client_for):
    upload(
        client_for(network.finance_user),
        LenderFactory(code="ICBC"),
        csv_bytes([("LN1", f"{today():%Y-%m}", "150.00")]),
    )

    assert LenderStatement.objects.get().last_month == today().replace(day=1)


# ---------------------------------------------------------------- adjustments


def test_an_adjustment_dated_before_its_loan_was_applied_for_is_refused_naming_the_date(network, client_for):
    loan = make_loan(network.home_dealer, LenderFactory(), reference="LNHOME01")

    response = client_for(network.finance_user).post(
        ADJUSTMENT_URL, adjustment_post_data(loan_reference=loan.reference, event_on="1900-01-01")
    )

    assert response.context["form"].errors["event_on"] == [
        f"The event date 1900-01-01 is before loan LNHOME01 was applied for ({loan.applied_on})."
    ]
    assert not CommissionEntry.objects.exists()


def test_a_dealer_adjustment_older_than_the_ledger_can_reach_is_refused(network, client_for):
    CommissionPeriod.objects.create(month=dt.date(2025, 3, 1))
    lender = LenderFactory()
    fields = {"dealer": network.home_dealer.pk, "lender": lender.pk, "reason": "volume_bonus"}
    client = client_for(network.finance_user)

    refused = client.post(ADJUSTMENT_URL, adjustment_post_data(**fields, event_on="1900-01-01"))
    accepted = client.post(ADJUSTMENT_URL, adjustment_post_data(**fields, event_on="2025-01-20"))

    assert refused.context["form"].errors["event_on"] == [
        "The event date 1900-01-01 is before 2020-03-01: no commission in the ledger goes back that far."
    ]
    assert accepted.status_code == 302
    assert CommissionEntry.objects.get().period.month == dt.date(2025, 3, 1)


# ---------------------------------------------------------------- buy rate above the annual rate


def loan_sale_body(network, **loan) -> dict:
    unit = StockUnitFactory(dealer=network.home_dealer, arrived_on=dt.date(2026, 10, 8))
    return {
        "stock_unit": unit.pk,
        "customer": CustomerFactory(home_dealer=network.home_dealer).pk,
        "salesperson": "Li",
        "sold_on": "2026-11-02",
        "transaction_price": "188888.88",
        "payment": "loan",
        "registered_city": "Hangzhou",
        "loan": {
            "reference": "LN-API-0001",
            "lender": LenderFactory().pk,
            "down_payment": "56666.66",
            "annual_rate": "0.050000",
            "term_months": 36,
            "credit_grade": "A",
            "applied_on": "2026-11-01",
            **loan,
        },
    }


def test_the_api_refuses_a_buy_rate_above_the_annual_rate_naming_the_field(network):
    api = APIClient()
    api.force_authenticate(network.dealer_user)

    refused = api.post("/api/v1/sales/", loan_sale_body(network, buy_rate="0.090000"), format="json")

    assert refused.status_code == 400
    assert refused.json() == {
        "buy_rate": ["The lender buy rate (9.00 %) cannot be above the loan's annual rate (5.00 %)."]
    }
    assert not Loan.objects.exists()


def test_a_buy_rate_equal_to_the_annual_rate_is_accepted(network):
    api = APIClient()
    api.force_authenticate(network.dealer_user)

    response = api.post("/api/v1/sales/", loan_sale_body(network, buy_rate="0.050000"), format="json")

    assert response.status_code == 201, response.json()


def test_the_loan_import_refuses_a_buy_rate_above_the_annual_rate_in_its_column(network, loan_sales):  # noqa: F811
    text = LOANS.replace(
        f'HT-2026-001,{VIN_A},ICBC,"172,060.00","73,740.00",4.95%,0.0395',
        f'HT-2026-001,{VIN_A},ICBC,"172,060.00","73,740.00",5%,9%',
    )

    batch = run_import(network, ImportKind.LOANS, text)

    assert (
        2,
        "结算利率",
        "The lender buy rate (9.00 %) cannot be above the loan's annual rate (5.00 %).",
    ) in errors_of(batch)


def test_the_database_refuses_a_buy_rate_above_the_annual_rate(network):
    loan = LoanFactory(sale=SaleFactory(dealer=network.home_dealer, payment="loan"), annual_rate=Decimal("0.05"))

    with pytest.raises(IntegrityError, match="loan_buy_rate_not_above_rate"), transaction.atomic():
        Loan.objects.filter(pk=loan.pk).update(buy_rate=Decimal("0.09"))
