"""A list page's work does not grow with its rows: the same number of queries for 3 rows as for
30, and pages past the exact count's limit walked by keyset with an estimate on the page."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from dealerops import pagination
from tests.factories import LeadFactory, LoanFactory, SaleFactory, StockUnitFactory

LISTS = {
    "/sales/": lambda dealer: SaleFactory(dealer=dealer),
    "/stock/": lambda dealer: StockUnitFactory(dealer=dealer),
    "/leads/": lambda dealer: LeadFactory(dealer=dealer),
    "/loans/": lambda dealer: LoanFactory(sale=SaleFactory(dealer=dealer, payment="loan")),
}


def queries(client, url) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


@pytest.mark.django_db
@pytest.mark.parametrize("url", list(LISTS))
def test_a_list_page_runs_as_many_queries_for_30_rows_as_for_3(network, client_for, url):
    client = client_for(network.head_office)
    make = LISTS[url]
    for _ in range(3):
        make(network.home_dealer)
    few = queries(client, url)
    for _ in range(27):
        make(network.foreign_dealer)
    assert queries(client, url) == few


@pytest.mark.django_db
def test_beyond_the_exact_count_the_list_says_more_than_and_walks_by_keyset(network, client_for, monkeypatch):
    monkeypatch.setattr(pagination, "EXACT_COUNT_LIMIT", 5)
    sales = sorted((SaleFactory(dealer=network.home_dealer) for _ in range(12)), key=lambda s: (s.sold_on, s.pk))
    client = client_for(network.head_office)
    monkeypatch.setattr("dealerops.scoped_views.ScopedListView.paginate_by", 4)

    first = client.get("/sales/", {"ordering": "sold_on"})
    listing = first.context["listing"]
    assert not listing.count_is_exact and listing.estimate > 5
    assert "More than 5 records" in first.content.decode()
    assert [sale.pk for sale in listing.rows] == [sale.pk for sale in sales[:4]]

    second = client.get("/sales/" + listing.links["next"])
    assert [sale.pk for sale in second.context["listing"].rows] == [sale.pk for sale in sales[4:8]]
    back = client.get("/sales/" + second.context["listing"].links["prev"])
    assert [sale.pk for sale in back.context["listing"].rows] == [sale.pk for sale in sales[:4]]
    last = client.get("/sales/" + listing.links["last"])
    assert [sale.pk for sale in last.context["listing"].rows] == [sale.pk for sale in sales[-4:]]
    assert "next" not in last.context["listing"].links


@pytest.mark.django_db
def test_keyset_pages_of_a_column_with_nulls_list_every_row_once(network, client_for, monkeypatch):
    monkeypatch.setattr(pagination, "EXACT_COUNT_LIMIT", 3)
    monkeypatch.setattr("dealerops.scoped_views.ScopedListView.paginate_by", 4)
    units = [StockUnitFactory(dealer=network.home_dealer, eta=None) for _ in range(5)]
    units += [StockUnitFactory(dealer=network.home_dealer) for _ in range(6)]
    client = client_for(network.head_office)
    for ordering in ("eta", "-eta"):
        seen, url = [], f"/stock/?ordering={ordering}"
        while url:
            listing = client.get("/stock/" + url.removeprefix("/stock/")).context["listing"]
            seen += [unit.pk for unit in listing.rows]
            url = listing.links.get("next")
        assert sorted(seen) == sorted(unit.pk for unit in units), ordering
        assert len(seen) == len(set(seen)), ordering
