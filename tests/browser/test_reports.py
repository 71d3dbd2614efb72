"""The finance reports in chromium: finance staff see every chart drawn from the local
plotly.min.js, a dealer reads its reports on a phone."""

import tempfile
from pathlib import Path

import pytest

from tests.browser.conftest import log_in
from tests.conftest import PASSWORD
from tests.finance.test_reports import FOREIGN, RANGE, ledger  # noqa: F401 - the ledger fixture

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCREENSHOTS = Path(tempfile.gettempdir()) / "dealerops-report-screenshots"
# Each report and the charts it draws.
REPORTS = {
    "ledger": ["#ledger-chart"],
    "payables": ["#payables-chart"],
    "penetration": ["#penetration-chart"],
    "risk": ["#risk-rates-chart", "#risk-exposure-chart"],
}
QUERY = "&".join(f"{key}={value}" for key, value in RANGE.items())


@pytest.mark.parametrize("report", list(REPORTS))
def test_finance_staff_see_each_report_with_its_charts_drawn(ledger, make_page, live_server, report):  # noqa: F811
    watch = make_page()
    log_in(watch, live_server.url, "finance", PASSWORD)
    page = watch.page

    page.goto(f"{live_server.url}/commissions/reports/{report}/?{QUERY}")

    for chart in REPORTS[report]:
        # Bars drawn, not only the frame (a month without commission is a bar of zero height).
        page.wait_for_selector(f"{chart} .main-svg .barlayer .point path", state="attached")
        assert page.locator(f"{chart} .barlayer .point path").count() >= 2
    assert page.locator("tfoot").first.inner_text().startswith("Total")
    assert FOREIGN in page.content() or report in ("payables", "risk")  # finance sees the whole network
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"finance-{report}.png"), full_page=True)
    assert watch.errors == []
    assert watch.outside_requests == []


def test_the_index_leads_to_every_report_from_the_menu(ledger, make_page, live_server):  # noqa: F811
    watch = make_page()
    log_in(watch, live_server.url, "finance", PASSWORD)
    page = watch.page

    page.click("nav.nav >> text=Reports")
    page.click("text=Payables and receivables by lender")

    assert page.url.endswith("/commissions/reports/payables/")
    assert page.locator("h1").inner_text() == "Payables and receivables by lender"
    assert watch.errors == []


@pytest.mark.parametrize("report", list(REPORTS))
def test_a_dealer_reads_each_report_on_a_phone(ledger, make_page, live_server, report):  # noqa: F811
    watch = make_page(width=375, height=740)
    log_in(watch, live_server.url, "dealer", PASSWORD)
    page = watch.page

    page.goto(f"{live_server.url}/commissions/reports/{report}/?{QUERY}")

    for chart in REPORTS[report]:
        page.wait_for_selector(f"{chart} .main-svg .barlayer .point path", state="attached")
    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 1
    assert FOREIGN not in page.content()
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"dealer-375-{report}.png"), full_page=True)
    assert watch.errors == []
    assert watch.outside_requests == []
