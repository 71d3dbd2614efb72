"""The channel health dashboard in a real browser: the map of China and the heat map drawn
with no request leaving the machine, and a dealer's health page on a phone, in Chinese."""

import datetime as dt
from decimal import Decimal
from urllib.parse import urlparse

import pytest

from tests.browser.conftest import ARTIFACTS, log_in
from tests.channels.health import OCTOBER, compute, sell
from tests.conftest import PASSWORD
from tests.factories import DealerFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# (code, name, city, latitude, longitude, units sold in October)
EAST_DEALERS = [
    ("HZ02", "Hangzhou Binjiang 4S", "Hangzhou", "30.208", "120.212", 4),
    ("NB01", "Ningbo Yinzhou 4S", "Ningbo", "29.818", "121.547", 2),
    ("SH01", "Shanghai Pudong 4S", "Shanghai", "31.221", "121.544", 6),
]


@pytest.fixture
def scored_network(network, monkeypatch):
    for code, name, city, latitude, longitude, units in EAST_DEALERS:
        dealer = DealerFactory(
            code=code,
            name=name,
            city=city,
            region=network.home_region,
            latitude=Decimal(latitude),
            longitude=Decimal(longitude),
        )
        for day in range(units):
            sell(dealer, OCTOBER + dt.timedelta(days=day))
    for day in range(3):
        sell(network.home_dealer, OCTOBER + dt.timedelta(days=day))
        sell(network.foreign_dealer, OCTOBER + dt.timedelta(days=day))
    compute(monkeypatch)
    return network


def shot(name: str):
    """Where a screenshot to look at goes (with the failed tests' ones)."""
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS / f"{name}.png"


def refuse_outside_requests(watch, live_server_url: str) -> list[str]:
    """Abort (and list) every request that is not to the test server on 127.0.0.1."""
    refused: list[str] = []
    local = urlparse(live_server_url)

    def route(route):
        url = urlparse(route.request.url)
        if url.scheme in ("http", "https") and (url.hostname, url.port) != (local.hostname, local.port):
            refused.append(route.request.url)
            route.abort()
        else:
            route.continue_()

    watch.page.route("**/*", route)
    return refused


def test_a_regional_manager_sees_the_map_and_the_heat_map_drawn_offline(scored_network, make_page, live_server):
    watch = make_page(width=1280, height=900)
    refused = refuse_outside_requests(watch, live_server.url)
    log_in(watch, live_server.url, "manager", PASSWORD)
    page = watch.page
    served = []
    page.on("response", lambda response: "/static/topojson/" in response.url and served.append(response.status))

    page.goto(f"{live_server.url}/health/")
    page.wait_for_selector("#health-map .scattergeo path.point")
    assert page.locator("#health-map .scattergeo path.point").count() == 4  # the East region's dealers
    assert page.locator("#health-map .layer.land path").count() >= 1  # geography from the local topojson
    assert page.locator("#health-map .layer.countries").count() == 0  # no national borders
    assert served == [200]
    assert "Chengdu Jinjiang 4S" not in page.content()
    page.screenshot(path=str(shot("health-dashboard")), full_page=True)

    page.goto(f"{live_server.url}/health/scores/?view=heatmap")
    page.wait_for_selector("#health-heatmap .hm image")
    labels = page.locator("#health-heatmap .ytick text").all_text_contents()
    assert sorted(labels) == sorted(["Hangzhou Xihu 4S", *(dealer[1] for dealer in EAST_DEALERS)])
    page.screenshot(path=str(shot("health-heatmap")), full_page=True)

    assert watch.errors == []
    assert refused == [] and watch.outside_requests == []


def test_a_dealer_user_reads_its_health_page_on_a_phone_in_chinese(scored_network, make_page, live_server, settings):
    settings.LANGUAGE_CODE = "zh-hans"  # the portal's default (the test settings run in English)
    watch = make_page(width=375, height=740, locale="en-US")  # the browser's language does not count
    refused = refuse_outside_requests(watch, live_server.url)
    log_in(watch, live_server.url, "dealer", PASSWORD)
    page = watch.page
    page.goto(f"{live_server.url}/dealers/{scored_network.home_dealer.pk}/health/")
    page.wait_for_selector("#health-trend .main-svg")
    assert page.locator("html").get_attribute("lang") == "zh-hans"
    assert page.locator("#rating").inner_text() in ("A", "B", "C", "D")
    assert page.locator("#metric-target_achievement td").nth(1).inner_text() == "3.00 %"  # 3 sales, target 100
    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 1
    page.screenshot(path=str(shot("dealer-health-375")), full_page=True)
    assert "Hangzhou Binjiang 4S" not in page.content()
    assert watch.errors == []
    assert refused == [] and watch.outside_requests == []
