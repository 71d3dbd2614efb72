"""The API: the same scoping, filters and validation as the pages, answered as JSON."""

import datetime as dt
from decimal import Decimal

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from finance.models import Loan
from inventory.models import Sale, StockStatus, StockUnit
from tests.factories import (
    CustomerFactory,
    LenderFactory,
    LoanFactory,
    SaleFactory,
    StockUnitFactory,
    VehicleModelFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def api():
    def as_user(user):
        client = APIClient()
        client.force_authenticate(user)
        return client

    return as_user


@pytest.fixture
def sales(network):
    home = [
        SaleFactory(
            dealer=network.home_dealer, sold_on=dt.date(2026, 10, day), stock_unit__arrived_on=dt.date(2026, 9, 1)
        )
        for day in (1, 2, 3)
    ]
    foreign = SaleFactory(dealer=network.foreign_dealer)
    return home, foreign


def ids(response) -> set[int]:
    return {row["id"] for row in response.json()["results"]}


class TestScoping:
    def test_each_role_lists_the_sales_of_its_scope(self, network, sales, api):
        home, foreign = sales
        home_ids = {sale.pk for sale in home}
        assert ids(api(network.dealer_user).get("/api/v1/sales/")) == home_ids
        assert ids(api(network.regional_manager).get("/api/v1/sales/")) == home_ids
        assert ids(api(network.finance_user).get("/api/v1/sales/")) == home_ids | {foreign.pk}
        assert ids(api(network.head_office).get("/api/v1/sales/")) == home_ids | {foreign.pk}

    def test_a_foreign_sale_answers_404(self, network, sales, api):
        response = api(network.dealer_user).get(f"/api/v1/sales/{sales[1].pk}/")
        assert response.status_code == 404
        assert "transaction_price" not in response.json()

    def test_finance_may_not_read_customers(self, network, api):
        assert api(network.finance_user).get("/api/v1/customers/").status_code == 403

    def test_a_regional_manager_sees_masked_phones_and_the_dealer_whole_ones(self, network, api):
        CustomerFactory(home_dealer=network.home_dealer, phone="13812341234")
        manager = api(network.regional_manager).get("/api/v1/customers/").json()["results"]
        dealer = api(network.dealer_user).get("/api/v1/customers/").json()["results"]
        assert [row["phone"] for row in manager] == ["138****1234"]
        assert [row["phone"] for row in dealer] == ["13812341234"]

    def test_anonymous_requests_are_refused(self, client):
        assert client.get("/api/v1/sales/").status_code in (401, 403)

    def test_a_token_authenticates(self, network, sales):
        token = Token.objects.create(user=network.dealer_user)
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
        assert client.get("/api/v1/sales/").json()["count"] == 3


class TestListing:
    def test_filters_search_sorting_and_pagination(self, network, sales, api):
        client = api(network.head_office)
        assert (
            client.get("/api/v1/sales/", {"sold_after": "2026-10-02", "dealer": network.home_dealer.pk}).json()["count"]
            == 2
        )
        vin = sales[0][0].stock_unit.vin
        assert ids(client.get("/api/v1/sales/", {"q": vin})) == {sales[0][0].pk}
        ordered = client.get("/api/v1/sales/", {"ordering": "sold_on", "dealer": network.home_dealer.pk}).json()
        assert [row["sold_on"] for row in ordered["results"]] == ["2026-10-01", "2026-10-02", "2026-10-03"]
        assert client.get("/api/v1/sales/", {"page": 1}).json()["count"] == 4
        # Page size is fixed: asking for another is refused rather than silently ignored.
        assert client.get("/api/v1/sales/", {"page_size": 2}).status_code == 400

    def test_a_list_past_the_count_limit_is_walked_by_cursor(self, network, sales, api, monkeypatch):
        monkeypatch.setattr("dealerops.pagination.EXACT_COUNT_LIMIT", 2)
        monkeypatch.setattr("dealerops.pagination.ListingPagination.page_size", 3)
        client = api(network.head_office)
        first = client.get("/api/v1/sales/", {"ordering": "sold_on"}).json()
        assert first["count"] is None and first["estimated_count"] > 2 and first["previous"] is None
        second = client.get(first["next"]).json()
        assert second["next"] is None and second["previous"]
        walked = [row["id"] for row in first["results"] + second["results"]]
        assert sorted(walked) == sorted(Sale.objects.values_list("pk", flat=True))
        assert len(walked) == len(set(walked))
        # A page number past the counted rows cannot be served: the answer says how to page.
        refused = client.get("/api/v1/sales/", {"ordering": "sold_on", "page": 2})
        assert refused.status_code == 404 and "next link" in refused.json()["detail"]

    def test_a_filter_choice_outside_the_scope_is_refused(self, network, sales, api):
        response = api(network.dealer_user).get("/api/v1/sales/", {"dealer": network.foreign_dealer.pk})
        assert response.status_code == 400
        assert "dealer" in response.json()

    @pytest.mark.parametrize(
        "endpoint",
        ["/api/v1/sales/", "/api/v1/loans/", "/api/v1/stock-units/", "/api/v1/dealers/", "/api/v1/customers/"],
    )
    def test_lists_take_a_fixed_number_of_queries(self, network, api, endpoint, django_assert_max_num_queries):
        for _ in range(5):
            LoanFactory(sale=SaleFactory(dealer=network.home_dealer, payment="loan"))
        with django_assert_max_num_queries(6):
            assert api(network.head_office).get(endpoint).status_code == 200


class TestWrites:
    def loan_sale(self, unit, customer, **overrides):
        body = {
            "stock_unit": unit.pk,
            "customer": customer.pk,
            "salesperson": "Li Na",
            "sold_on": "2026-11-02",
            "transaction_price": "188888.88",
            "payment": "loan",
            "registered_city": "Hangzhou",
            "loan": {
                "reference": "LN-API-0001",
                "lender": LenderFactory().pk,
                "down_payment": "56666.66",
                "annual_rate": "0.049900",
                "term_months": 36,
                "credit_grade": "A",
                "applied_on": "2026-11-01",
            },
        }
        return {**body, **overrides}

    def test_a_dealer_records_a_loan_sale_with_its_principal_to_the_fen(self, network, api):
        unit = StockUnitFactory(dealer=network.home_dealer, arrived_on=dt.date(2026, 10, 8))
        customer = CustomerFactory(home_dealer=network.home_dealer)
        response = api(network.dealer_user).post("/api/v1/sales/", self.loan_sale(unit, customer), format="json")
        assert response.status_code == 201, response.json()
        assert response.json()["transaction_price"] == "188888.88"
        loan = Loan.objects.get(sale_id=response.json()["id"])
        assert loan.principal == Decimal("132222.22")
        unit.refresh_from_db()
        assert unit.status == StockStatus.SOLD

    def test_a_dealer_cannot_sell_for_another_dealer(self, network, api):
        unit = StockUnitFactory(dealer=network.home_dealer, arrived_on=dt.date(2026, 10, 8))
        body = self.loan_sale(unit, CustomerFactory(home_dealer=network.home_dealer), dealer=network.foreign_dealer.pk)
        response = api(network.dealer_user).post("/api/v1/sales/", body, format="json")
        assert response.status_code == 400
        assert "dealer" in response.json()
        assert not Sale.objects.exists()

    def test_a_foreign_unit_does_not_exist_for_the_dealer(self, network, api):
        foreign_unit = StockUnitFactory(dealer=network.foreign_dealer)
        body = self.loan_sale(foreign_unit, CustomerFactory(home_dealer=network.home_dealer))
        response = api(network.dealer_user).post("/api/v1/sales/", body, format="json")
        assert response.status_code == 400
        assert "does not exist" in response.json()["stock_unit"][0]

    def test_a_rejected_loan_leaves_nothing_written(self, network, api):
        unit = StockUnitFactory(dealer=network.home_dealer, arrived_on=dt.date(2026, 10, 8))
        body = self.loan_sale(unit, CustomerFactory(home_dealer=network.home_dealer))
        body["loan"]["down_payment"] = "188888.88"
        response = api(network.dealer_user).post("/api/v1/sales/", body, format="json")
        assert response.status_code == 400
        assert response.json() == {"down_payment": ["The down payment must be less than the sale price."]}
        assert not Sale.objects.exists() and not Loan.objects.exists()

    def test_a_loan_sale_without_a_loan_names_the_payment(self, network, api):
        unit = StockUnitFactory(dealer=network.home_dealer, arrived_on=dt.date(2026, 10, 8))
        body = self.loan_sale(unit, CustomerFactory(home_dealer=network.home_dealer))
        del body["loan"]
        response = api(network.dealer_user).post("/api/v1/sales/", body, format="json")
        assert response.json() == {"payment": ["A loan sale needs the loan's details."]}

    def test_a_future_sale_date_is_refused(self, network, api):
        unit = StockUnitFactory(dealer=network.home_dealer, arrived_on=dt.date(2026, 10, 8))
        body = self.loan_sale(unit, CustomerFactory(home_dealer=network.home_dealer), payment="cash", loan=None)
        body["sold_on"] = (dt.date.today() + dt.timedelta(days=3)).isoformat()
        response = api(network.dealer_user).post("/api/v1/sales/", body, format="json")
        assert response.status_code == 400
        assert response.json() == {"sold_on": ["This date is in the future."]}

    def test_a_stock_arrival_with_a_malformed_vin_is_refused(self, network, api):
        body = {"vin": "LFV3A23C9K30I2345", "model": VehicleModelFactory().pk, "arrived_on": "2026-11-01"}
        response = api(network.dealer_user).post("/api/v1/stock-units/", body, format="json")
        assert response.status_code == 400
        assert "vin" in response.json()
        assert not StockUnit.objects.exists()

    def test_a_regional_manager_cannot_write(self, network, api):
        body = {"vin": "LFV3A23C9K3012345", "model": VehicleModelFactory().pk, "arrived_on": "2026-11-01"}
        assert api(network.regional_manager).post("/api/v1/stock-units/", body, format="json").status_code == 403

    def test_a_customer_is_upserted_by_phone(self, network, api):
        client = api(network.dealer_user)
        body = {"name": "Zhang Wei", "phone": "13900001111", "city": "Hangzhou"}
        first = client.post("/api/v1/customers/", body, format="json").json()
        second = client.post("/api/v1/customers/", {**body, "city": "Ningbo"}, format="json").json()
        assert first["id"] == second["id"] and second["city"] == "Ningbo"

    def test_a_lead_cannot_be_marked_won_without_its_sale(self, network, api):
        from tests.factories import LeadFactory

        lead = LeadFactory(dealer=network.home_dealer)
        response = api(network.dealer_user).patch(f"/api/v1/leads/{lead.pk}/", {"outcome": "won"}, format="json")
        assert response.status_code == 400
        assert "outcome" in response.json()


def test_the_schema_generates_without_warnings(tmp_path, db):
    from django.core.management import call_command

    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "schema.yml"))
    assert "/api/v1/sales/" in (tmp_path / "schema.yml").read_text()


def test_the_docs_page_loads_only_local_assets(network, client_for):
    page = client_for(network.dealer_user).get("/api/docs/").content.decode()
    assert "/static/drf_spectacular_sidecar/" in page
    assert "https://" not in page and "http://" not in page.replace("http://testserver", "")
