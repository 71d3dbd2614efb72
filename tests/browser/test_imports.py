"""A dealer imports its CRM's customer file in chromium: errors by row and column, then a
corrected file, confirmed; and the progress bar of a file checked in the background."""

import re

import pytest

from customers.models import Customer
from datahub.models import ImportBatch, ImportStatus
from tests.browser.conftest import ARTIFACTS, log_in
from tests.conftest import PASSWORD
from tests.factories import ImportBatchFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

GOOD = "手机号,客户姓名,城市,是否同意营销\n13812341234,张三,杭州,是\n13900001111,李四,宁波,否\n"
BAD = GOOD + "13700002222,王五,温州,也许\n"


def upload(page, live_server_url: str, path, screenshot: str = "") -> None:
    page.goto(f"{live_server_url}/imports/")
    page.click("main >> text=Import a file")
    page.select_option("#id_kind", "customers")
    page.select_option("#id_source", "crm")
    page.fill("#id_system_name", "CRM 5")
    page.set_input_files("#id_file", str(path))
    if screenshot:
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / screenshot), full_page=True)
    page.click("main button[type=submit]")
    page.wait_for_url(re.compile(r"/imports/\d+/$"))


@pytest.mark.parametrize("width", [1280, 390])
def test_a_dealer_corrects_a_bad_row_and_imports_the_file(network, make_page, live_server, tmp_path, width):
    bad, good = tmp_path / "crm-bad.csv", tmp_path / "crm.csv"
    bad.write_text(BAD, encoding="utf-8")
    good.write_text(GOOD, encoding="utf-8")
    watch = make_page(width=width, height=900)
    log_in(watch, live_server.url, "dealer", PASSWORD)
    page = watch.page
    assert page.locator("nav >> text=Imports").count() == 1

    upload(page, live_server.url, bad, screenshot=f"import-upload-{width}.png")
    assert page.locator(".import-status").inner_text() == "Has errors"
    assert page.locator('[data-count="error"]').inner_text() == "1"
    error_row = page.locator("table.import-rows tr.action-error")
    assert error_row.locator("td").first.inner_text() == "4"
    assert "是否同意营销: “也许” is not yes or no (是/否)." in error_row.inner_text()
    assert page.locator("form[action$='/confirm/']").count() == 0
    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 1
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"import-errors-{width}.png"), full_page=True)

    upload(page, live_server.url, good)
    assert page.locator(".import-status").inner_text() == "Ready to import"
    assert page.locator('[data-count="create"]').inner_text() == "2"
    page.click("text=Confirm: write 2 rows")
    page.wait_for_url(re.compile(r"/imports/\d+/$"))
    assert page.locator(".import-status").inner_text() == "Imported"
    created = page.locator("dl.import-counts div", has=page.locator('[data-count="create"]'))
    assert created.inner_text().split() == ["Created", "2"]
    assert Customer.objects.filter(home_dealer=network.home_dealer).count() == 2
    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 1
    page.screenshot(path=str(ARTIFACTS / f"import-done-{width}.png"), full_page=True)

    page.click("main >> text=All imports")
    statuses = page.locator("main table tbody tr").all_inner_texts()
    page.screenshot(path=str(ARTIFACTS / f"import-list-{width}.png"), full_page=True)
    assert len(statuses) == 2 and "Imported" in statuses[0] and "Has errors" in statuses[1]
    assert watch.errors == []
    assert watch.outside_requests == []


def test_the_progress_bar_follows_a_background_check_and_reloads_when_done(network, make_page, live_server):
    batch = ImportBatchFactory(
        dealer=network.home_dealer, status=ImportStatus.VALIDATING, rows_total=100, rows_checked=40, rows_create=0
    )
    watch = make_page(width=390, height=800)
    log_in(watch, live_server.url, "dealer", PASSWORD)
    page = watch.page
    page.goto(f"{live_server.url}/imports/{batch.pk}/")
    bar = page.locator("#import-progress-bar")
    assert bar.evaluate("bar => bar.value") == 40

    ImportBatch.objects.filter(pk=batch.pk).update(rows_checked=80)
    # Waited for with a locator: a string predicate is eval'd in the page, which the CSP refuses.
    from playwright.sync_api import expect

    expect(page.locator("#import-progress-text")).to_contain_text("80 of 100 rows checked")
    assert bar.evaluate("bar => bar.value") == 80
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "import-progress-390.png"), full_page=True)

    ImportBatch.objects.filter(pk=batch.pk).update(status=ImportStatus.READY, rows_checked=100, rows_create=100)
    page.wait_for_selector("text=Ready to import")
    assert page.locator("#import-progress").count() == 0
    assert page.locator('[data-count="create"]').inner_text() == "100"
    assert watch.errors == []
    assert watch.outside_requests == []
