"""Leads on a 390 px phone, in Chinese: a customer scans the store's QR code and asks to be
called; the store's salesperson opens the lead from the list on a phone, sees why it was routed
to the store and records the first call. Nothing scrolls sideways. Screenshots kept in
test-artifacts/leads/ for a look."""

import pytest

from channels.models import Lead, LeadOutcome, LeadSource
from tests.browser.conftest import ARTIFACTS, log_in, open_menu
from tests.conftest import PASSWORD
from tests.factories import LeadPageFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCREENSHOTS = ARTIFACTS / "leads"
PHONE = {"width": 390, "height": 844}


def chinese_phone(make_page, live_server):
    watch = make_page(width=PHONE["width"], height=PHONE["height"], locale="zh-CN")
    watch.page.context.add_cookies([{"name": "django_language", "value": "zh-hans", "url": live_server.url}])
    return watch


def fits_the_phone(page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"the page scrolls sideways: {width} px"


def test_a_customer_asks_to_be_called_and_the_store_records_the_call_on_a_phone(make_page, live_server, network):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    lead_page = LeadPageFactory(dealer=network.home_dealer, name="西湖店试驾预约")

    customer = chinese_phone(make_page, live_server).page
    customer.goto(f"{live_server.url}/l/{lead_page.code}/")
    assert customer.inner_text("h1") == "西湖店试驾预约"
    fits_the_phone(customer)
    customer.click("button[type=submit]")  # nothing filled in: each field says what it needs
    errors = customer.inner_text("form")
    assert "未经同意" in errors and errors.count("该字段是必填项") == 2 and not Lead.objects.exists()
    customer.fill("input[name=customer_name]", "王先生")
    customer.fill("input[name=customer_phone]", "13800138000")
    customer.check("input[name=consent]")
    customer.screenshot(path=str(SCREENSHOTS / "public-form-390.png"), full_page=True)
    with customer.expect_navigation():
        customer.click("button[type=submit]")
    assert customer.inner_text("h1") == "提交成功"
    fits_the_phone(customer)
    customer.screenshot(path=str(SCREENSHOTS / "public-thanks-390.png"), full_page=True)
    lead = Lead.objects.get()
    assert (lead.dealer, lead.source, lead.customer_phone) == (network.home_dealer, LeadSource.QR_CODE, "13800138000")

    watch = chinese_phone(make_page, live_server)
    log_in(watch, live_server.url, "dealer", PASSWORD)
    page = watch.page
    open_menu(page)
    page.click("#main-nav a[href='/leads/']")
    fits_the_phone(page)
    page.screenshot(path=str(SCREENSHOTS / "list-390.png"), full_page=True)
    page.click(f"table.cards a[href='/leads/{lead.pk}/']")
    body = page.inner_text("main")
    assert "王先生" in body and "线索跟进" in body and "分配依据" in body
    fits_the_phone(page)
    page.screenshot(path=str(SCREENSHOTS / "detail-390.png"), full_page=True)
    page.select_option("select[name=outcome]", LeadOutcome.CONTACTED)
    with page.expect_navigation():
        page.click("form[action$='/follow-up/'] button[type=submit]")
    lead.refresh_from_db()
    assert lead.outcome == LeadOutcome.CONTACTED and lead.first_contact_at is not None
    fits_the_phone(page)
    page.screenshot(path=str(SCREENSHOTS / "followed-up-390.png"), full_page=True)
