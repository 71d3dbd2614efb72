"""The data hub's other pages in chromium: a regional manager reads the region's data quality,
follows an issue to its record and acknowledges an alert; head office reads the changes a
dealer's records went through."""

import datetime as dt

import pytest
from django.utils import timezone

from datahub.models import DataQualityAlert
from tests.browser.conftest import ARTIFACTS, log_in
from tests.conftest import PASSWORD
from tests.datahub.test_quality import OCTOBER, at, compute, entered, on_time, sell

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def late_sale(network, monkeypatch):
    """October scored: the home dealer has a sale entered ten days late, the foreign one none."""
    sale = sell(network.home_dealer, dt.date(2026, 10, 10), recorded_at=at(dt.date(2026, 10, 20)))
    entered(sale, at(dt.date(2026, 10, 20)))
    on_time(network.foreign_dealer, dt.date(2026, 10, 12))
    compute(monkeypatch)
    DataQualityAlert.objects.create(
        dealer=network.home_dealer,
        month=OCTOBER,
        rule="score_drop",
        message="Score fell by 30 points",
        created_at=timezone.now(),
    )
    return sale


@pytest.mark.parametrize("width", [1280, 390])
def test_a_regional_manager_follows_an_issue_and_acknowledges_the_alert(
    network, late_sale, make_page, live_server, width
):
    watch = make_page(width=width)
    log_in(watch, live_server.url, "manager", PASSWORD)
    page = watch.page
    page.goto(f"{live_server.url}/data-quality/?month=2026-10")
    ranking = page.locator("main table").first.inner_text()
    assert network.home_dealer.name in ranking and network.foreign_dealer.name not in ranking
    assert page.locator("text=Score fell by 30 points").count() == 1
    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 1
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"data-quality-{width}.png"), full_page=True)

    page.click("text=Acknowledge")
    page.wait_for_load_state()
    assert page.locator("text=Score fell by 30 points").count() == 0

    page.goto(f"{live_server.url}/data-quality/dealers/{network.home_dealer.pk}/?month=2026-10")
    page.screenshot(path=str(ARTIFACTS / f"data-quality-dealer-{width}.png"), full_page=True)
    page.click(f"a[href='/sales/{late_sale.pk}/'] >> nth=0")
    page.wait_for_url(f"{live_server.url}/sales/{late_sale.pk}/")
    assert page.locator("h1").count() == 1
    assert watch.errors == [] and watch.outside_requests == []


def test_head_office_reads_the_changes_to_a_dealers_records(network, late_sale, make_page, live_server):
    watch = make_page(width=1280)
    log_in(watch, live_server.url, "headoffice", PASSWORD)
    page = watch.page
    page.goto(f"{live_server.url}/audit/changes/")
    # Thousands of dealers: typed and picked, not chosen from a select.
    page.fill("#id_dealer", network.home_dealer.code)
    page.locator(".picker-options li", has_text=network.home_dealer.code).click()
    assert page.input_value("input[name=dealer]") == str(network.home_dealer.pk)
    page.click("main button[type=submit]")
    page.wait_for_load_state()
    rows = page.locator("table.audit-changes tbody tr")
    assert rows.count() >= 1
    assert network.foreign_dealer.name not in page.locator("table.audit-changes").inner_text()
    assert page.locator(f"table.audit-changes a[href='/sales/{late_sale.pk}/']").count() >= 1
    page.screenshot(path=str(ARTIFACTS / "audit-changes.png"), full_page=True)
    assert watch.errors == [] and watch.outside_requests == []
