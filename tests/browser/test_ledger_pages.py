"""The commission ledger in chromium: finance staff walk the ledger, create a policy version
and book an adjustment; a dealer user changes a loan's status on a phone."""

import datetime as dt
import re
from decimal import Decimal

import pytest

from finance.models import CommissionEntry, CommissionPolicy, EntryKind, LoanStatus
from finance.services.ledger import commissions_post
from finance.services.policies import PolicyTerms, policy_version_create
from tests.browser.conftest import ARTIFACTS, log_in
from tests.conftest import PASSWORD
from tests.factories import LenderFactory
from tests.finance.test_commission_posting import make_loan

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCREENSHOTS = ARTIFACTS / "ledger-pages"  # looked at by hand; kept out of git


def shoot(page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def no_horizontal_overflow(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth") <= 1


@pytest.fixture
def ledger(network):
    lender = LenderFactory(code="ICBC", name="ICBC Auto")
    policy_version_create(
        lender=lender,
        terms=PolicyTerms(basis="rate_based", effective_from=dt.date(2025, 1, 1), ratio=Decimal("0.01")),
    )
    loans = [
        make_loan(network.home_dealer, lender, disbursed=dt.date(2025, 3, 10), reference="LNHZ0001"),
        make_loan(network.home_dealer, lender, disbursed=dt.date(2025, 4, 2), reference="LNHZ0002"),
        make_loan(network.foreign_dealer, lender, disbursed=dt.date(2025, 3, 12), reference="LNCD0001"),
    ]
    commissions_post(as_of=dt.date(2025, 12, 31))
    return lender, loans


def test_finance_walks_the_ledger_creates_a_version_and_books_an_adjustment(network, ledger, make_page, live_server):
    lender, loans = ledger
    watch = make_page()
    log_in(watch, live_server.url, "finance", PASSWORD)
    page = watch.page

    page.goto(f"{live_server.url}/commissions/")
    assert page.locator("dl.summary").inner_text().count("¥450.00") >= 1  # 3 loans x 150.00
    shoot(page, "1-ledger-list")
    page.goto(f"{live_server.url}/commissions/periods/")
    page.click("main table a:text-is('2025-03')")
    page.wait_for_url(re.compile(r"/commissions/periods/\d+/$"))
    assert "¥300.00" in page.locator("dl.summary").inner_text()
    shoot(page, "2-period")
    entry = CommissionEntry.objects.get(loan=loans[0], kind=EntryKind.ACCRUAL)
    page.goto(f"{live_server.url}{entry.get_absolute_url()}")
    assert "¥150.00" in page.locator("section.card").inner_text()
    shoot(page, "3-entry")

    page.goto(f"{live_server.url}/commissions/policies/?lender={lender.pk}")
    page.click("main a.button:text-is('New')")
    page.wait_for_url(re.compile(r"/commissions/policies/new/\?lender=\d+$"))
    assert page.locator("#id_lender").input_value() == str(lender.pk)
    page.select_option("#id_basis", "flat")
    assert page.locator("#id_amount").is_visible() and page.locator("#id_ratio").is_hidden()
    page.select_option("#id_basis", "rate_based")
    assert page.locator("#id_ratio").is_visible() and page.locator("#id_amount").is_hidden()
    assert page.locator("#id_max_markup").is_hidden() and page.locator("#id_tiers-0-amount").is_hidden()
    page.fill("#id_ratio", "1.10")
    page.fill("#id_cap_per_loan", "-5")
    page.fill("#id_effective_from", "2026-01-01")
    page.select_option("#id_tiers-0-credit_grade", "A")
    page.fill("#id_tiers-0-ratio", "1.5")
    page.click("text=Add a tier")
    page.select_option("#id_tiers-5-credit_grade", "B")
    page.select_option("#id_tiers-5-term_band", "37_60")
    page.fill("#id_tiers-5-ratio", "1.2")
    assert page.locator("#id_tiers-5-amount").is_hidden()
    page.fill("#id_clawback-0-within_days", "90")
    page.fill("#id_clawback-0-share", "100")
    page.click("main button[type=submit]")
    cap_error = page.locator(".field.has-error", has=page.locator("#id_cap_per_loan")).locator(".errorlist")
    assert cap_error.inner_text() == "This cannot be negative."
    shoot(page, "4-policy-form-refused")
    assert CommissionPolicy.objects.count() == 1
    page.fill("#id_cap_per_loan", "900")
    page.click("main button[type=submit]")
    page.wait_for_url(re.compile(r"/commissions/policies/\d+/$"))
    assert "Version 2 of ICBC Auto is saved" in page.locator(".messages").inner_text()
    policy = CommissionPolicy.objects.get(version=2)
    assert policy.ratio == Decimal("0.011000")
    assert list(policy.tiers.values_list("credit_grade", "term_band", "ratio")) == [
        ("A", "", Decimal("0.015000")),
        ("B", "37_60", Decimal("0.012000")),
    ]
    assert list(policy.clawback_steps.values_list("within_days", "share")) == [(90, Decimal("1.000000"))]
    shoot(page, "5-policy-created")

    page.goto(f"{live_server.url}/commissions/")
    page.click("main a.button:text-is('New adjustment')")
    page.wait_for_url(re.compile(r"/commissions/adjustments/new/$"))
    page.fill("#id_loan_reference", "LNCD0001")
    page.fill("#id_amount", "-35.50")
    page.select_option("#id_reason", "lender_correction")
    page.fill("#id_note", "ICBC statement of March lists a lower principal.")
    page.fill("#id_event_on", "2025-03-31")
    shoot(page, "6-adjustment-form")
    page.click("main button[type=submit]")
    page.wait_for_url(re.compile(r"/commissions/\d+/$"))
    assert "The adjustment of -¥35.50 is booked in period 2025-03." in page.locator(".messages").inner_text()
    adjustment = CommissionEntry.objects.get(kind=EntryKind.ADJUSTMENT)
    assert (adjustment.loan, adjustment.amount) == (loans[2], Decimal("-35.50"))
    shoot(page, "7-adjustment-entry")
    assert watch.errors == []
    assert watch.outside_requests == []


def test_a_dealer_user_sees_the_loans_commission_and_reports_it_closed_on_a_phone(
    network, ledger, make_page, live_server
):
    loan = ledger[1][0]
    watch = make_page(width=375, height=800)
    log_in(watch, live_server.url, "dealer", PASSWORD)
    page = watch.page

    page.goto(f"{live_server.url}{loan.get_absolute_url()}")
    assert "¥150.00" in page.locator("#loan-entries").inner_text()
    options = page.locator("#id_status option").all_inner_texts()
    assert options == ["Paid off early", "Defaulted", "Matured"]
    assert no_horizontal_overflow(page)
    shoot(page, "8-loan-phone")
    page.select_option("#id_status", "paid_off_early")
    page.fill("#id_on", "2025-03-01")
    page.click("#status-form button[type=submit]")
    error = page.locator(".field.has-error", has=page.locator("#id_on")).locator(".errorlist")
    assert error.inner_text() == "A loan cannot close before it was disbursed."
    shoot(page, "9-loan-phone-refused")
    page.fill("#id_on", "2025-06-30")
    page.click("#status-form button[type=submit]")
    page.wait_for_url(f"{live_server.url}{loan.get_absolute_url()}")
    # A dealer's early payoff claws commission back: it waits for finance's confirmation.
    assert "Paid off early is reported and awaits finance's confirmation" in page.locator(".messages").inner_text()
    assert page.locator("h1 .badge").all_inner_texts() == ["Disbursed", "Awaiting confirmation"]
    assert "the loan is Paid off early on June 30, 2025" in page.locator("#pending-move").inner_text()
    assert page.locator("#status-form").count() == 0
    assert no_horizontal_overflow(page)
    shoot(page, "10-loan-phone-reported")
    loan.refresh_from_db()
    assert (loan.status, loan.closed_on) == (LoanStatus.DISBURSED, None)
    assert watch.errors == []


@pytest.mark.parametrize("path", ["/commissions/policies/new/", "/commissions/adjustments/new/", "/commissions/"])
def test_the_ledger_forms_fit_a_phone(network, ledger, make_page, live_server, path):
    watch = make_page(width=375, height=800)
    log_in(watch, live_server.url, "finance", PASSWORD)
    watch.page.goto(f"{live_server.url}{path}")
    assert watch.page.locator("h1").count() == 1
    assert no_horizontal_overflow(watch.page)
    shoot(watch.page, "phone" + path.replace("/", "-").rstrip("-"))
    assert watch.errors == []


def test_an_xlsx_export_past_excels_row_limit_says_so_and_offers_the_same_rows_as_csv(
    network, ledger, make_page, live_server, monkeypatch
):
    monkeypatch.setattr("dealerops.exports.XLSX_MAX_ROWS", 3)  # the header and two rows; the ledger has three
    watch = make_page()
    log_in(watch, live_server.url, "finance", PASSWORD)
    page = watch.page
    page.goto(f"{live_server.url}/commissions/?kind=accrual")

    with page.expect_response(re.compile(r"export=xlsx")) as refused:
        page.click("a:text-is('Export XLSX')")
    assert refused.value.status == 400
    assert page.locator("h1").inner_text() == "Export too large"
    assert "more rows than an Excel sheet holds (2 besides the header)" in page.locator("[role=alert]").inner_text()
    shoot(page, "5-export-too-large")

    with page.expect_download() as download:
        page.click("main a:text-is('Export CSV')")
    lines = download.value.path().read_text(encoding="utf-8-sig").splitlines()
    assert len(lines) == 4  # the header and the three accruals, filter kept
    assert all("Accrual" in line for line in lines[1:])
    page.click("a:text-is('Back to the page')")
    page.wait_for_url(f"{live_server.url}/commissions/?kind=accrual")
