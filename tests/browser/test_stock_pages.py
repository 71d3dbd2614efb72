"""The stock dashboard on a phone (390 px, in Chinese) and the region view's map of stock depth
drawn offline, in a real browser."""

import datetime as dt
from decimal import Decimal

import pytest

from dealerops.validation import today
from inventory.alerts import stock_alerts_run
from inventory.models import AlertKind, StockAlertRule
from tests.browser.conftest import log_in
from tests.browser.test_health_dashboard import refuse_outside_requests, shot
from tests.conftest import PASSWORD
from tests.factories import DealerFactory, SaleFactory, StockUnitFactory, VehicleModelFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def stocked(network):
    day = today()
    model = VehicleModelFactory(brand="红旗", series="E-QM5", trim="豪华版", dealer_invoice_cost=Decimal("146000.00"))
    neighbour = DealerFactory(
        name="Ningbo Yinzhou 4S", region=network.home_region, latitude=Decimal("29.818"), longitude=Decimal("121.547")
    )
    for dealer, ages in ((network.home_dealer, (100, 40, 5)), (neighbour, (10,))):
        for age in ages:
            StockUnitFactory(
                dealer=dealer,
                model=model,
                arrived_on=day - dt.timedelta(days=age),
                ordered_on=day - dt.timedelta(days=age + 9),
            )
        SaleFactory(
            dealer=dealer,
            stock_unit__model=model,
            sold_on=day,
            stock_unit__arrived_on=day - dt.timedelta(days=3),
            stock_unit__ordered_on=day - dt.timedelta(days=9),
        )
    StockAlertRule.objects.create(name="库龄超过 90 天", kind=AlertKind.AGED_UNITS, threshold=0)
    stock_alerts_run(as_of=day)
    return network


def no_overflow(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth") <= 1


def test_a_dealer_reads_its_stock_dashboard_on_a_phone_in_chinese(stocked, make_page, live_server, settings):
    settings.LANGUAGE_CODE = "zh-hans"
    watch = make_page(width=390, height=844, locale="zh-CN")
    refused = refuse_outside_requests(watch, live_server.url)
    log_in(watch, live_server.url, "dealer", PASSWORD)
    page = watch.page
    page.goto(f"{live_server.url}/stock/depth/")
    assert page.locator("h1").inner_text().startswith("库存看板")
    assert "库龄超过 90 天" in page.locator("#stock-alerts").inner_text()
    # 146,000 × 4.35 % ÷ 365 = 17.40 a day × (100 + 40 + 5) days = 2,523.00
    assert "2,523.00" in page.content()
    assert no_overflow(page)
    page.screenshot(path=str(shot("stock-dashboard-390")), full_page=True)
    page.locator("#stock-alerts a").first.click()  # the alert's page, then acknowledge it
    page.get_by_role("button", name="确认已阅").click()
    assert page.locator("h1 .badge").inner_text() == "已确认"
    assert watch.errors == [] and refused == [] and watch.outside_requests == []


def test_a_manager_sees_the_region_table_and_map_on_a_phone(stocked, make_page, live_server, settings):
    settings.LANGUAGE_CODE = "zh-hans"
    watch = make_page(width=390, height=844, locale="zh-CN")
    refused = refuse_outside_requests(watch, live_server.url)
    log_in(watch, live_server.url, "manager", PASSWORD)
    page = watch.page
    page.goto(f"{live_server.url}/stock/depth/?sort=in_stock")
    page.wait_for_selector("#stock-depth-map .scattergeo path.point")
    assert page.locator("#stock-depth-map .scattergeo path.point").count() == 2
    assert page.locator("#stock-depth-map .layer.countries").count() == 0
    assert "Chengdu Jinjiang 4S" not in page.content()
    assert no_overflow(page)
    page.screenshot(path=str(shot("stock-depth-region-390")), full_page=True)
    assert watch.errors == [] and refused == [] and watch.outside_requests == []
