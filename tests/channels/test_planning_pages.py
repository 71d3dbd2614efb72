"""The planning pages: who opens them, what each role sees of the latest run, the map, the
lists and their exports, and starting a run."""

from decimal import Decimal
from unittest import mock

import pytest
from django.urls import reverse

from channels.models import RecommendationKind
from tests.factories import (
    CityMarketFactory,
    OutletOverlapFactory,
    PlanningRunFactory,
    RecommendationFactory,
    TradeAreaFactory,
    WhiteSpotFactory,
)


@pytest.fixture
def plan(network):
    old = PlanningRunFactory()
    RecommendationFactory(run=old, region=network.home_region, near_city="Old Site Jiaxing")
    run = PlanningRunFactory()
    CityMarketFactory(region=network.home_region, city="Hangzhou", households=100_000)
    TradeAreaFactory(run=run, dealer=network.home_dealer, demand_units=12_000, sold_units=240)
    TradeAreaFactory(run=run, dealer=network.foreign_dealer, rating="D", demand_units=8_000, sold_units=40)
    WhiteSpotFactory(run=run, region=network.home_region, near_city="Huzhou", capacity_units=3_000)
    RecommendationFactory(run=run, region=network.home_region, near_city="Huzhou", units=2_500)
    # Across the region border: head office's alone.
    OutletOverlapFactory(run=run, first=network.home_dealer, second=network.foreign_dealer)
    RecommendationFactory(
        run=run,
        kind=RecommendationKind.MERGE,
        region=None,
        dealer=network.home_dealer,
        other=network.foreign_dealer,
        near_city="Hangzhou",
        units=5_000,
        share=Decimal("0.6000"),
        figures={"first_share": 0.6, "second_share": 0.55, "shared_units": 5000, "distance_km": 3.5},
    )
    return run


@pytest.mark.django_db
def test_head_office_sees_the_latest_run_its_decay_fit_and_its_map(plan, network, client_for):
    page = client_for(network.head_office).get(reverse("channels:planning"))
    assert page.status_code == 200
    text = page.content.decode()
    assert 'id="planning-map-data"' in text
    assert "1.050" in text and "1.500" in text  # fitted beside published
    assert "0.250" in text  # McFadden ρ² = 1 − (−900 ÷ −1,200)
    figures = page.context["figures"]
    assert figures.outlets == 2 and figures.demand_units == 20_000
    assert (figures.capacity_units, figures.cities, figures.white_spot_units) == (4_600, 1, 3_000)
    assert figures.counts == {"add": 1, "merge": 1}
    assert "Old Site Jiaxing" not in text  # an earlier run's
    assert "The two outlets, 3.5 km apart, share 60.00 % and 55.00 % of their demand (5,000 cars a year)." in text
    assert page.context["can_run"] is True


@pytest.mark.django_db
def test_a_regional_manager_sees_their_regions_part_and_no_pair_across_the_border(plan, network, client_for):
    client = client_for(network.regional_manager)
    page = client.get(reverse("channels:planning"))
    assert page.status_code == 200
    assert page.context["figures"].outlets == 1
    assert (page.context["figures"].capacity_units, page.context["figures"].white_spot_units) == (4_600, 3_000)
    assert page.context["figures"].counts == {"add": 1}
    assert page.context["can_run"] is False
    assert "Chengdu Jinjiang 4S" not in page.content.decode()
    overlaps = client.get(reverse("channels:overlap-list"))
    assert "Chengdu Jinjiang 4S" not in overlaps.content.decode()
    assert list(overlaps.context["object_list"]) == []
    assert client.post(reverse("channels:planning")).status_code == 403


@pytest.mark.django_db
def test_dealer_users_and_finance_do_not_open_planning(plan, network, client_for):
    for user in (network.dealer_user, network.finance_user):
        client = client_for(user)
        for name in ("planning", "recommendation-list", "overlap-list", "white-spot-list", "trade-area-list"):
            assert client.get(reverse(f"channels:{name}")).status_code == 403, (user, name)


@pytest.mark.django_db
def test_the_recommendations_export_with_their_numbers(plan, network, client_for):
    response = client_for(network.head_office).get(reverse("channels:recommendation-list"), {"export": "csv"})
    assert response.status_code == 200
    lines = b"".join(response.streaming_content if response.streaming else [response.content]).decode("utf-8-sig")
    rows = lines.strip().splitlines()
    assert rows[0].startswith("Recommendation,Region,City,Outlet,Other outlet,Units a year at stake,Share at stake")
    assert "Why" not in rows[0] and rows[0].endswith("Latitude,Longitude")
    assert any(
        row.startswith("Merge the pair,,Hangzhou,Hangzhou Xihu 4S,Chengdu Jinjiang 4S,5000,60.00 %") for row in rows
    )
    assert len(rows) == 3


@pytest.mark.django_db
def test_trade_areas_show_our_capture_of_their_demand(plan, network, client_for):
    page = client_for(network.head_office).get(reverse("channels:trade-area-list"), {"ordering": "-capture"})
    rows = list(page.context["object_list"])
    assert [row.dealer_id for row in rows] == [network.home_dealer.pk, network.foreign_dealer.pk]
    assert [row.capture for row in rows] == [Decimal("0.0200"), Decimal("0.0050")]  # 240 ÷ 12,000; 40 ÷ 8,000
    assert "2.00 %" in page.content.decode()


@pytest.mark.django_db
def test_head_office_starts_a_run_and_is_told_while_one_runs(plan, network, client_for):
    client = client_for(network.head_office)
    with mock.patch("channels.planning.views.job_start") as start:
        response = client.post(reverse("channels:planning"))
    assert response.status_code == 302
    assert start.call_args.kwargs["job"].name == "channels.plan_network"
    assert start.call_args.kwargs["started_by_id"] == network.head_office.pk
    with (
        mock.patch("channels.planning.views.plan_running", return_value=True),
        mock.patch("channels.planning.views.job_start") as start,
    ):
        client.post(reverse("channels:planning"))
    start.assert_not_called()


@pytest.mark.django_db
def test_before_any_run_the_page_says_how_a_plan_comes(network, client_for):
    page = client_for(network.head_office).get(reverse("channels:planning"))
    assert page.status_code == 200
    assert page.context["run"] is None
    assert "No plan has been computed yet" in page.content.decode()


@pytest.mark.django_db
def test_head_office_adds_a_settings_version_and_managers_read_them(network, client_for):
    url = reverse("channels:planning-settings")
    client = client_for(network.head_office)
    page = client.get(url)
    assert page.status_code == 200 and page.context["form"].initial["drive_km"] == Decimal("60.0")
    fields = {
        "detour_factor": "1.40", "reach_km": "120", "drive_km": "45", "strong_share": "0.25",
        "overlap_threshold": "0.35", "merge_threshold": "0.30", "new_sites": "8", "note": "tighter",
    }  # fmt: skip
    refused = client.post(url, fields)
    assert refused.status_code == 200
    assert "merge threshold cannot be below" in str(refused.context["form"].errors["merge_threshold"])
    assert client.post(url, {**fields, "merge_threshold": "0.60"}).status_code == 302
    from channels.planning.services import planning_settings_in_force

    current = planning_settings_in_force()
    assert (current.version, current.drive_km, current.new_sites, current.use_fitted_exponent) == (
        2,
        Decimal("45.0"),
        8,
        False,  # an unticked box
    )
    manager = client_for(network.regional_manager)
    assert manager.get(url).status_code == 200
    assert manager.get(url).context["can_edit"] is False
    assert manager.post(url, fields).status_code == 403
    assert client_for(network.dealer_user).get(url).status_code == 403
