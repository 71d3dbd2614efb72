"""The dealer list and page: the numbers a regional manager checks."""

import datetime as dt

import pytest
from django.utils import timezone

from inventory.models import StockStatus
from tests.factories import DealerFactory, SaleFactory, StockUnitFactory

pytestmark = pytest.mark.django_db


def test_the_dealer_page_shows_this_months_sales_stock_and_loan_share(network, client_for):
    today = timezone.localdate()
    for payment in ("loan", "cash", "lease"):
        SaleFactory(
            dealer=network.home_dealer,
            sold_on=today,
            payment=payment,
            stock_unit__arrived_on=today - dt.timedelta(days=3),
        )
    StockUnitFactory(dealer=network.home_dealer, status=StockStatus.IN_STOCK, arrived_on=today - dt.timedelta(days=120))
    response = client_for(network.regional_manager).get(f"/dealers/{network.home_dealer.pk}/")
    figures = response.context["figures"]
    assert (figures.sold_this_month, figures.sold_last_30_days) == (3, 3)
    assert (figures.stock.in_stock, figures.stock.aged_over_90_days) == (1, 1)
    assert round(figures.financed_share_90_days, 4) == round(2 / 3, 4)
    assert "66.7 %" in response.content.decode()  # one decimal, as the home page writes shares


def test_a_secondary_dealer_is_listed_under_its_parent(network, client_for):
    DealerFactory(kind="secondary", parent=network.home_dealer, region=network.home_region, name="Xiaoshan outlet")
    page = client_for(network.regional_manager).get(f"/dealers/{network.home_dealer.pk}/").content.decode()
    assert "Xiaoshan outlet" in page


def test_the_dealer_list_filters_by_kind_and_sorts_by_name(network, client_for):
    DealerFactory(kind="showroom", region=network.home_region, name="Aaa showroom")
    client = client_for(network.head_office)
    showrooms = client.get("/dealers/", {"kind": "showroom"}).context["object_list"]
    assert [dealer.name for dealer in showrooms] == ["Aaa showroom"]
    by_name = client.get("/dealers/", {"ordering": "name"}).context["object_list"]
    assert [dealer.name for dealer in by_name][:1] == ["Aaa showroom"]


def test_a_dealer_user_sees_only_their_own_dealer(network, client_for):
    names = [d.name for d in client_for(network.dealer_user).get("/dealers/").context["object_list"]]
    assert names == ["Hangzhou Xihu 4S"]
