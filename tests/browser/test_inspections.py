"""A field inspection on a 390 px phone, in Chinese: the regional manager opens the scheduled
inspection from the list, checks in (the browser's position, granted), marks each item, photographs
the failed one and submits; the score shows. The dealer then opens its follow-up and closes it
with a note and a photo; the manager accepts it. Nothing scrolls sideways. Screenshots kept in
test-artifacts/inspections/ for a look."""

from decimal import Decimal

import pytest

from channels.inspections.models import FollowUp, FollowUpStatus, Inspection, InspectionStatus
from tests.browser.conftest import ARTIFACTS, log_in, open_menu
from tests.conftest import PASSWORD
from tests.factories import InspectionFactory
from tests.photos import jpeg_with_location, png

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCREENSHOTS = ARTIFACTS / "inspections"
PHONE = {"width": 390, "height": 844}


def phone_page(make_page, live_server, username: str, *, position: dict | None = None):
    watch = make_page(width=PHONE["width"], height=PHONE["height"], locale="zh-CN")
    context = watch.page.context
    context.add_cookies([{"name": "django_language", "value": "zh-hans", "url": live_server.url}])
    if position is not None:
        context.grant_permissions(["geolocation"], origin=live_server.url)
        context.set_geolocation(position)
    log_in(watch, live_server.url, username, PASSWORD)
    return watch


def fits_the_phone(page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"the page scrolls sideways: {width} px"


def test_a_manager_fills_an_inspection_on_a_phone_and_the_dealer_closes_its_follow_up(make_page, live_server, network):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    inspection = InspectionFactory(dealer=network.home_dealer, scheduled_by=network.regional_manager)
    items = list(inspection.template.items.order_by("position"))
    dealer = network.home_dealer
    # 0.001 degree north of the dealer: about 111 m.
    near = {"latitude": float(dealer.latitude) + 0.001, "longitude": float(dealer.longitude), "accuracy": 25}

    manager = phone_page(make_page, live_server, "manager", position=near)
    page = manager.page
    open_menu(page)
    page.click("#main-nav a[href='/inspections/']")
    page.click("nav.subpages a[href='/inspections/?state=scheduled']")
    page.click(f"table.cards a[href='/inspections/{inspection.pk}/']")
    fits_the_phone(page)
    page.screenshot(path=str(SCREENSHOTS / "fill-390.png"), full_page=True)

    with page.expect_navigation():
        page.click("#check-in-button")
    assert "0.11" in page.inner_text("#check-in-state")  # km from the dealer
    assert Inspection.objects.get().check_in_accuracy_m == 25

    page.click(f"#item-{items[0].pk} label.outcome-pass")
    page.click(f"#item-{items[1].pk} label.outcome-fail")
    page.fill(f"#item-{items[1].pk} textarea", "展车玻璃有灰尘")
    page.set_input_files(
        f"#item-{items[1].pk} input[type=file]",
        files=[{"name": "IMG_2041.jpg", "mimeType": "image/jpeg", "buffer": jpeg_with_location(30.2745, 120.1551)}],
    )
    assert page.is_visible(f"#item-{items[1].pk} img.preview")  # the photo shows before it is sent
    page.click(f"#item-{items[2].pk} label.outcome-na")
    page.once("dialog", lambda dialog: dialog.accept())
    with page.expect_navigation():
        page.click("#submit-button")
    assert page.inner_text(".kpis .kpi .value") == "33.33"
    fits_the_phone(page)
    page.screenshot(path=str(SCREENSHOTS / "submitted-390.png"), full_page=True)
    submitted = Inspection.objects.get()
    assert submitted.status == InspectionStatus.SUBMITTED and submitted.score == Decimal("33.33")
    follow_up = FollowUp.objects.get()
    assert follow_up.result.photo.gps_distance_km is not None  # the camera's location, kept
    assert (
        page.locator(f"img[src='/inspections/photos/{follow_up.result.photo.pk}/']").evaluate("img => img.naturalWidth")
        == 24
    )  # served back through its scoped page and drawn

    owner = phone_page(make_page, live_server, "dealer")
    page = owner.page
    page.goto(f"{live_server.url}/inspections/follow-ups/")
    page.click(f"table.cards a[href='/inspections/follow-ups/{follow_up.pk}/']")
    page.fill("textarea[name=note]", "已清洁展车玻璃并安排每日检查")
    page.set_input_files(
        "input[name=photo]", files=[{"name": "after.png", "mimeType": "image/png", "buffer": png(8, 6)}]
    )
    with page.expect_navigation():
        page.click("button[value=correct]")
    fits_the_phone(page)
    page.screenshot(path=str(SCREENSHOTS / "corrected-390.png"), full_page=True)
    follow_up.refresh_from_db()
    assert follow_up.status == FollowUpStatus.AWAITING_REVIEW and follow_up.closing_photo.content_type == "image/png"

    page = manager.page
    page.goto(f"{live_server.url}/inspections/follow-ups/{follow_up.pk}/")
    page.check("input[name=decision][value=accept]")
    with page.expect_navigation():
        page.click("button[value=review]")
    follow_up.refresh_from_db()
    assert follow_up.status == FollowUpStatus.ACCEPTED
    assert Inspection.objects.get().status == InspectionStatus.CLOSED
    assert not manager.errors and not owner.errors, manager.errors + owner.errors
    assert not manager.outside_requests and not owner.outside_requests
