"""The shared list page: a column naming the dealer is left off a dealer user's page (all its
rows are its own dealer's), kept for the roles that see several dealers and in every export."""

import pytest

from tests.factories import SaleFactory

pytestmark = pytest.mark.django_db


def header_row(page: str) -> str:
    return page.split("<thead>", 1)[1].split("</thead>", 1)[0]


@pytest.mark.parametrize("path", ["/sales/", "/stock/", "/loans/", "/imports/", "/customers/"])
def test_a_dealer_users_list_has_no_dealer_column(network, client_for, path):
    SaleFactory(dealer=network.home_dealer, payment="loan")
    page = client_for(network.dealer_user).get(path).content.decode()
    if "<thead>" in page:
        assert ">Dealer<" not in header_row(page) and ">Home dealer<" not in header_row(page)


def test_a_manager_still_sees_which_dealer_each_sale_is_of(network, client_for):
    SaleFactory(dealer=network.home_dealer)
    page = client_for(network.regional_manager).get("/sales/").content.decode()
    assert "Dealer" in header_row(page) and 'data-label="Dealer">Hangzhou Xihu 4S<' in page


def test_the_dealer_users_export_keeps_the_dealer_column(network, client_for):
    SaleFactory(dealer=network.home_dealer)
    response = client_for(network.dealer_user).get("/sales/", {"export": "csv"})
    assert b"".join(response.streaming_content).decode("utf-8-sig").splitlines()[0].startswith("Sold on,Dealer,VIN")


def test_each_cell_carries_its_columns_name_for_the_phones_cards(network, client_for):
    sale = SaleFactory(dealer=network.home_dealer)
    page = client_for(network.dealer_user).get("/sales/").content.decode()
    assert '<table class="cards">' in page
    vin_cell = page.split('data-label="VIN">', 1)[1].split("</td>", 1)[0]
    assert sale.stock_unit.vin in vin_cell


def test_a_dealer_users_filters_offer_no_dealer_or_region_choice(network, client_for):
    page = client_for(network.dealer_user).get("/sales/").content.decode()
    assert 'name="dealer"' not in page and 'name="payment"' in page
    assert 'name="dealer"' in client_for(network.regional_manager).get("/sales/").content.decode()
