"""Tabular exports, CSV and XLSX, shared by list pages, reports and reconciliation results.

Neither format holds all rows in memory: CSV streams line by line; XLSX is written by
XlsxWriter's constant_memory mode into a temporary file, which is then streamed. Text a spreadsheet
would evaluate as a formula is neutralised; numbers stay numbers; a column marked as a rate is a
percentage in both formats. A large export (past EXPORT_BACKGROUND_MIN_ROWS rows, counted
cheaply with a bounded count) becomes an export job (``dealerops.export_jobs``): the
request answers with a redirect to the job's progress page, and the job's task calls the same
view again, as the same user, with this module writing the rows into the job's file.
"""

import csv
import re
import tempfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import IO, Any, Protocol
from urllib.parse import quote

import xlsxwriter
from django.conf import settings
from django.http import FileResponse, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect
from django.utils import timezone, translation
from django.utils.text import slugify
from django.utils.translation import gettext
from xlsxwriter.format import Format
from xlsxwriter.worksheet import Worksheet

from dealerops.formats import format_percent

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
XLSX_PERCENT_FORMAT = "0.00%"


# "how many rows, counting no further than ``limit``" (None: count them all).
RowCount = Callable[[int | None], int]


@dataclass(frozen=True)
class Header:
    """An export column's header and what its values are: ``kind="rate"`` marks a rate or share
    stored as a fraction (0.007), written as a percentage ("0.70 %" in CSV, a percent-formatted
    number in XLSX)."""

    label: Any  # str, or a lazy translation read when the export is written
    kind: str = "text"


def rate_header(label: Any) -> Header:
    return Header(label, "rate")


@dataclass(frozen=True)
class ExportName:
    """A download's name without its extension: in the UI language, and the ASCII fallback for
    clients that do not read RFC 5987's ``filename*``."""

    text: str
    ascii: str


def export_name(title: Any, *parts: str) -> ExportName:
    """``title`` (a lazy translatable string) and ``parts`` (dates, codes) as a file name:
    "佣金台账-2026-12-02" in Chinese, "commission-ledger-2026-12-02" as the fallback."""
    text = "-".join([slugify(str(title), allow_unicode=True) or "export", *(_file_safe(part) for part in parts)])
    with translation.override("en"):
        english = slugify(str(title)) or "export"
    return ExportName(text=text, ascii=_ascii("-".join([english, *parts])))


def _file_safe(text: str) -> str:
    # What no file system or header accepts in a name: path separators, quotes, controls.
    return re.sub(r'[\\/:*?"<>|\s\x00-\x1f]+', "-", text).strip("-.")


def _ascii(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "-", text).strip("-.") or "export"


def content_disposition(name: str | ExportName, extension: str) -> str:
    """``attachment`` with the ASCII name, plus ``filename*=UTF-8''…`` when the name is not ASCII."""
    if isinstance(name, str):
        name = ExportName(text=_file_safe(name) or "export", ascii=_ascii(name))
    fallback, text = f"{name.ascii}.{extension}", f"{name.text}.{extension}"
    header = f'attachment; filename="{fallback}"'
    if text != fallback:
        header += f"; filename*=UTF-8''{quote(text, safe='')}"
    return header


class ExportSink(Protocol):
    """Where a background export job writes the rows a view hands to ``tabular_response``."""

    def write(
        self, *, fmt: str, headers: Sequence[Header], rows: Iterable[Sequence[Any]], sheet_title: str,
        count: RowCount | None,
    ) -> HttpResponse: ...  # fmt: skip


# Set while an export job's task calls the view: tabular_response writes into the job instead.
export_sink: ContextVar[ExportSink | None] = ContextVar("export_sink", default=None)


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


def bounded_count(rows: Any) -> RowCount:
    """A queryset's RowCount: ``count()`` of at most ``limit`` rows, so deciding costs little."""
    return lambda limit: (rows[:limit] if limit is not None else rows).count()


def tabular_response(
    *,
    fmt: str,
    filename: str | ExportName,
    headers: Sequence[str | Header],
    rows: Iterable[Sequence[Any]],
    sheet_title: str = "",
    request: HttpRequest | None = None,
    count: RowCount | None = None,
    reads: RowCount | None = None,
) -> HttpResponse:
    """``rows`` (plain values in ``headers`` order, possibly a lazy iterator) as a CSV or XLSX download.

    With ``request``, an export of ``count`` EXPORT_BACKGROUND_MIN_ROWS rows or more (or that
    ``reads`` that many, e.g. a report's entries, or a changes export's events) becomes an export
    job and this answers a redirect to its progress page; the rows are not read here. ``count``
    is also the job's progress total. XLSX past Excel's row limit raises ExportTooLarge, which
    ExportTooLargeMiddleware shows as a page."""
    if fmt not in EXPORT_FORMATS:
        raise ValueError(f"unknown export format {fmt!r}")
    columns = [header if isinstance(header, Header) else Header(str(header)) for header in headers]
    name = filename if isinstance(filename, ExportName) else ExportName(text=filename, ascii=_ascii(filename))
    title = str(sheet_title) or name.text
    sink = export_sink.get()
    if sink is not None:
        return sink.write(fmt=fmt, headers=columns, rows=rows, sheet_title=title, count=count)
    if request is not None and (_at_least_threshold(count) or _at_least_threshold(reads)):
        # export_jobs builds on this module's writers, so it is imported only when needed.
        from dealerops.export_jobs import export_job_create

        job = export_job_create(request=request, fmt=fmt, name=name, title=title)
        return redirect(job)
    if fmt == "csv":
        return _csv_response(name, columns, rows)
    return _xlsx_response(name, columns, rows, title)


def _at_least_threshold(count: RowCount | None) -> bool:
    threshold = settings.EXPORT_BACKGROUND_MIN_ROWS
    return count is not None and count(threshold) >= threshold


def write_export(
    output: IO[bytes], *, fmt: str, headers: Sequence[Header], rows: Iterable[Sequence[Any]], sheet_title: str
) -> None:
    """Write the whole export into ``output`` (an export job's file)."""
    if fmt == "csv":
        for chunk in _csv_chunks(headers, rows):
            output.write(chunk.encode("utf-8"))
        return
    with tempfile.TemporaryDirectory(prefix="xlsx-") as workdir:
        _write_xlsx(output, workdir, headers, rows, sheet_title)


class _Echo:
    def write(self, value: str) -> str:
        return value


def _csv_cell(value: Any, kind: str = "text") -> Any:
    if value is None:
        return ""
    if kind == "rate" and isinstance(value, int | float | Decimal):
        return format_percent(value)
    if isinstance(value, datetime):
        return timezone.localtime(value).strftime("%Y-%m-%d %H:%M:%S") if timezone.is_aware(value) else value
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bool):
        return yes_no(value)
    return neutralise(value)


def _csv_chunks(headers: Sequence[Header], rows: Iterable[Sequence[Any]]) -> Iterator[str]:
    """UTF-8 with a BOM, so Excel reads the Chinese correctly. Lines go out in chunks of about
    CSV_CHUNK_CHARS: a chunk per line costs the server more than writing the line."""
    writer = csv.writer(_Echo())
    kinds = [header.kind for header in headers]
    lines = ["\ufeff" + writer.writerow([str(header.label) for header in headers])]
    size = 0
    for row in rows:
        line = writer.writerow([_csv_cell(value, kind) for value, kind in zip(row, _padded(kinds, row), strict=False)])
        lines.append(line)
        size += len(line)
        if size >= CSV_CHUNK_CHARS:
            yield "".join(lines)
            lines, size = [], 0
    yield "".join(lines)


def _padded(kinds: list[str], row: Sequence[Any]) -> list[str]:
    # A row may hold more cells than there are headers (e.g. a totals row's label): plain text.
    return kinds if len(kinds) >= len(row) else kinds + ["text"] * (len(row) - len(kinds))


def _csv_response(name: ExportName, headers: Sequence[Header], rows: Iterable[Sequence[Any]]) -> StreamingHttpResponse:
    response = StreamingHttpResponse(_csv_chunks(headers, rows), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = content_disposition(name, "csv")
    return response


def _xlsx_response(
    name: ExportName, headers: Sequence[Header], rows: Iterable[Sequence[Any]], sheet_title: str
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
    response = FileResponse(output, content_type=XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = content_disposition(name, "xlsx")
    return response


def _write_xlsx(
    output: IO[bytes], workdir: str, headers: Sequence[Header], rows: Iterable[Sequence[Any]], sheet_title: str
) -> None:
    # constant_memory: each row goes to disk as soon as the next one starts.
    workbook = xlsxwriter.Workbook(output, {"constant_memory": True, "tmpdir": workdir, "nan_inf_to_errors": True})
    sheet = workbook.add_worksheet(_sheet_title(sheet_title))
    formats = _XlsxFormats(workbook)
    rates = {column for column, header in enumerate(headers) if header.kind == "rate"}
    for column, header in enumerate(headers):
        sheet.write_string(0, column, str(header.label))
    try:
        for number, row in enumerate(rows, start=1):
            if number >= XLSX_MAX_ROWS:
                raise ExportTooLarge(XLSX_MAX_ROWS - 1)
            for column, value in enumerate(row):
                if column in rates and isinstance(value, int | float | Decimal) and not isinstance(value, bool):
                    sheet.write_number(number, column, float(value), formats.percent)
                else:
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
        self.percent = workbook.add_format({"num_format": XLSX_PERCENT_FORMAT})
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
