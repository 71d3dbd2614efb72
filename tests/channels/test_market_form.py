"""The city market form: head office adds and changes a city's figures, the capacity is stored as
the model computes it, refusals are named by field, and the audit trail shows who changed what;
a regional manager reads the table but may not change it."""

from decimal import Decimal

import pytest

from channels.models import CityMarket
from channels.planning.capacity import market_capacity
from dealerops.audit import history_of
from tests.factories import CityMarketFactory

pytestmark = pytest.mark.django_db


def figures(network, **changes) -> dict:
    """The form as head office fills it for Shaoxing: 1,000 households at the national reference."""
    return {
        "region": network.home_region.pk,
        "province": "浙江",
        "city": "绍兴",
        "year": 2025,
        "latitude": "30.029752",
        "longitude": "120.582112",
        "population": 2620,
        "households": 1000,
        "disposable_income": "41314.00",
        "vehicles_per_1000": "250.00",
        "nev_share_percent": "45",
        **changes,
    }


def test_head_office_adds_a_market_and_its_capacity_is_stored(network, client_for):
    client = client_for(network.head_office)
    assert client.get("/markets/new/").status_code == 200
    response = client.post("/markets/new/", figures(network))
    shaoxing = CityMarket.objects.get(city="绍兴")
    assert response.status_code == 302 and response["Location"] == f"/markets/{shaoxing.pk}/"
    # 1,000 households × 0.046 = 46 new cars a year, 45 % of them new energy: 20.7 → 21.
    assert (shaoxing.nev_share, shaoxing.capacity_units, shaoxing.nev_capacity_units) == (Decimal("0.45"), 46, 21)
    page = client.get(response["Location"]).content.decode()
    assert "a capacity of 46 new cars a year" in page


def test_head_office_changes_a_market_and_the_capacity_is_computed_again(network, client_for):
    hangzhou = CityMarketFactory(region=network.home_region, city="杭州", households=1000)
    client = client_for(network.head_office)
    form = client.get(f"/markets/{hangzhou.pk}/edit/")
    assert form.status_code == 200
    page = form.content.decode()
    assert 'value="40.00"' in page and 'value="杭州"' in page  # the share as a percentage
    response = client.post(
        f"/markets/{hangzhou.pk}/edit/",
        figures(network, city="杭州", households=2000, population=5240, nev_share_percent="52.5"),
    )
    assert response.status_code == 302
    hangzhou.refresh_from_db()
    capacity = market_capacity(hangzhou)
    assert (hangzhou.capacity_units, hangzhou.nev_capacity_units) == (capacity.units, capacity.nev_units) == (92, 48)
    changed = history_of(hangzhou, viewer=network.head_office)[0]
    assert changed.user == "headoffice"
    assert changed.changes["households"] == (1000, 2000) and changed.changes["capacity_units"] == (46, 92)
    detail = client.get(f"/markets/{hangzhou.pk}/").content.decode()
    assert "Audit trail" in detail and "headoffice" in detail


def test_refusals_are_named_by_field(network, client_for):
    CityMarketFactory(region=network.home_region, city="绍兴", year=2025)
    client = client_for(network.head_office)
    response = client.post(
        "/markets/new/", figures(network, households=3000, latitude="120.582112", longitude="30.029752")
    )
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert errors["households"] == ["3,000 households are more than the city's 2,620 people."]
    assert "outside China's latitudes" in errors["latitude"][0]
    assert "outside China's longitudes" in errors["longitude"][0]
    assert errors["year"] == ["绍兴 already has its market for 2025: change that one."]
    assert errors.get("nev_share_percent") is None
    over = client.post("/markets/new/", figures(network, year=2026, nev_share_percent="120"))
    assert "nev_share_percent" in over.context["form"].errors
    assert CityMarket.objects.count() == 1


def test_a_regional_manager_reads_but_may_not_change_and_never_sees_other_regions(network, client_for):
    own = CityMarketFactory(region=network.home_region)
    foreign = CityMarketFactory(region=network.foreign_region)
    manager = client_for(network.regional_manager)
    assert manager.get(f"/markets/{own.pk}/").status_code == 200
    assert manager.get(f"/markets/{own.pk}/edit/").status_code == 403
    assert manager.post(f"/markets/{own.pk}/edit/", figures(network)).status_code == 403
    assert manager.get(f"/markets/{foreign.pk}/edit/").status_code == 404  # out of scope before not a writer
    assert manager.get("/markets/new/").status_code == 403
    for url in ("/markets/", f"/markets/{own.pk}/"):
        page = manager.get(url).content.decode()
        assert "/markets/new/" not in page and "/edit/" not in page and "city_markets" not in page
    dealer = client_for(network.dealer_user)
    assert dealer.get(f"/markets/{own.pk}/edit/").status_code == 404
    assert dealer.get("/markets/new/").status_code == 403
    own.refresh_from_db()
    assert own.city != "绍兴"


def test_head_office_is_offered_the_form_and_the_import_from_the_pages(network, client_for):
    market = CityMarketFactory(region=network.home_region)
    client = client_for(network.head_office)
    listing = client.get("/markets/").content.decode()
    assert 'href="/markets/new/"' in listing and 'href="/imports/new/?kind=city_markets"' in listing
    detail = client.get(f"/markets/{market.pk}/").content.decode()
    assert f'href="/markets/{market.pk}/edit/"' in detail
