"""List pages, CSV exports and the dealer entry forms, as a user sees them."""

import csv
import datetime as dt
import io
from decimal import Decimal

import pytest

from finance.models import Loan
from inventory.models import Sale, StockStatus, StockUnit
from tests.factories import CustomerFactory, LenderFactory, SaleFactory, StockUnitFactory, VehicleModelFactory

pytestmark = pytest.mark.django_db


def exported(response) -> list[list[str]]:
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text)))


class TestSaleList:
    def test_it_lists_search_filters_and_sorts_the_dealers_sales(self, network, client_for):
        early = SaleFactory(
            dealer=network.home_dealer, sold_on=dt.date(2026, 10, 20), transaction_price=Decimal("150000.00")
        )
        late = SaleFactory(
            dealer=network.home_dealer, sold_on=dt.date(2026, 11, 2), transaction_price=Decimal("210500.50")
        )
        SaleFactory(dealer=network.foreign_dealer)
        client = client_for(network.dealer_user)
        page = client.get("/sales/").content.decode()
        assert "¥210,500.50" in page and "2 records" in page
        assert late.stock_unit.vin in client.get("/sales/", {"q": late.stock_unit.vin[-6:]}).content.decode()
        assert early.stock_unit.vin not in client.get("/sales/", {"sold_after": "2026-11-01"}).content.decode()
        ordered = client.get("/sales/", {"ordering": "transaction_price"}).content.decode()
        assert ordered.index("¥150,000.00") < ordered.index("¥210,500.50")

    def test_the_list_takes_a_fixed_number_of_queries(self, network, client_for, django_assert_max_num_queries):
        for _ in range(8):
            SaleFactory(dealer=network.home_dealer)
        client = client_for(network.regional_manager)
        with django_assert_max_num_queries(12):
            assert client.get("/sales/").status_code == 200

    def test_the_export_holds_the_scoped_rows_and_neutralises_formulas(self, network, client_for):
        SaleFactory(
            dealer=network.home_dealer,
            salesperson="x",
            registered_city="=HYPERLINK(1)",
            customer__name="=cmd|' /C calc'!A0",
        )
        SaleFactory(dealer=network.foreign_dealer)
        rows = exported(client_for(network.regional_manager).get("/sales/", {"export": "csv"}))
        assert rows[0][:3] == ["Sold on", "Dealer", "VIN"]
        assert len(rows) == 2
        assert rows[1][4] == "'=cmd|' /C calc'!A0"
        assert rows[1][5] == "195000.00"


class TestSaleEntry:
    def form(self, unit, existing_customer, **overrides):
        data = {
            "stock_unit": unit.vin,
            "customer": existing_customer.pk,
            "salesperson": "Li Na",
            "sold_on": "2026-11-02",
            "transaction_price": "188888.88",
            "payment": "cash",
            "registered_city": "Hangzhou",
        }
        return {**data, **overrides}

    def test_a_dealer_records_a_loan_sale(self, network, client_for):
        unit = StockUnitFactory(dealer=network.home_dealer, arrived_on=dt.date(2026, 10, 8))
        data = self.form(
            unit,
            CustomerFactory(home_dealer=network.home_dealer),
            payment="loan",
            loan_reference="LN-FORM-1",
            lender=LenderFactory().pk,
            down_payment="56666.66",
            annual_rate_percent="4.99",
            term_months="36",
            credit_grade="A",
            applied_on="2026-11-01",
        )
        response = client_for(network.dealer_user).post("/sales/new/", data)
        sale = Sale.objects.get()
        assert response.status_code == 302 and response["Location"] == f"/sales/{sale.pk}/"
        loan = Loan.objects.get(sale=sale)
        assert (loan.principal, loan.annual_rate) == (Decimal("132222.22"), Decimal("0.049900"))
        unit.refresh_from_db()
        assert unit.status == StockStatus.SOLD

    def test_a_new_customer_can_be_entered_with_the_sale(self, network, client_for):
        unit = StockUnitFactory(dealer=network.home_dealer, arrived_on=dt.date(2026, 10, 8))
        data = self.form(
            unit,
            CustomerFactory(home_dealer=network.home_dealer),
            customer="",
            customer_name="Zhou Min",
            customer_phone="13711112222",
            customer_city="Hangzhou",
        )
        client_for(network.dealer_user).post("/sales/new/", data)
        assert Sale.objects.get().customer.name == "Zhou Min"

    def test_errors_appear_next_to_their_field_and_nothing_is_written(self, network, client_for):
        unit = StockUnitFactory(dealer=network.home_dealer, arrived_on=dt.date(2026, 10, 8))
        customer = CustomerFactory(home_dealer=network.home_dealer)
        client = client_for(network.dealer_user)
        response = client.post("/sales/new/", self.form(unit, customer, sold_on="2026-10-01"))
        assert response.status_code == 200
        assert response.context["form"].errors == {
            "sold_on": ["The sale date is before the unit arrived (2026-10-08)."]
        }
        loan_without_terms = client.post("/sales/new/", self.form(unit, customer, payment="loan"))
        assert loan_without_terms.context["form"].errors["down_payment"] == ["Required for a loan sale."]
        assert not Sale.objects.exists()

    def test_a_unit_of_another_dealer_is_not_offered(self, network, client_for):
        foreign = StockUnitFactory(dealer=network.foreign_dealer)
        page = client_for(network.dealer_user).get("/sales/new/").content.decode()
        assert foreign.vin not in page

    def test_a_regional_manager_may_not_enter_sales(self, network, client_for):
        assert client_for(network.regional_manager).get("/sales/new/").status_code == 403


class TestStockArrival:
    def test_a_dealer_records_an_arrival(self, network, client_for):
        model = VehicleModelFactory()
        response = client_for(network.dealer_user).post(
            "/stock/arrival/", {"vin": "lfv3a23c9k3012345", "model": model.pk, "arrived_on": "2026-11-01"}
        )
        unit = StockUnit.objects.get()
        assert response["Location"] == f"/stock/{unit.pk}/"
        assert (unit.vin, unit.status, unit.dealer) == ("LFV3A23C9K3012345", StockStatus.IN_STOCK, network.home_dealer)

    def test_a_malformed_vin_is_named(self, network, client_for):
        response = client_for(network.dealer_user).post(
            "/stock/arrival/",
            {"vin": "LFV3A23C9K30I2345", "model": VehicleModelFactory().pk, "arrived_on": "2026-11-01"},
        )
        assert "vin" in response.context["form"].errors
        assert not StockUnit.objects.exists()


def test_a_sale_page_shows_its_audit_trail(network, client_for):
    sale = SaleFactory(dealer=network.home_dealer)
    Sale.objects.filter(pk=sale.pk).update(transaction_price=Decimal("190000.00"))
    page = client_for(network.head_office).get(f"/sales/{sale.pk}/").content.decode()
    assert "190000.00" in page and "195000.00" in page
