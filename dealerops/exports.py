"""Tabular exports, CSV and XLSX, shared by list pages, reports and reconciliation results.

Neither format holds all rows in memory: CSV streams line by line; XLSX is written by
XlsxWriter's constant_memory mode into a temporary file, which is then streamed. Text a spreadsheet
would evaluate as a formula is neutralised; numbers stay numbers.
"""

import csv
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import IO, Any

import xlsxwriter
from django.http import FileResponse, HttpRequest, HttpResponse, StreamingHttpResponse
from django.utils import timezone
from django.utils.translation import gettext
from xlsxwriter.format import Format
from xlsxwriter.worksheet import Worksheet

EXPORT_FORMATS = ("csv", "xlsx")
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

# Text a spreadsheet would run as a formula (OWASP CSV injection).
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
CSV_CHUNK_CHARS = 64 * 1024
# Excel's own limits: a sheet title's length, a sheet's rows (the header's included).
MAX_SHEET_TITLE = 31
XLSX_MAX_ROWS = 1_048_576
XLSX_DATE_FORMAT = "yyyy-mm-dd"
XLSX_DATETIME_FORMAT = "yyyy-mm-dd hh:mm:ss"


class ExportTooLarge(Exception):
    """More rows than an Excel sheet holds; ``max_rows`` counts the rows besides the header."""

    def __init__(self, max_rows: int) -> None:
        super().__init__(f"more than {max_rows} rows for one Excel sheet")
        self.max_rows = max_rows


def export_format(request: HttpRequest) -> str | None:
    """The format asked for with ``?export=``, or None for the page itself."""
    requested = request.GET.get("export")
    return requested if requested in EXPORT_FORMATS else None


def yes_no(value: bool) -> str:
    """A yes/no value as the UI writes it (是 / 否 in Chinese), on a page and in both formats."""
    return gettext("Yes") if value else gettext("No")


def neutralise(value: Any) -> Any:
    """Keep numbers numeric; prefix text that a spreadsheet would evaluate with an apostrophe."""
    if isinstance(value, int | float | Decimal):
        return value
    text = str(value)
    return "'" + text if text.startswith(FORMULA_PREFIXES) else text


def tabular_response(
    *, fmt: str, filename: str, headers: Sequence[str], rows: Iterable[Sequence[Any]], sheet_title: str = ""
) -> HttpResponse:
    """``rows`` (plain values in ``headers`` order, possibly a lazy iterator) as a CSV or XLSX download.

    XLSX past Excel's row limit raises ExportTooLarge, which ExportTooLargeMiddleware shows as a page."""
    if fmt == "csv":
        return _csv_response(filename, headers, rows)
    if fmt == "xlsx":
        return _xlsx_response(filename, headers, rows, sheet_title or filename)
    raise ValueError(f"unknown export format {fmt!r}")


class _Echo:
    def write(self, value: str) -> str:
        return value


def _csv_cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return timezone.localtime(value).strftime("%Y-%m-%d %H:%M:%S") if timezone.is_aware(value) else value
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bool):
        return yes_no(value)
    return neutralise(value)


def _csv_response(filename: str, headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> StreamingHttpResponse:
    """UTF-8 with a BOM, so Excel reads the Chinese correctly."""
    writer = csv.writer(_Echo())

    def chunks() -> Iterator[str]:
        # Lines go out in chunks of about CSV_CHUNK_CHARS: a chunk per line costs the server
        # more than writing the line.
        lines = ["\ufeff" + writer.writerow([str(header) for header in headers])]
        size = 0
        for row in rows:
            line = writer.writerow([_csv_cell(value) for value in row])
            lines.append(line)
            size += len(line)
            if size >= CSV_CHUNK_CHARS:
                yield "".join(lines)
                lines, size = [], 0
        yield "".join(lines)

    response = StreamingHttpResponse(chunks(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}.csv"'
    return response


def _xlsx_response(
    filename: str, headers: Sequence[str], rows: Iterable[Sequence[Any]], sheet_title: str
) -> FileResponse:
    # Spills to disk past 8 MB; FileResponse streams it and closes (deletes) it when done.
    output = tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024)  # noqa: SIM115 - closed by FileResponse
    try:
        # XlsxWriter keeps the rows in a file of its own until close(); a directory of ours
        # removes that file too when the export is abandoned half-way.
        with tempfile.TemporaryDirectory(prefix="xlsx-") as workdir:
            _write_xlsx(output, workdir, headers, rows, sheet_title)
    except BaseException:
        output.close()
        raise
    output.seek(0)
    return FileResponse(output, as_attachment=True, filename=f"{filename}.xlsx", content_type=XLSX_CONTENT_TYPE)


def _write_xlsx(
    output: IO[bytes], workdir: str, headers: Sequence[str], rows: Iterable[Sequence[Any]], sheet_title: str
) -> None:
    # constant_memory: each row goes to disk as soon as the next one starts.
    workbook = xlsxwriter.Workbook(output, {"constant_memory": True, "tmpdir": workdir, "nan_inf_to_errors": True})
    sheet = workbook.add_worksheet(_sheet_title(sheet_title))
    formats = _XlsxFormats(workbook)
    for column, header in enumerate(headers):
        sheet.write_string(0, column, str(header))
    try:
        for number, row in enumerate(rows, start=1):
            if number >= XLSX_MAX_ROWS:
                raise ExportTooLarge(XLSX_MAX_ROWS - 1)
            for column, value in enumerate(row):
                _xlsx_cell(sheet, number, column, value, formats)
    except BaseException:
        # Left to the garbage collector, the row file's disk space is held until a full collection.
        sheet.row_data_fh.close()
        raise
    workbook.close()


class _XlsxFormats:
    """One Format per number format, not one per cell."""

    def __init__(self, workbook: xlsxwriter.Workbook) -> None:
        self.workbook = workbook
        self.date = workbook.add_format({"num_format": XLSX_DATE_FORMAT})
        self.datetime = workbook.add_format({"num_format": XLSX_DATETIME_FORMAT})
        self.by_places: dict[int, Format] = {}

    def decimal(self, value: Decimal) -> Format:
        # Money and rates keep their decimals as the user entered them (1,234.50, not 1234.5).
        exponent = value.as_tuple().exponent
        places = -exponent if isinstance(exponent, int) and exponent < 0 else 0
        cell_format = self.by_places.get(places)
        if cell_format is None:
            code = "#,##0." + "0" * places if places else "#,##0"
            cell_format = self.by_places[places] = self.workbook.add_format({"num_format": code})
        return cell_format


def _xlsx_cell(sheet: Worksheet, row: int, column: int, value: Any, formats: _XlsxFormats) -> None:
    # Typed writes only: XlsxWriter's write() would turn "=..." into a formula and "http..." into a link.
    if value is None:
        return
    if isinstance(value, str):
        if value:  # "" stays a blank cell
            sheet.write_string(row, column, neutralise(value))
    elif isinstance(value, Decimal):
        sheet.write_number(row, column, float(value), formats.decimal(value))
    elif isinstance(value, bool):
        sheet.write_string(row, column, yes_no(value))
    elif isinstance(value, int | float):
        sheet.write_number(row, column, value)
    elif isinstance(value, datetime):
        # Excel has no time zones: write the portal's local time.
        local = timezone.localtime(value).replace(tzinfo=None) if timezone.is_aware(value) else value
        sheet.write_datetime(row, column, local, formats.datetime)
    elif isinstance(value, date):
        sheet.write_datetime(row, column, value, formats.date)
    else:
        sheet.write_string(row, column, neutralise(value))


def _sheet_title(title: str) -> str:
    cleaned = "".join(" " if char in "[]:*?/\\" else char for char in str(title)).strip()
    # Excel also refuses a title that starts or ends with an apostrophe.
    return (cleaned or "Sheet")[:MAX_SHEET_TITLE].strip("'") or "Sheet"
