"""The city market pages: who sees which cities, and a city's capacity and penetration as
the page shows them."""

import datetime as dt

import pytest

from tests.factories import CityMarketFactory, SaleFactory


@pytest.fixture
def markets(network):
    return {
        "home": CityMarketFactory(region=network.home_region, city="Hangzhou", households=1_000),
        "foreign": CityMarketFactory(
            region=network.foreign_region, city="Chengdu", province="Sichuan", households=2_000
        ),
    }


def sold(dealer, city: str, day: dt.date) -> None:
    SaleFactory(dealer=dealer, registered_city=city, sold_on=day, stock_unit__arrived_on=dt.date(2024, 1, 2))


def cities(client, **query) -> list[str]:
    response = client.get("/markets/", query)
    assert response.status_code == 200
    return [market.city for market in response.context["listing"].rows]


@pytest.mark.django_db
def test_head_office_sees_every_city_and_a_regional_manager_their_regions(network, client_for, markets):
    assert sorted(cities(client_for(network.head_office))) == ["Chengdu", "Hangzhou"]
    assert cities(client_for(network.head_office), q="cheng") == ["Chengdu"]
    assert cities(client_for(network.regional_manager)) == ["Hangzhou"]
    # Hangzhou's 1,000 households buy 46 cars a year, Chengdu's 1,000 + 1,000 twice that.
    assert cities(client_for(network.head_office), ordering="-capacity_units") == ["Chengdu", "Hangzhou"]
    csv = client_for(network.head_office).get("/markets/", {"export": "csv", "ordering": "capacity_units"})
    lines = b"".join(csv.streaming_content).decode("utf-8-sig").splitlines()
    # The share reads as a percentage (no filter: COPY without parameters), then capacity, NEV
    # capacity, and our units sold and penetration (none until a plan run refreshes them).
    assert lines[1].startswith("Hangzhou") and ",40.00 %,46,18,0," in lines[1] and ",92,37,0," in lines[2]
    manager = client_for(network.regional_manager)
    assert manager.get(f"/markets/{markets['foreign'].pk}/").status_code == 404
    for user in (network.dealer_user, network.finance_user):
        assert client_for(user).get("/markets/").status_code == 403
        assert client_for(user).get(f"/markets/{markets['home'].pk}/").status_code == 403


@pytest.mark.django_db
def test_a_city_page_shows_its_capacity_with_the_formula_and_our_penetration(network, client_for, markets):
    hangzhou = markets["home"]
    for day in (dt.date(2025, 1, 1), dt.date(2025, 6, 30), dt.date(2025, 12, 31)):
        sold(network.home_dealer, "Hangzhou", day)
    # The foreign region's dealer sold one there too: the market counts the whole network.
    sold(network.foreign_dealer, "Hangzhou", dt.date(2025, 3, 1))
    sold(network.home_dealer, "Hangzhou", dt.date(2024, 12, 31))
    sold(network.home_dealer, "Shaoxing", dt.date(2025, 3, 1))
    response = client_for(network.regional_manager).get(f"/markets/{hangzhou.pk}/", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    figures = response.context["figures"]
    # 1,000 households × 0.046 = 46 cars a year; 40 % new energy; 4 sold ÷ 46 = 8.70 %.
    assert (figures.capacity.units, figures.capacity.nev_units, figures.capacity.ice_units) == (46, 18, 28)
    assert figures.units_sold == 4
    page = response.content.decode()
    assert "1,000 × 0.046000 = 46" in page
    assert "8.70 %" in page


@pytest.mark.django_db
def test_a_city_the_model_gives_no_capacity_says_so(network, client_for):
    saturated = CityMarketFactory(region=network.home_region, vehicles_per_1000="650.00")
    response = client_for(network.head_office).get(f"/markets/{saturated.pk}/", HTTP_ACCEPT_LANGUAGE="en")
    assert response.context["figures"].penetration is None
    assert "The city has no capacity by the model." in response.content.decode()
