"""The hand-written tables on a 390 px phone read as cards, like the shared list's: no table
scrolls sideways, so the operations page's error column and the account page's revoke button
are on screen. At 1280 px they keep their table. In Chinese; screenshots kept for a look."""

import pytest
from django.utils import translation
from rest_framework.authtoken.models import Token

from dealerops.models import JobRun, JobStatus
from finance.models import CommissionPeriod, LoanStatus, LoanStatusReport
from finance.services.ledger import POST_JOB
from tests.browser.conftest import ARTIFACTS, log_in
from tests.conftest import PASSWORD
from tests.factories import LoanFactory, SaleFactory
from tests.finance.test_reports import RANGE, ledger  # noqa: F401 - the ledger fixture

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCREENSHOTS = ARTIFACTS / "phone-tables"  # looked at by hand; kept out of git
QUERY = "&".join(f"{key}={value}" for key, value in RANGE.items())
ERROR = "OperationalError: could not obtain lock on relation finance_postingcandidate " * 4


def chinese_page(make_page, live_server, username: str, width: int):
    watch = make_page(width=width, height=844 if width < 500 else 900, locale="zh-CN")
    watch.page.context.add_cookies([{"name": "django_language", "value": "zh-hans", "url": live_server.url}])
    log_in(watch, live_server.url, username, PASSWORD)
    return watch


def tables_fit(page) -> list[int]:
    """How far each table overflows its box (0 when it fits)."""
    return page.evaluate(
        "Array.from(document.querySelectorAll('.table-wrap')).map(w => Math.max(0, w.scrollWidth - w.clientWidth))"
    )


def on_screen(page, selector: str, width: int) -> None:
    box = page.locator(selector).first.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= width, (selector, box)


@pytest.fixture
def pages(network, ledger):  # noqa: F811
    JobRun.objects.create(job=POST_JOB, period="2026-11-30", status=JobStatus.FAILED, rows=12345, error=ERROR)
    JobRun.objects.create(job=POST_JOB, period="2026-11-29", status=JobStatus.SUCCEEDED, rows=1234567)
    Token.objects.create(user=network.dealer_user)
    reported = LoanFactory(sale=SaleFactory(dealer=network.home_dealer, payment="loan"), status=LoanStatus.APPROVED,
                           disbursed_on=None, reference="LNWAIT1")  # fmt: skip
    LoanStatusReport.objects.create(
        loan=reported, status=LoanStatus.DISBURSED, on=reported.applied_on, reported_by=network.dealer_user
    )
    period = CommissionPeriod.objects.order_by("month").first()
    return {
        "operations": ("headoffice", "/operations/", ".run-error"),
        "account": ("dealer", "/account/", "table.tokens button"),
        "periods": ("finance", "/commissions/periods/", "table.cards tbody td"),
        "period": ("finance", f"/commissions/periods/{period.pk}/", "table.cards tbody td"),
        "ledger-report": ("finance", f"/commissions/reports/ledger/?{QUERY}", "table.cards tfoot td"),
        "payables-report": ("finance", f"/commissions/reports/payables/?{QUERY}", "table.cards tfoot td"),
        "penetration-report": ("finance", f"/commissions/reports/penetration/?{QUERY}", "table.cards tbody td"),
        "risk-report": ("finance", f"/commissions/reports/risk/?{QUERY}", "table.cards tbody td"),
        "loans": ("finance", "/loans/?awaiting_confirmation=on", "table.cards .badge.warning"),
    }


@pytest.mark.parametrize("width", [390, 1280])
def test_hand_written_tables_read_as_cards_on_a_phone_and_as_tables_on_a_desktop(pages, make_page, live_server, width):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    watches = {}
    for name, (username, path, must_show) in pages.items():
        watch = watches.get(username) or chinese_page(make_page, live_server, username, width)
        watches[username] = watch
        page = watch.page
        page.goto(f"{live_server.url}{path}")
        page.screenshot(path=str(SCREENSHOTS / f"{name}-{width}.png"), full_page=True)
        assert page.locator("table.cards").count() >= 1, name
        if width == 390:
            assert tables_fit(page) == [0] * len(tables_fit(page)), name
            assert page.locator("table.cards thead").first.is_hidden(), name
            on_screen(page, must_show, width)
        else:
            assert page.locator("table.cards thead").first.is_visible(), name
        overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert overflow <= 1, name
        assert watch.errors == [], (name, watch.errors)
    operations = watches["headoffice"].page
    operations.goto(f"{live_server.url}/operations/")
    assert "1,234,567" in operations.locator("table.job-runs").inner_text()
    if width == 390:
        # Every cell of a run under its column's name, the error whole on screen.
        assert operations.locator("table.job-runs td.run-error").first.get_attribute("data-label") == "错误"


@pytest.mark.parametrize("width", [390, 1280])
def test_the_loan_import_preview_tells_the_clerk_a_disbursement_goes_to_finance(network, make_page, live_server, width):
    import datetime as dt
    from decimal import Decimal

    from datahub.models import ImportKind
    from tests.datahub.helpers import run_import
    from tests.factories import LenderFactory
    from tests.security.test_loan_moves import HEADER, VIN

    LenderFactory(code="ICBC", name="ICBC Auto")
    SaleFactory(
        dealer=network.home_dealer, payment="loan", transaction_price=Decimal("250000.00"), stock_unit__vin=VIN,
        sold_on=dt.date(2026, 1, 10), stock_unit__arrived_on=dt.date(2025, 12, 20),
    )  # fmt: skip
    # Checked in the portal's language, as a real upload is (the tests' default is English).
    with translation.override("zh-hans"):
        batch = run_import(
            network,
            ImportKind.LOANS,
            HEADER + f"HT-9,{VIN},ICBC,200000,50000,0.05,36,B,已放款,2026-01-10,2026-01-15,\n",
        )
    watch = chinese_page(make_page, live_server, "dealer", width)
    page = watch.page
    page.goto(f"{live_server.url}/imports/{batch.pk}/")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"loan-import-preview-{width}.png"), full_page=True)
    assert "贷款先按“已审批”写入；其变更为“已放款”将提交财务确认。" in page.locator("td.row-notes").inner_text()
    if width == 390:  # on a desktop the file's twelve columns scroll inside their box
        on_screen(page, "td.row-notes", width)
    # Said above the table too, where a desktop's clerk reads it before confirming.
    assert "1 行的贷款状态变更涉及佣金" in page.locator("#rows-noted").inner_text()
    on_screen(page, "#rows-noted", width)
    assert watch.errors == []
