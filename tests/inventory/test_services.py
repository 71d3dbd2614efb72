"""Stock arrivals and sales through the services every page, API call and import uses."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from finance.models import Loan
from finance.services.loans import LoanTerms, loan_sale_record
from inventory.models import Sale, StockStatus, StockUnit
from inventory.services import sale_record, stock_arrival_record
from tests.factories import CustomerFactory, LenderFactory, StockUnitFactory, VehicleModelFactory

ARRIVED = dt.date(2026, 10, 8)


@pytest.fixture
def unit(network):
    return StockUnitFactory(dealer=network.home_dealer, arrived_on=ARRIVED)


def sale_fields(network, unit, **overrides):
    fields = {
        "dealer": network.home_dealer,
        "stock_unit": unit,
        "customer": CustomerFactory(home_dealer=network.home_dealer),
        "salesperson": "Li Na",
        "sold_on": dt.date(2026, 11, 2),
        "transaction_price": Decimal("188888.88"),
        "payment": "cash",
        "registered_city": "Hangzhou",
    }
    return {**fields, **overrides}


@pytest.mark.django_db
class TestStockArrival:
    def test_an_ordered_unit_arrives_into_stock(self, network):
        ordered = StockUnitFactory(
            dealer=network.home_dealer, status=StockStatus.IN_TRANSIT, arrived_on=None, ordered_on=dt.date(2026, 9, 1)
        )
        unit = stock_arrival_record(
            dealer=network.home_dealer, vin=ordered.vin.lower(), model=ordered.model, arrived_on=dt.date(2026, 10, 1)
        )
        assert (unit.pk, unit.status, unit.arrived_on) == (ordered.pk, StockStatus.IN_STOCK, dt.date(2026, 10, 1))

    def test_an_unknown_vin_is_registered_in_stock(self, network):
        model = VehicleModelFactory()
        unit = stock_arrival_record(
            dealer=network.home_dealer, vin="LFV3A23C9K3012345", model=model, arrived_on=dt.date(2026, 10, 1)
        )
        assert (unit.status, unit.ordered_on, unit.dealer) == (
            StockStatus.IN_STOCK,
            dt.date(2026, 10, 1),
            network.home_dealer,
        )

    def test_a_vin_of_another_dealer_is_refused(self, network):
        foreign = StockUnitFactory(dealer=network.foreign_dealer, status=StockStatus.IN_TRANSIT, arrived_on=None)
        with pytest.raises(ValidationError) as error:
            stock_arrival_record(dealer=network.home_dealer, vin=foreign.vin, model=foreign.model, arrived_on=ARRIVED)
        assert error.value.message_dict == {"vin": ["This VIN belongs to another dealer's stock."]}

    def test_a_malformed_vin_is_named(self, network):
        with pytest.raises(ValidationError) as error:
            stock_arrival_record(
                dealer=network.home_dealer, vin="LFV3A23C9K30I2345", model=VehicleModelFactory(), arrived_on=ARRIVED
            )
        assert "vin" in error.value.message_dict
        assert not StockUnit.objects.exists()

    def test_a_future_arrival_is_refused(self, network):
        with pytest.raises(ValidationError) as error:
            stock_arrival_record(
                dealer=network.home_dealer,
                vin="LFV3A23C9K3012345",
                model=VehicleModelFactory(),
                arrived_on=dt.date.today() + dt.timedelta(days=2),
            )
        assert error.value.message_dict == {"arrived_on": ["This date is in the future."]}


@pytest.mark.django_db
class TestSale:
    def test_a_sale_takes_the_unit_out_of_stock(self, network, unit):
        sale = sale_record(**sale_fields(network, unit))
        unit.refresh_from_db()
        assert unit.status == StockStatus.SOLD
        assert sale.transaction_price == Decimal("188888.88")

    def test_a_sale_before_arrival_names_the_date(self, network, unit):
        with pytest.raises(ValidationError) as error:
            sale_record(**sale_fields(network, unit, sold_on=dt.date(2026, 10, 7)))
        assert error.value.message_dict == {"sold_on": ["The sale date is before the unit arrived (2026-10-08)."]}

    def test_a_sold_unit_cannot_be_sold_again(self, network, unit):
        sale_record(**sale_fields(network, unit))
        with pytest.raises(ValidationError) as error:
            sale_record(**sale_fields(network, unit))
        assert error.value.message_dict == {"stock_unit": ["This unit is not in stock (status: Sold)."]}

    def test_a_loan_sale_writes_the_sale_and_its_loan_with_the_principal_to_the_fen(self, network, unit):
        terms = LoanTerms(
            reference="LN20261102001",
            lender=LenderFactory(),
            down_payment=Decimal("56666.66"),
            annual_rate=Decimal("0.049900"),
            term_months=36,
            credit_grade="A",
            applied_on=dt.date(2026, 11, 2),
        )
        sale = loan_sale_record(
            loan_terms=terms, entered_by=network.head_office, **sale_fields(network, unit, payment="loan")
        )
        loan = Loan.objects.get(sale=sale)
        assert loan.principal == Decimal("132222.22")
        assert loan.dealer == network.home_dealer

    def test_a_rejected_loan_leaves_no_sale_behind(self, network, unit):
        terms = LoanTerms(
            reference="LN20261102002",
            lender=LenderFactory(),
            down_payment=Decimal("188888.88"),
            annual_rate=Decimal("0.049900"),
            term_months=36,
            credit_grade="A",
            applied_on=dt.date(2026, 11, 2),
        )
        with pytest.raises(ValidationError) as error:
            loan_sale_record(
                loan_terms=terms, entered_by=network.head_office, **sale_fields(network, unit, payment="loan")
            )
        assert error.value.message_dict == {"down_payment": ["The down payment must be less than the sale price."]}
        assert not Sale.objects.exists()
        unit.refresh_from_db()
        assert unit.status == StockStatus.IN_STOCK

    def test_a_loan_sale_needs_its_loan(self, network, unit):
        with pytest.raises(ValidationError) as error:
            loan_sale_record(
                loan_terms=None, entered_by=network.head_office, **sale_fields(network, unit, payment="loan")
            )
        assert error.value.message_dict == {"payment": ["A loan sale needs the loan's details."]}
