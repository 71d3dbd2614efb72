"""The data layer's rules hold in the database itself, not only in forms."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import IntegrityError, connection, transaction

from inventory.models import Payment, StockStatus
from tests.factories import LoanFactory, SaleFactory, StockUnitFactory, VehicleModelFactory


def immediate_constraints():
    """Cross-table rules are deferred to commit; tests never commit, so check them now."""
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")


@pytest.mark.django_db
class TestStockUnit:
    @pytest.mark.parametrize("vin", ["LSV0000000000001", "LSV0000000000000I", "LSVO0000000000001", "lsv00000000000001"])
    def test_it_refuses_a_malformed_vin(self, vin):
        with pytest.raises(IntegrityError, match="stock_unit_vin_format"):
            StockUnitFactory(vin=vin)

    def test_it_refuses_a_second_unit_with_the_same_vin(self):
        StockUnitFactory(vin="LSVAB000000000001")
        with pytest.raises(IntegrityError):
            StockUnitFactory(vin="LSVAB000000000001")

    def test_it_refuses_a_unit_in_stock_without_arrival(self):
        with pytest.raises(IntegrityError, match="stock_unit_arrival_recorded"):
            StockUnitFactory(status=StockStatus.IN_STOCK, arrived_on=None)


@pytest.mark.django_db
class TestSale:
    def test_it_refuses_a_second_sale_of_one_unit(self):
        sale = SaleFactory()
        with pytest.raises(IntegrityError):
            SaleFactory(stock_unit=sale.stock_unit, dealer=sale.dealer)

    def test_it_refuses_a_sale_dated_before_the_unit_arrived(self):
        unit = StockUnitFactory(arrived_on=dt.date(2026, 10, 1), status=StockStatus.SOLD)
        immediate_constraints()
        with pytest.raises(IntegrityError, match="before its unit arrived"):
            SaleFactory(stock_unit=unit, dealer=unit.dealer, sold_on=dt.date(2026, 9, 30))

    def test_it_refuses_a_zero_price(self):
        with pytest.raises(IntegrityError, match="sale_price_positive"):
            SaleFactory(transaction_price=Decimal("0.00"))

    def test_vehicle_model_floor_cannot_exceed_msrp(self):
        with pytest.raises(IntegrityError, match="vehicle_model_floor_not_above_msrp"):
            VehicleModelFactory(msrp=Decimal("100000"), guide_price_floor=Decimal("100000.01"))


@pytest.mark.django_db
class TestLoan:
    def test_principal_plus_down_payment_must_equal_the_price_to_the_fen(self):
        sale = SaleFactory(payment=Payment.LOAN, transaction_price=Decimal("200000.00"))
        immediate_constraints()
        with pytest.raises(IntegrityError, match="differ from the sale price"):
            LoanFactory(sale=sale, down_payment=Decimal("50000.00"), principal=Decimal("150000.01"))

    def test_a_loan_only_on_a_loan_sale(self):
        sale = SaleFactory(payment=Payment.CASH)
        immediate_constraints()
        with pytest.raises(IntegrityError, match="not paid by loan"):
            LoanFactory(sale=sale)

    @pytest.mark.parametrize("rate", [Decimal("0"), Decimal("1"), Decimal("-0.01")])
    def test_the_rate_lies_strictly_between_0_and_1(self, rate):
        with pytest.raises(IntegrityError, match="loan_rate_between_0_and_1"):
            LoanFactory(annual_rate=rate)

    @pytest.mark.parametrize("term", [5, 61])
    def test_the_term_is_6_to_60_months(self, term):
        with pytest.raises(IntegrityError, match="loan_term_6_to_60_months"):
            LoanFactory(term_months=term)

    def test_a_consistent_loan_is_accepted(self):
        immediate_constraints()
        loan = LoanFactory()
        assert loan.principal + loan.down_payment == loan.sale.transaction_price

    def test_one_live_loan_per_sale_but_a_rejected_one_may_precede_it(self):
        loan = LoanFactory(status="rejected", disbursed_on=None)
        LoanFactory(sale=loan.sale)
        with transaction.atomic(), pytest.raises(IntegrityError, match="loan_one_live_loan_per_sale"):
            LoanFactory(sale=loan.sale)
