"""Finance staff reconcile a lender's statement in chromium: upload, result, receipts."""

import re

import pytest

from finance.models import CommissionEntry, EntryKind, LenderStatement
from tests.browser.conftest import ARTIFACTS, log_in, open_menu
from tests.conftest import PASSWORD
from tests.finance.test_reconciliation import MARCH, build_book, csv_bytes

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("width", [1280, 375])
def test_finance_uploads_a_csv_and_reads_the_five_categories(network, make_page, live_server, tmp_path, width):
    icbc, _ = build_book(network)
    statement_file = tmp_path / "icbc-2025-03.csv"
    statement_file.write_bytes(csv_bytes(MARCH, header=["贷款编号", "期间", "金额"]))
    watch = make_page(width=width, height=900)
    log_in(watch, live_server.url, "finance", PASSWORD)
    page = watch.page

    open_menu(page)
    page.click("nav >> text=Lender statements")
    page.click("main >> text=New")
    page.select_option("#id_lender", str(icbc.pk))
    page.fill("#id_reference", "ICBC-2025-03")
    page.set_input_files("#id_file", str(statement_file))
    page.click("main button[type=submit]")
    page.wait_for_url(re.compile(r"/commissions/statements/\d+/$"))

    totals = page.locator("table.match-totals")
    assert [cell.strip() for cell in totals.locator("tbody td:first-child").all_inner_texts()] == [
        "Matched",
        "Amount differs",
        "Already received",
        "In our ledger, not on the statement",
        "On the statement, unknown to us",
    ]
    assert totals.locator("tfoot").inner_text().split() == ["Total", "6", "¥521.22", "¥525.55", "-¥4.33"]
    page.click(".tabs >> text=Amount differs")
    assert "LNDIFF" in page.locator("table.statement-lines").inner_text()
    assert "-¥5.55" in page.locator("table.statement-lines").inner_text()
    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 1
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"reconciliation-result-{width}.png"), full_page=True)

    page.click("text=Post receipts")
    assert "2 receipts totalling ¥300.00 booked" in page.locator(".messages").inner_text()
    assert CommissionEntry.objects.filter(kind=EntryKind.RECEIPT).count() == 2
    assert LenderStatement.objects.get().reference == "ICBC-2025-03"

    page.click("main >> text=All lender statements")
    page.fill("#id_period", "2025年3月")
    page.click("main button[type=submit]")
    assert "ICBC-2025-03" in page.locator("main table").inner_text()
    page.screenshot(path=str(ARTIFACTS / f"reconciliation-list-{width}.png"), full_page=True)
    assert watch.errors == []
    assert watch.outside_requests == []


def test_a_malformed_file_shows_every_error_and_stores_nothing(network, make_page, live_server, tmp_path):
    icbc, _ = build_book(network)
    rows = [*MARCH[:3], ("LNOTHER", "2025-03", "abc"), ("LNNOWHERE", "March", "1.00")]
    statement_file = tmp_path / "bad.csv"
    statement_file.write_bytes(csv_bytes(rows))
    watch = make_page(width=375, height=900)
    log_in(watch, live_server.url, "finance", PASSWORD)
    page = watch.page

    page.goto(f"{live_server.url}/commissions/statements/upload/")
    page.select_option("#id_lender", str(icbc.pk))
    page.fill("#id_reference", "ICBC-BAD")
    page.set_input_files("#id_file", str(statement_file))
    page.click("main button[type=submit]")

    errors = page.locator(".field.has-error", has=page.locator("#id_file")).locator(".errorlist li").all_inner_texts()
    assert errors[0].startswith("Row 5, column “amount”: “abc” is not an amount.")
    assert errors[1].startswith("Row 6, column “period”: “March” is not a month")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "reconciliation-errors-375.png"), full_page=True)
    assert not LenderStatement.objects.exists()
