"""The network plan in a real browser: the planning map drawn offline for head office, and a
what-if closure computed through the form on a phone, its shares summing to 100 %."""

import pytest

from channels.models import Scenario
from channels.planning.services import network_plan
from tests.browser.conftest import log_in
from tests.browser.test_health_dashboard import refuse_outside_requests, shot
from tests.channels.test_planning_run import planned_map  # noqa: F401 - the fixture
from tests.conftest import PASSWORD
from tests.factories import TODAY

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_head_office_reads_the_plan_on_its_offline_map(planned_map, make_page, live_server):  # noqa: F811
    network_plan(as_of=TODAY)
    watch = make_page(width=1280, height=900)
    refused = refuse_outside_requests(watch, live_server.url)
    log_in(watch, live_server.url, "headoffice", PASSWORD)
    page = watch.page
    page.goto(f"{live_server.url}/planning/")
    page.wait_for_selector("#planning-map .scattergeo path.point")
    # Two cities' capacity, the two outlets (not rated), Lishui's white spot and proposed sites.
    legend = page.locator("#planning-map .legendtext").all_text_contents()
    assert {"Market capacity", "Not rated", "White spots", "Proposed sites", "Overlapping pairs"} <= set(legend)
    assert page.locator("#planning-map .layer.land path").count() >= 1
    assert "Lishui" in page.locator("main").inner_text()
    page.screenshot(path=str(shot("planning")), full_page=True)
    assert watch.errors == []
    assert refused == [] and watch.outside_requests == []


def test_a_closure_is_computed_from_the_form_on_a_phone(planned_map, make_page, live_server):  # noqa: F811
    network_plan(as_of=TODAY)
    watch = make_page(width=390, height=800)
    log_in(watch, live_server.url, "headoffice", PASSWORD)
    page = watch.page
    page.goto(f"{live_server.url}/planning/scenarios/new/")
    page.fill("input[name=name]", "Close Xihu")
    page.select_option("select[name='changes-0-kind']", "close")
    page.fill("input[name='changes-0-dealer_q']", "HZ01")
    page.locator("form.card button[type=submit]").click()
    page.wait_for_url(f"{live_server.url}/planning/scenarios/*/")
    scenario = Scenario.objects.get(name="Close Xihu")
    text = page.locator("main").inner_text()
    assert "Chengdu Jinjiang 4S" in text and "100 %" in text
    assert sum(effect.share_of_closed for effect in scenario.effects.all()) + scenario.uncovered_share == 1
    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 1
    page.screenshot(path=str(shot("what-if-390")), full_page=True)
    assert watch.errors == []
