"""The period pages as finance meets them: 关账 is offered only on a month that may be closed
(the current month says from when instead), and the period's tables export as CSV and XLSX
within the user's scope."""

import csv
import datetime as dt
import io

import pytest
from dateutil.relativedelta import relativedelta
from django.utils import timezone
from openpyxl import load_workbook

from dealerops.validation import today
from finance.models import CommissionPeriod, PeriodStatus
from tests.finance.test_ledger_pages import ledger  # noqa: F401 - fixture

pytestmark = pytest.mark.django_db


@pytest.fixture
def months():
    """Last month closed, this month open and in progress (the issue's second day of December)."""
    this_month = today().replace(day=1)
    last_month = this_month - relativedelta(months=1)
    closed = CommissionPeriod.objects.create(month=last_month, status=PeriodStatus.CLOSED, closed_at=timezone.now())
    current = CommissionPeriod.objects.create(month=this_month)
    return closed, current


def close_form(period) -> str:
    return f'action="/commissions/periods/{period.pk}/close/"'


def test_the_month_in_progress_is_not_offered_for_closing_and_the_pages_say_from_when(network, client_for, months):
    _closed, current = months
    client = client_for(network.finance_user)
    reason = f"Period {current} has not ended yet: it can be closed from {current.month + relativedelta(months=1)}."

    listing = client.get("/commissions/periods/").content.decode()
    detail = client.get(current.get_absolute_url()).content.decode()

    assert close_form(current) not in listing and close_form(current) not in detail
    assert reason in listing and reason in detail


def test_an_ended_open_month_is_offered_for_closing(network, client_for):
    ended = CommissionPeriod.objects.create(month=today().replace(day=1) - relativedelta(months=1))

    listing = client_for(network.finance_user).get("/commissions/periods/").content.decode()
    detail = client_for(network.finance_user).get(ended.get_absolute_url()).content.decode()

    assert close_form(ended) in listing and close_form(ended) in detail
    assert "has not ended yet" not in listing + detail


def test_a_later_month_says_which_one_closes_first(network, client_for):
    first = CommissionPeriod.objects.create(month=dt.date(2025, 9, 1))
    later = CommissionPeriod.objects.create(month=dt.date(2025, 10, 1))

    detail = client_for(network.finance_user).get(later.get_absolute_url()).content.decode()

    assert close_form(later) not in detail
    assert f"Close {first} first: periods close in order." in detail


def csv_rows(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))


def test_the_period_page_exports_its_tables_in_csv_within_the_scope(network, ledger, client_for):  # noqa: F811
    march = CommissionPeriod.objects.get(month=dt.date(2025, 3, 1))
    page = client_for(network.regional_manager).get(march.get_absolute_url()).content.decode()

    response = client_for(network.regional_manager).get(march.get_absolute_url(), {"export": "csv"})

    assert 'href="?export=csv"' in page and 'href="?export=xlsx"' in page
    assert response["Content-Disposition"] == 'attachment; filename="commission-period-2025-03.csv"'
    header, *rows = csv_rows(response)
    assert header == [
        "Group", "Code", "Name", "Entries", "Accrued", "Clawed back", "Adjusted", "Net commission", "Received",
        "Outstanding",
    ]  # fmt: skip
    assert rows == [
        ["Lender", "ICBC", "ICBC Auto", "1", "150.00", "0.00", "0.00", "150.00", "0.00", "150.00"],
        ["Dealer", "HZ01", "Hangzhou Xihu 4S", "1", "150.00", "0.00", "0.00", "150.00", "0.00", "150.00"],
        ["Total", "", "", "1", "150.00", "0.00", "0.00", "150.00", "0.00", "150.00"],
    ]  # the foreign dealer's 150.00 is not the manager's


def test_the_period_xlsx_keeps_money_numeric_and_names_its_sheet(network, ledger, client_for):  # noqa: F811
    march = CommissionPeriod.objects.get(month=dt.date(2025, 3, 1))

    response = client_for(network.finance_user).get(march.get_absolute_url(), {"export": "xlsx"})

    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    assert sheet.title == "Commission period 2025-03"
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[-1] == ("Total", None, None, 2, 300, 0, 0, 300, 0, 300)
