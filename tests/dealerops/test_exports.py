"""List exports as a user opens them: CSV and XLSX hold the same scoped rows, money stays a
number with its fen, text that a spreadsheet would run is neutralised, headers follow the
UI language, and phones stay masked for roles that may not see them."""

import csv
import datetime as dt
import io
import tempfile
from contextlib import closing
from decimal import Decimal

import pytest
from django.test import RequestFactory
from openpyxl import load_workbook

from dealerops import exports
from dealerops.exports import export_format, tabular_response
from finance.models import CommissionPeriod
from tests.factories import CustomerFactory, SaleFactory, VehicleModelFactory
from tests.finance.test_ledger_pages import ledger  # noqa: F401 - fixture

pytestmark = pytest.mark.django_db


def workbook_rows(response) -> list[list]:
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content)), read_only=True).active
    return [list(row) for row in sheet.iter_rows(values_only=True)]


def written_cells(*values, sheet_title: str = "Report"):
    """The cells of one exported row, read back as a spreadsheet would."""
    headers = [f"Column {number}" for number in range(len(values))]
    response = tabular_response(
        fmt="xlsx", filename="report", headers=headers, rows=iter([values]), sheet_title=sheet_title
    )
    with closing(response):
        sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    return sheet, list(sheet.iter_rows(min_row=2, max_row=2, max_col=len(values)))[0]


def csv_rows(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))


def test_the_sales_xlsx_holds_the_scoped_rows_with_numeric_money_and_neutralised_text(network, client_for):
    SaleFactory(
        dealer=network.home_dealer,
        sold_on=dt.date(2026, 11, 2),
        transaction_price=Decimal("210500.50"),
        customer__name="=cmd|' /C calc'!A0",
        stock_unit__model=VehicleModelFactory(brand="Aurora", series="S7", trim="Max"),
    )
    SaleFactory(dealer=network.foreign_dealer)

    response = client_for(network.regional_manager).get("/sales/", {"export": "xlsx"})

    header, *rows = workbook_rows(response)
    assert header[:6] == ["Sold on", "Dealer", "VIN", "Model", "Customer", "Price"]
    assert len(rows) == 1
    sold_on, dealer, _vin, model, customer, price = rows[0][:6]
    assert sold_on == dt.datetime(2026, 11, 2)
    assert dealer == "Hangzhou Xihu 4S"
    assert model == "Aurora S7 Max"
    assert customer == "'=cmd|' /C calc'!A0"
    assert price == 210500.5 and isinstance(price, float)  # a number the spreadsheet can sum


def test_money_keeps_two_decimals_in_the_xlsx_number_format(network, client_for):
    SaleFactory(dealer=network.home_dealer, transaction_price=Decimal("188888.80"))

    response = client_for(network.dealer_user).get("/sales/", {"export": "xlsx"})

    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    price = sheet.cell(row=2, column=6)
    assert price.value == 188888.8
    assert price.number_format == "#,##0.00"


def test_headers_and_choices_come_out_in_chinese_when_the_ui_is_chinese(network, client_for):
    SaleFactory(dealer=network.home_dealer, payment="loan")
    client = client_for(network.dealer_user)
    client.post("/i18n/setlang/", {"language": "zh-hans", "next": "/"})

    header, row = csv_rows(client.get("/sales/", {"export": "csv"}))

    assert header[0] == "销售日期"
    assert row[header.index("付款方式")] == "贷款"


def test_the_ledger_exports_its_period_as_a_month_in_both_formats(network, ledger, client_for):  # noqa: F811
    march = CommissionPeriod.objects.get(month="2025-03-01")
    client = client_for(network.users()["finance"])

    as_csv = csv_rows(client.get("/commissions/", {"export": "csv", "period": march.pk}))
    header, *rows = workbook_rows(client.get("/commissions/", {"export": "xlsx", "period": march.pk}))

    assert header == as_csv[0]
    assert [row[header.index("Period")] for row in rows] == ["2025-03", "2025-03"]
    assert sorted(row[header.index("Amount")] for row in rows) == [150.0, 150.0]
    assert {row[header.index("Kind")] for row in rows} == {"Accrual"}
    assert sorted(row[header.index("Amount")] for row in as_csv[1:]) == ["150.00", "150.00"]


def test_phones_stay_masked_in_the_xlsx_for_a_regional_manager(network, client_for):
    CustomerFactory(home_dealer=network.home_dealer, phone="13812345678")

    header, *rows = workbook_rows(client_for(network.regional_manager).get("/customers/", {"export": "xlsx"}))

    assert rows[0][header.index("Phone")] == "138****5678"


def test_an_unknown_export_format_shows_the_page():
    assert export_format(RequestFactory().get("/sales/", {"export": "pdf"})) is None
    assert export_format(RequestFactory().get("/sales/", {"export": "xlsx"})) == "xlsx"


def test_a_lazy_report_streams_as_csv_and_writes_dates_and_empty_cells():
    rows = iter([[dt.date(2026, 10, 1), None, Decimal("-41779.34"), "+1 call", 3]])

    response = tabular_response(
        fmt="csv", filename="report", headers=["Month", "Note", "Net", "Memo", "Loans"], rows=rows
    )

    assert response.streaming
    assert response["Content-Disposition"] == 'attachment; filename="report.csv"'
    assert csv_rows(response)[1] == ["2026-10-01", "", "-41779.34", "'+1 call", "3"]


def test_formula_looking_text_comes_back_from_the_xlsx_as_text_with_an_apostrophe():
    _sheet, (formula, at_sign, link) = written_cells('=HYPERLINK("http://evil")', "@SUM(A1)", "http://example.com")

    assert (formula.value, formula.data_type) == ('\'=HYPERLINK("http://evil")', "s")
    assert (at_sign.value, at_sign.data_type) == ("'@SUM(A1)", "s")
    assert (link.value, link.data_type, link.hyperlink) == ("http://example.com", "s", None)


def test_decimals_come_back_from_the_xlsx_as_numbers_showing_their_stored_decimals():
    _sheet, (money, rate, whole, count) = written_cells(Decimal("-41779.30"), Decimal("0.012500"), Decimal("300"), 7)

    assert (money.value, money.data_type, money.number_format) == (-41779.3, "n", "#,##0.00")
    assert (rate.value, rate.number_format) == (0.0125, "#,##0.000000")
    assert (whole.value, whole.number_format) == (300, "#,##0")
    assert (count.value, count.number_format) == (7, "General")


def test_xlsx_dates_are_real_dates_and_datetimes_the_portals_local_time():
    _sheet, (day, moment, blank, empty, flag) = written_cells(
        dt.date(2026, 10, 31), dt.datetime(2026, 11, 2, 16, 30, tzinfo=dt.UTC), None, "", True
    )

    assert (day.value, day.is_date, day.number_format) == (dt.datetime(2026, 10, 31), True, "yyyy-mm-dd")
    # Asia/Shanghai, eight hours ahead of UTC: the next day.
    assert (moment.value, moment.is_date, moment.number_format) == (
        dt.datetime(2026, 11, 3, 0, 30),
        True,
        "yyyy-mm-dd hh:mm:ss",
    )
    assert blank.value is None and empty.value is None
    assert flag.value == "Yes"  # as the page writes it (是 in Chinese), not TRUE


def test_the_sheet_title_drops_what_excel_refuses():
    sheet, _cells = written_cells(1, sheet_title="'Q3: [draft]/final'")

    assert sheet.title == "Q3   draft  final"


def test_an_xlsx_export_holds_as_many_rows_as_the_sheet_limit(monkeypatch):
    monkeypatch.setattr(exports, "XLSX_MAX_ROWS", 3)  # the header and two rows

    with closing(tabular_response(fmt="xlsx", filename="report", headers=["N"], rows=iter([[1], [2]]))) as response:
        assert workbook_rows(response) == [["N"], [1], [2]]


def test_an_xlsx_export_past_the_sheet_row_limit_gets_a_page_that_says_so(network, client_for, monkeypatch, tmp_path):
    monkeypatch.setattr(exports, "XLSX_MAX_ROWS", 3)  # the header and two rows
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    SaleFactory.create_batch(3, dealer=network.home_dealer, payment="cash")

    response = client_for(network.dealer_user).get("/sales/", {"payment": "cash", "export": "xlsx"})

    assert response.status_code == 400
    assert "Content-Disposition" not in response
    assert response["Content-Type"].startswith("text/html")
    page = response.content.decode()
    assert "This export has more rows than an Excel sheet holds (2 besides the header)." in page
    assert "Narrow the filters or export CSV." in page
    assert 'href="/sales/?payment=cash&amp;export=csv"' in page
    assert list(tmp_path.iterdir()) == []  # no temporary file is left by the refused export


def test_a_list_too_large_for_a_sheet_is_refused_before_a_row_is_written(network, client_for, monkeypatch):
    monkeypatch.setattr(exports, "XLSX_MAX_ROWS", 3)
    monkeypatch.setattr(exports, "_write_xlsx", lambda *args: pytest.fail("the workbook was started"))
    SaleFactory.create_batch(3, dealer=network.home_dealer, payment="cash")

    response = client_for(network.dealer_user).get("/sales/", {"payment": "cash", "export": "xlsx"})

    assert response.status_code == 400
    assert "(2 besides the header)" in response.content.decode()


def list_views() -> list[type]:
    """Every list page with an export (the ScopedListView subclasses the URLs serve)."""
    from django.urls import get_resolver

    from dealerops.scoped_views import ScopedListView

    found, pending = [], list(get_resolver().url_patterns)
    while pending:
        pattern = pending.pop()
        if hasattr(pattern, "url_patterns"):
            pending.extend(pattern.url_patterns)
            continue
        view = getattr(pattern.callback, "view_class", None)
        if view is not None and issubclass(view, ScopedListView) and view not in found:
            found.append(view)
    return found


@pytest.mark.parametrize(("role", "margin"), [("head_office", 10**9), ("regional_manager", 10**9), ("head_office", 0)])
def test_every_list_exports_the_same_bytes_from_its_query_as_from_its_values(
    network,
    ledger,  # noqa: F811
    role,
    margin,
    monkeypatch,
):
    """The query-formatted export (PostgreSQL writes each cell) against the values read and
    formatted in Python, cell by cell, on rows with formula-looking text, missing values,
    rates, local times, empty text and masked phones: the same CSV bytes and the same XLSX cells, read in
    keyset chunks of two rows (a margin no plan exceeds) or through one cursor (margin 0)."""
    from dealerops import tables
    from dealerops.access import can_view
    from dealerops.tables import QueryRows, export_header, export_rows

    monkeypatch.setattr(tables, "EXPORT_CHUNK", 2)
    monkeypatch.setattr(tables, "KEYSET_COST_MARGIN", margin)
    from tests.factories import LeadFactory, LoanFactory, StockUnitFactory

    customer = CustomerFactory(home_dealer=network.home_dealer, name="-1 =SUM(A1)", phone="13912345678")
    sale = SaleFactory(
        dealer=network.home_dealer, customer=customer, transaction_price=Decimal("100000.50"), payment="loan"
    )
    LoanFactory(sale=sale, annual_rate=Decimal("0.004950"), credit_grade="@")
    StockUnitFactory(
        dealer=network.home_dealer, colour='"白", <red> & 1\n2', status="ordered", eta=None, arrived_on=None
    )
    StockUnitFactory(dealer=network.home_dealer, colour="")  # COPY would quote an empty text; the csv module not
    LeadFactory(
        dealer=network.home_dealer,
        customer_city="\tTab",
        created_at=dt.datetime(2026, 10, 31, 16, 0, 0, 999_999, tzinfo=dt.UTC),
        assigned_at=None,
    )
    user = getattr(network, role)
    request = RequestFactory().get("/")
    request.user = user
    checked = 0
    for view_class in list_views():
        view = view_class()
        view.request, view.args, view.kwargs = request, (), {}
        columns = view.export_columns()
        if not columns or not can_view(user, view.model):
            continue
        rows = view.get_queryset()
        prepared = QueryRows.of(rows, columns, user)
        assert prepared is not None, f"{view_class.__name__} has a column without SQL"
        headers = [export_header(column) for column in columns]
        by_python = "".join(exports._csv_chunks(headers, export_rows(rows, columns, user)))
        by_query = "".join(exports._csv_chunks(headers, prepared))
        assert by_query == by_python, view_class.__name__
        assert sheet_cells(headers, export_rows(rows, columns, user)) == sheet_cells(headers, prepared)
        checked += by_python.count("\n") > 1
    assert checked >= 6  # sales, stock, leads, loans, ledger, customers, … have rows


def sheet_cells(headers, rows) -> list[list[tuple]]:
    """Each cell's value, type and number format, as openpyxl reads the workbook back."""
    output = io.BytesIO()
    exports.write_export(output, fmt="xlsx", headers=headers, rows=rows, sheet_title="Check")
    sheet = load_workbook(io.BytesIO(output.getvalue())).active
    return [[(cell.value, cell.data_type, cell.number_format) for cell in row] for row in sheet.iter_rows()]
