"""Background exports and the period pages in chromium, in Chinese: a large export leads to a
progress page that polls until the download link shows; the period page says why the month in
progress cannot be closed yet and offers its CSV/XLSX export."""

import datetime as dt

import pytest
from dateutil.relativedelta import relativedelta
from django.utils import timezone
from playwright.sync_api import expect

from dealerops.models import ExportJob, ExportStatus
from dealerops.validation import today
from finance.models import CommissionPeriod, PeriodStatus
from tests.browser.conftest import ARTIFACTS, log_in
from tests.conftest import PASSWORD
from tests.factories import ExportJobFactory, LoanFactory, SaleFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCREENSHOTS = ARTIFACTS / "export-jobs"  # looked at by hand; kept out of git


def shoot(page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def chinese_page(make_page, live_server, user, width: int = 1280):
    watch = make_page(width=width, locale="zh-CN")
    watch.page.context.add_cookies([{"name": "django_language", "value": "zh-hans", "url": live_server.url}])
    log_in(watch, live_server.url, user.username, PASSWORD)
    return watch


def test_a_large_export_shows_its_progress_then_its_download_link(network, make_page, live_server, settings, tmp_path):
    settings.EXPORT_BACKGROUND_MIN_ROWS = 2
    settings.EXPORT_ROOT = tmp_path
    for number in range(3):
        LoanFactory(reference=f"LNHZ000{number}", sale=SaleFactory(dealer=network.home_dealer, payment="loan"))
    watch = chinese_page(make_page, live_server, network.dealer_user)
    page = watch.page

    # A job still writing: the bar and the count, polled every second.
    running = ExportJobFactory(
        owner=network.dealer_user, title="贷款", file_name="贷款-2026-12-02.xlsx", fmt="xlsx",
        status=ExportStatus.RUNNING, rows_done=4000, rows_total=12000,
    )  # fmt: skip
    page.goto(f"{live_server.url}/exports/{running.pk}/")
    assert page.locator("#export-progress-bar").get_attribute("value") == "4000"
    assert "已写入 4,000 / 12,000 行" in page.locator("#export-progress-text").inner_text()
    ExportJob.objects.filter(pk=running.pk).update(rows_done=9000)
    # A locator, not wait_for_function: the page's CSP refuses evaluating a string as script.
    expect(page.locator("#export-progress-text")).to_contain_text("9,000 / 12,000")
    shoot(page, "progress-1280")
    watch_phone = chinese_page(make_page, live_server, network.dealer_user, width=390)
    watch_phone.page.goto(f"{live_server.url}/exports/{running.pk}/")
    shoot(watch_phone.page, "progress-390")

    # The real thing: the list's XLSX link starts a job; eager Celery has finished it by the redirect.
    page.goto(f"{live_server.url}/loans/")
    page.click("text=导出 XLSX")
    page.wait_for_url(f"{live_server.url}/exports/*/")
    assert "文件已生成：共 3 行。" in page.content()
    shoot(page, "ready-1280")
    with page.expect_download() as download:
        page.click("#export-download")
    assert download.value.suggested_filename == f"贷款-{today().isoformat()}.xlsx"

    # The running job's worker dies: its page says so once the lease has run out, and offers a retry.
    silent_since = timezone.now() - dt.timedelta(minutes=2)
    ExportJob.objects.filter(pk=running.pk).update(heartbeat_at=silent_since, lease_expires_at=silent_since)
    page.goto(f"{live_server.url}/exports/{running.pk}/")
    assert "导出已中止" in page.locator(".errorlist").inner_text()
    assert page.locator("button", has_text="重试").is_visible()
    shoot(page, "stalled-1280")
    # The phone has kept polling: it reloads itself once the job stops running (a goto here
    # would race that reload).
    expect(watch_phone.page.locator(".errorlist")).to_contain_text("导出已中止")
    shoot(watch_phone.page, "stalled-390")
    page.goto(f"{live_server.url}/exports/")
    shoot(page, "my-exports-1280")
    assert not watch.errors, watch.errors


def test_the_period_page_says_when_the_month_can_be_closed_and_offers_its_export(network, make_page, live_server):
    this_month = today().replace(day=1)
    CommissionPeriod.objects.create(
        month=this_month - relativedelta(months=1), status=PeriodStatus.CLOSED, closed_at=timezone.now()
    )
    current = CommissionPeriod.objects.create(month=this_month)
    watch = chinese_page(make_page, live_server, network.finance_user)
    page = watch.page

    page.goto(f"{live_server.url}/commissions/periods/")
    reason = f"期间 {current} 尚未结束，可于 {this_month + relativedelta(months=1)} 起关账。"
    assert reason in page.locator("table").inner_text()
    shoot(page, "period-list-1280")
    page.goto(f"{live_server.url}{current.get_absolute_url()}")
    assert page.locator(".close-refusal").inner_text() == reason
    assert page.locator("button", has_text="关账").count() == 0
    assert page.locator("a", has_text="导出 XLSX").is_visible()
    shoot(page, "period-detail-1280")
    with page.expect_download() as download:
        page.click("text=导出 CSV")
    assert download.value.suggested_filename == f"佣金期间-{this_month:%Y-%m}.csv"
    assert not watch.errors, watch.errors
