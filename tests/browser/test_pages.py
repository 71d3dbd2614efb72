"""List pages and the sale form, driven in chromium the way a dealer and a manager use them."""

import datetime as dt
import re

import pytest

from finance.models import Loan
from inventory.models import Sale
from tests.browser.conftest import log_in
from tests.conftest import PASSWORD
from tests.factories import CustomerFactory, LenderFactory, LoanFactory, SaleFactory, StockUnitFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_dealer_records_a_loan_sale_on_a_phone(network, make_page, live_server):
    unit = StockUnitFactory(dealer=network.home_dealer, arrived_on=dt.date(2026, 10, 8))
    customer = CustomerFactory(home_dealer=network.home_dealer, name="Zhou Min")
    lender = LenderFactory(name="China Merchants Bank")
    watch = make_page(width=375, height=740)
    log_in(watch, live_server.url, "dealer", PASSWORD)
    page = watch.page
    page.goto(f"{live_server.url}/sales/new/")
    assert page.locator("#loan-fields").is_hidden()
    # The pickers: a unit by part of its model, a customer by name; each lists what matches.
    page.fill("#id_stock_unit", unit.model.series)
    page.locator(".picker-options li", has_text=unit.vin).click()
    assert page.input_value("#id_stock_unit") == unit.vin
    assert str(unit.model) in page.locator(".picker-chosen").first.inner_text()
    page.fill("#id_customer", "Zhou")
    page.locator(".picker-options li", has_text="Zhou Min").click()
    assert page.input_value("input[name=customer]") == str(customer.pk)
    page.fill("#id_salesperson", "Li Na")
    page.fill("#id_sold_on", "2026-11-02")
    page.fill("#id_transaction_price", "188888.88")
    page.select_option("#id_payment", "loan")
    assert page.locator("#loan-fields").is_visible()
    page.fill("#id_registered_city", "Hangzhou")
    page.fill("#id_loan_reference", "LN-BROWSER-1")
    page.select_option("#id_lender", str(lender.pk))
    page.fill("#id_down_payment", "56666.66")
    page.fill("#id_annual_rate_percent", "4.99")
    page.select_option("#id_term_months", "36")
    page.select_option("#id_credit_grade", "A")
    page.fill("#id_applied_on", "2026-11-01")
    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 1
    page.click("main button[type=submit]")
    page.wait_for_url(re.compile(r"/sales/\d+/$"))
    sale = Sale.objects.get()
    assert page.url.endswith(f"/sales/{sale.pk}/")
    assert "LN-BROWSER-1" in page.content()
    assert str(Loan.objects.get().principal) == "132222.22"
    assert watch.errors == []


@pytest.mark.parametrize("width", [1280, 390])
def test_the_vin_picker_names_model_and_colour_and_finds_units_by_colour(network, make_page, live_server, width):
    from playwright.sync_api import expect

    white = StockUnitFactory(dealer=network.home_dealer, colour="珍珠白", arrived_on=dt.date(2026, 10, 8))
    black = StockUnitFactory(dealer=network.home_dealer, colour="曜石黑", arrived_on=dt.date(2026, 10, 9))
    watch = make_page(width=width, height=844)
    log_in(watch, live_server.url, "dealer", PASSWORD)
    page = watch.page
    page.goto(f"{live_server.url}/sales/new/")
    page.focus("#id_stock_unit")  # an empty box lists the stock, the longest in stock first
    options = page.locator(".picker-options li[role=option]")
    options.nth(1).wait_for()
    assert options.nth(0).inner_text().split("\n") == [white.vin, f"{white.model} · 珍珠白 · in stock since 2026-10-08"]
    page.fill("#id_stock_unit", "曜石")
    expect(options).to_have_count(1)
    expect(options.first).to_contain_text(black.vin)
    # Each part of the hint stays whole on a narrow screen, and nothing overflows the page.
    detail = options.first.locator(".picker-detail")
    assert [piece.inner_text() for piece in detail.locator("span").all()] == [
        str(black.model), "曜石黑", "in stock since 2026-10-09",
    ]  # fmt: skip
    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 1
    options.first.dispatch_event("mousedown")
    assert page.input_value("#id_stock_unit") == black.vin
    assert "曜石黑" in page.locator(".picker-chosen").first.inner_text()
    assert watch.errors == []


def test_a_future_date_is_shown_next_to_its_field(network, make_page, live_server):
    unit = StockUnitFactory(dealer=network.home_dealer)
    watch = make_page()
    log_in(watch, live_server.url, "dealer", PASSWORD)
    page = watch.page
    page.goto(f"{live_server.url}/stock/arrival/")
    page.fill("#id_vin", "LFV3A23C9K3012345")
    page.select_option("#id_model", str(unit.model_id))
    page.fill("#id_arrived_on", (dt.date.today() + dt.timedelta(days=5)).isoformat())
    page.click("main button[type=submit]")
    error = page.locator(".field.has-error", has=page.locator("#id_arrived_on")).locator(".errorlist")
    assert error.inner_text() == "This date is in the future."


@pytest.mark.parametrize("path", ["/dealers/", "/sales/", "/stock/", "/customers/", "/loans/", "/models/"])
def test_a_manager_browses_the_lists_without_errors(network, make_page, live_server, path):
    SaleFactory(dealer=network.home_dealer)
    watch = make_page()
    log_in(watch, live_server.url, "manager", PASSWORD)
    watch.page.goto(f"{live_server.url}{path}")
    assert watch.page.locator("h1").count() == 1
    assert watch.errors == []
    assert watch.outside_requests == []


@pytest.mark.parametrize("path", ["/sales/", "/stock/", "/loans/"])
def test_on_a_phone_a_dealers_list_reads_as_cards_under_a_folded_menu(network, make_page, live_server, path):
    sale = SaleFactory(dealer=network.home_dealer, payment="loan")
    LoanFactory(sale=sale, reference="LN-PHONE-1")
    watch = make_page(width=390, height=844)
    log_in(watch, live_server.url, "dealer", PASSWORD)
    page = watch.page
    page.goto(f"{live_server.url}{path}")
    # The menu is one button until opened.
    assert page.locator("#main-nav").is_hidden() and page.locator(".nav-toggle").is_visible()
    page.click(".nav-toggle")
    assert page.locator("#main-nav a", has_text="Sales").is_visible()
    assert page.get_attribute(".nav-toggle", "aria-expanded") == "true"
    # Every cell of a row is on screen, whole, beside its column's name; no dealer column.
    card = page.locator("table.cards tbody tr").first
    cells = card.locator("td")
    assert cells.count() >= 5
    for index in range(cells.count()):
        box = cells.nth(index).bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= 390, (index, box)
    assert "Dealer" not in page.locator("table.cards").inner_text()
    if path == "/sales/":
        assert sale.stock_unit.vin in card.inner_text()
    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 1
    assert watch.errors == []


def test_on_a_desktop_the_menu_stays_open_and_lists_keep_their_table(network, make_page, live_server):
    SaleFactory(dealer=network.home_dealer)
    watch = make_page(width=1280)
    log_in(watch, live_server.url, "manager", PASSWORD)
    page = watch.page
    page.goto(f"{live_server.url}/sales/")
    assert page.locator("#main-nav").is_visible() and page.locator(".nav-toggle").is_hidden()
    assert page.locator("table.cards thead").is_visible()
    assert "Dealer" in page.locator("table.cards thead").inner_text()  # a manager sees several dealers


def test_head_office_types_the_dealer_and_the_vin_picker_lists_that_dealers_units(network, make_page, live_server):
    own = StockUnitFactory(dealer=network.home_dealer, arrived_on=dt.date(2026, 10, 8))
    other = StockUnitFactory(dealer=network.foreign_dealer, model=own.model, arrived_on=dt.date(2026, 10, 8))
    watch = make_page(width=1280, height=900)
    log_in(watch, live_server.url, "headoffice", PASSWORD)
    page = watch.page
    page.goto(f"{live_server.url}/sales/new/")
    # Thousands of dealers: typed and picked from the search-as-you-type box, not a select.
    assert page.locator("select[name=dealer]").count() == 0
    page.fill("#id_dealer", network.home_dealer.code)
    page.locator(".picker-options li", has_text=network.home_dealer.code).click()
    assert page.input_value("input[name=dealer]") == str(network.home_dealer.pk)
    page.fill("#id_stock_unit", own.model.series)
    options = page.locator("#id_stock_unit ~ .picker-options li[role=option]")
    options.first.wait_for()
    assert own.vin in options.all_inner_texts()[0] and other.vin not in " ".join(options.all_inner_texts())
    assert not watch.errors, watch.errors
