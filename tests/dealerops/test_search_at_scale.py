"""A search over columns of several tables finds the same rows whichever plan the planner's
estimates choose: the plain OR of a short list, the keys gathered through each field's index
for a term few rows match, the row-by-row check of a term most rows match. And a list the
planner expects to be far longer than the count limit is not counted, but says so."""

import pytest
from django.db import connection

from dealerops import filters, pagination
from inventory.models import Sale
from tests.factories import CustomerFactory, LoanFactory, SaleFactory, StockUnitFactory

LONG_LIST = 10**6


def planner_expects(monkeypatch, *, matches: int) -> None:
    """The scoped list is long; each searched field matches ``matches`` rows (estimates only)."""

    def estimate(rows) -> int:
        # A search branch selects the keys alone; the list itself selects whole rows.
        return matches if rows.query.values_select == ("pk",) else LONG_LIST

    monkeypatch.setattr(filters, "estimated_count", estimate)


@pytest.fixture
def sales(network):
    wang = CustomerFactory(name="王小明", home_dealer=network.home_dealer)
    li = CustomerFactory(name="李四", home_dealer=network.home_dealer)
    return {
        "by_vin": SaleFactory(
            dealer=network.home_dealer,
            stock_unit=StockUnitFactory(vin="LSC037G11S0123456", dealer=network.home_dealer),
            customer=li,
        ),
        "by_name": SaleFactory(dealer=network.home_dealer, customer=wang),
        "foreign": SaleFactory(
            dealer=network.foreign_dealer,
            stock_unit=StockUnitFactory(vin="LSC037G11S9123456", dealer=network.foreign_dealer),
            customer=CustomerFactory(name="王五", home_dealer=network.foreign_dealer),
        ),
        "other": SaleFactory(dealer=network.home_dealer, customer=li),
    }


def found(client, url: str, q: str) -> set[int]:
    response = client.get(url, {"q": q})
    assert response.status_code == 200
    return {row.pk for row in response.context["listing"].rows}


@pytest.mark.django_db
@pytest.mark.parametrize("plan", ["short list", "few matches", "most rows match"])
def test_a_sales_search_finds_vin_fragments_and_names_whatever_the_plan(network, client_for, sales, monkeypatch, plan):
    if plan == "few matches":
        planner_expects(monkeypatch, matches=10)
    elif plan == "most rows match":
        planner_expects(monkeypatch, matches=LONG_LIST)
    head_office = client_for(network.head_office)
    assert found(head_office, "/sales/", "123456") == {sales["by_vin"].pk, sales["foreign"].pk}
    assert found(head_office, "/sales/", "王") == {sales["by_name"].pk, sales["foreign"].pk}
    assert found(head_office, "/sales/", "s0123") == {sales["by_vin"].pk}
    assert found(head_office, "/sales/", "nothing-like-it") == set()
    # The dealer's search stays inside the dealer's scope in every plan.
    dealer = client_for(network.dealer_user)
    assert found(dealer, "/sales/", "123456") == {sales["by_vin"].pk}
    assert found(dealer, "/sales/", "王") == {sales["by_name"].pk}


@pytest.mark.django_db
@pytest.mark.parametrize("matches", [10, LONG_LIST])
def test_a_loan_search_finds_its_reference_and_its_cars_vin(network, client_for, monkeypatch, matches):
    planner_expects(monkeypatch, matches=matches)
    by_vin = LoanFactory(
        sale=SaleFactory(
            dealer=network.home_dealer,
            payment="loan",
            stock_unit=StockUnitFactory(vin="LSC037G11S0777777", dealer=network.home_dealer),
        )
    )
    by_reference = LoanFactory(sale=SaleFactory(dealer=network.home_dealer, payment="loan"), reference="LN7777770001")
    LoanFactory(sale=SaleFactory(dealer=network.home_dealer, payment="loan"))
    assert found(client_for(network.finance_user), "/loans/", "77777") == {by_vin.pk, by_reference.pk}


@pytest.mark.django_db
def test_a_stock_search_matches_a_models_series_through_the_catalogues_keys(network, client_for):
    unit = StockUnitFactory(dealer=network.home_dealer)
    StockUnitFactory(dealer=network.home_dealer, model__series="Other series")
    series = unit.model.series
    assert unit.pk in found(client_for(network.head_office), "/stock/", series)
    assert found(client_for(network.head_office), "/stock/", series) == {
        u.pk for u in type(unit).objects.filter(model__series__icontains=series)
    }


@pytest.mark.django_db
def test_a_list_expected_far_beyond_the_limit_is_not_counted_and_says_the_estimate(network, client_for, monkeypatch):
    monkeypatch.setattr(pagination, "estimated_count", lambda rows: LONG_LIST)
    monkeypatch.setattr("dealerops.scoped_views.ScopedListView.paginate_by", 2)
    for _ in range(5):
        SaleFactory(dealer=network.home_dealer)
    response = client_for(network.head_office).get("/sales/", {"ordering": "sold_on"})
    listing = response.context["listing"]
    assert not listing.counted and listing.count is None
    assert "records by the database's estimate" in response.content.decode()
    assert "next" in listing.links

    # The estimate may be far off: a first page that holds the whole list counts it exactly.
    monkeypatch.setattr("dealerops.scoped_views.ScopedListView.paginate_by", 10)
    listing = client_for(network.head_office).get("/sales/", {"ordering": "sold_on"}).context["listing"]
    assert listing.count_is_exact and listing.count == 5 and not listing.links


@pytest.mark.django_db
def test_an_estimate_given_to_a_list_survives_its_filters_and_only_lowers_the_planners(network):
    for _ in range(3):
        SaleFactory(dealer=network.home_dealer)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE inventory_sale")
    planner = pagination.estimated_count(Sale.objects.all())
    assert planner == 3
    narrowed = pagination.with_estimate(Sale.objects.all(), 1).filter(payment="loan").order_by("-sold_on")
    assert pagination.estimated_count(narrowed) == 1
    assert pagination.estimated_count(pagination.with_estimate(Sale.objects.all(), 10**9)) == planner


@pytest.mark.django_db
def test_a_short_lists_search_treats_percent_and_underscore_as_typed(network, client_for):
    # A dealer's list is short: its search checks the rows (ILIKE), escaping LIKE's wildcards.
    typed = SaleFactory(
        dealer=network.home_dealer, customer=CustomerFactory(name="A_1%", home_dealer=network.home_dealer)
    )
    SaleFactory(dealer=network.home_dealer, customer=CustomerFactory(name="AB1x", home_dealer=network.home_dealer))
    dealer = client_for(network.dealer_user)
    assert found(dealer, "/sales/", "a_1%") == {typed.pk}
    assert found(dealer, "/sales/", "A_") == {typed.pk}
