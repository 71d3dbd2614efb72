"""Each role logs in through the real login form and sees its home page and chart drawn."""

import datetime as dt

import pytest

from dealerops.models import Role
from dealerops.validation import today
from tests.browser.conftest import log_in
from tests.conftest import PASSWORD
from tests.factories import LoanFactory, SaleFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def trading_network(network):
    this_month = today().replace(day=1)
    for dealer, count in ((network.home_dealer, 3), (network.foreign_dealer, 2)):
        for _ in range(count):
            SaleFactory(dealer=dealer, sold_on=this_month, stock_unit__arrived_on=this_month - dt.timedelta(days=5))
    LoanFactory(
        sale=SaleFactory(
            dealer=network.home_dealer,
            payment="loan",
            sold_on=this_month,
            stock_unit__arrived_on=this_month - dt.timedelta(days=5),
        ),
        disbursed_on=this_month,
    )
    return network


@pytest.mark.parametrize(
    ("role", "headline", "units_this_month"),
    [
        (Role.DEALER_USER, "HZ01 Hangzhou Xihu 4S", "4"),
        (Role.REGIONAL_MANAGER, "East", "4"),
        (Role.FINANCE, "Whole network", "6"),
        (Role.HEAD_OFFICE, "Whole network", "6"),
    ],
)
def test_each_role_sees_its_home_page_with_the_chart_drawn(
    trading_network, make_page, live_server, role, headline, units_this_month
):
    watch = make_page()
    log_in(watch, live_server.url, trading_network.users()[role].username, PASSWORD)
    page = watch.page
    assert page.locator("h1").inner_text() == headline
    kpi = page.locator(".kpi", has_text="Units sold this month").locator(".value")
    assert kpi.inner_text() == units_this_month
    page.wait_for_selector("#sales-chart .main-svg")
    assert page.locator("#sales-chart .xtick").count() >= 6  # monthly axis drawn
    assert watch.errors == []
    assert watch.outside_requests == []


def test_the_home_page_fits_a_phone_screen(trading_network, make_page, live_server):
    watch = make_page(width=375, height=740)
    log_in(watch, live_server.url, "dealer", PASSWORD)
    page = watch.page
    page.wait_for_selector("#sales-chart .main-svg")
    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 1
    assert watch.errors == []


def test_a_wrong_password_is_refused_with_a_message(network, make_page, live_server):
    watch = make_page()
    page = watch.page
    page.goto(f"{live_server.url}/login/")
    page.fill("input[name=username]", "dealer")
    page.fill("input[name=password]", "not-the-password")
    page.click("button[type=submit]")
    assert "/login/" in page.url
    assert page.locator(".errorlist").count() == 1
