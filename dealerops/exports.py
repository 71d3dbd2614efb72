"""Tabular exports, CSV and XLSX, shared by list pages, reports and reconciliation results.

Neither format holds all rows in memory: CSV streams in chunks of lines; XLSX is a zip of a
one-sheet workbook whose sheet XML is written here as the rows come, into a temporary file
which is then streamed. Text a spreadsheet would evaluate as a formula is neutralised; numbers
stay numbers, dates dates; a column marked as a rate is a percentage in both formats.

Rows come either as plain Python values (reports, results: formatted here, cell by cell) or as
``PreparedRows``: a list page's query (``dealerops.tables``) that reads its rows in keyset
chunks with every cell already formatted by PostgreSQL, as CSV text or as the sheet's XML, so
that writing them costs no Python per cell. A large export (past EXPORT_BACKGROUND_MIN_ROWS rows, counted
cheaply with a bounded count) becomes an export job (``dealerops.export_jobs``): the
request answers with a redirect to the job's progress page, and the job's task calls the same
view again, as the same user, with this module writing the rows into the job's file.
"""

import csv
import math
import re
import tempfile
import zipfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import IO, Any, Protocol, runtime_checkable
from urllib.parse import quote

from django.conf import settings
from django.http import FileResponse, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect
from django.utils import timezone, translation
from django.utils.text import slugify
from django.utils.translation import gettext

from dealerops.formats import format_percent

EXPORT_FORMATS = ("csv", "xlsx")
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

# Text a spreadsheet would run as a formula (OWASP CSV injection).
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
CSV_CHUNK_CHARS = 64 * 1024
# What PostgreSQL's COPY ends a line with, so that both ways of writing a CSV agree.
CSV_LINE_END = "\n"
# Excel's own limits: a sheet title's length, a sheet's rows (the header's included).
MAX_SHEET_TITLE = 31
XLSX_MAX_ROWS = 1_048_576
XLSX_DATE_FORMAT = "yyyy-mm-dd"
XLSX_DATETIME_FORMAT = "yyyy-mm-dd hh:mm:ss"
XLSX_PERCENT_FORMAT = "0.00%"
# zlib's fastest level: a third of the time of its default for a file a fifth larger.
XLSX_COMPRESSION = 1
XLSX_BATCH_CHARS = 256 * 1024
# What XML 1.0 cannot hold (PostgreSQL text holds no NUL).
_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f]")


# "how many rows, counting no further than ``limit``" (None: count them all).
RowCount = Callable[[int | None], int]


@runtime_checkable
class PreparedRows(Protocol):
    """Rows read in chunks with their cells formatted already, in the headers' order."""

    def csv_text(self) -> Iterator[str]:
        """The rows as CSV text (``CSV_LINE_END`` after each), in blocks of whole lines."""
        ...

    def xlsx_chunks(self, styles: "XlsxStyles") -> Iterator[Sequence[str]]:
        """Chunks of rows, each row its cells' sheet XML, number formats taken from ``styles``."""
        ...


ExportRows = Iterable[Sequence[Any]] | PreparedRows


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
        self, *, fmt: str, headers: Sequence[Header], rows: ExportRows, sheet_title: str,
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
    rows: ExportRows,
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


def write_export(output: IO[bytes], *, fmt: str, headers: Sequence[Header], rows: ExportRows, sheet_title: str) -> None:
    """Write the whole export into ``output`` (an export job's file)."""
    if fmt == "csv":
        for chunk in _csv_chunks(headers, rows):
            output.write(chunk.encode("utf-8"))
        return
    _write_xlsx(output, headers, rows, sheet_title)


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


def _csv_chunks(headers: Sequence[Header], rows: ExportRows) -> Iterator[str]:
    """UTF-8 with a BOM, so Excel reads the Chinese correctly. Lines go out in chunks of about
    CSV_CHUNK_CHARS: a chunk per line costs the server more than writing the line."""
    if isinstance(rows, PreparedRows):
        yield from _prepared_csv_chunks(headers, rows)
        return
    writer = csv.writer(_Echo(), lineterminator=CSV_LINE_END)
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


def _prepared_csv_chunks(headers: Sequence[Header], rows: PreparedRows) -> Iterator[str]:
    # The same lines as _csv_chunks writes: the header by the csv module, the rows by the query.
    header = csv.writer(_Echo(), lineterminator=CSV_LINE_END).writerow([str(header.label) for header in headers])
    yield "\ufeff" + header
    yield from rows.csv_text()


def _padded(kinds: list[str], row: Sequence[Any]) -> list[str]:
    # A row may hold more cells than there are headers (e.g. a totals row's label): plain text.
    return kinds if len(kinds) >= len(row) else kinds + ["text"] * (len(row) - len(kinds))


def _csv_response(name: ExportName, headers: Sequence[Header], rows: ExportRows) -> StreamingHttpResponse:
    response = StreamingHttpResponse(_csv_chunks(headers, rows), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = content_disposition(name, "csv")
    return response


def _xlsx_response(name: ExportName, headers: Sequence[Header], rows: ExportRows, sheet_title: str) -> FileResponse:
    # Spills to disk past 8 MB; FileResponse streams it and closes (deletes) it when done.
    output = tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024)  # noqa: SIM115 - closed by FileResponse
    try:
        _write_xlsx(output, headers, rows, sheet_title)
    except BaseException:
        output.close()
        raise
    output.seek(0)
    response = FileResponse(output, content_type=XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = content_disposition(name, "xlsx")
    return response


def _write_xlsx(output: IO[bytes], headers: Sequence[Header], rows: ExportRows, sheet_title: str) -> None:
    """A workbook of one sheet. Its XML is written here, row by row, straight into the zip
    entry: no library object per cell, and a query's prepared rows (``PreparedRows``) arrive
    as their cells' XML already."""
    with zipfile.ZipFile(output, "w", zipfile.ZIP_DEFLATED, compresslevel=XLSX_COMPRESSION) as archive:
        styles = XlsxStyles()
        with archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as sheet:
            writer = _SheetWriter(sheet)
            writer.add("".join(string_cell(str(header.label)) for header in headers))
            if isinstance(rows, PreparedRows):
                for chunk in rows.xlsx_chunks(styles):
                    writer.extend(chunk)
            else:
                rates = [header.kind == "rate" for header in headers]
                for row in rows:
                    writer.add(
                        "".join(
                            _xlsx_cell(value, column < len(rates) and rates[column], styles)
                            for column, value in enumerate(row)
                        )
                    )
            writer.close()
        archive.writestr("[Content_Types].xml", _CONTENT_TYPES)
        archive.writestr("_rels/.rels", _PACKAGE_RELS)
        archive.writestr("xl/workbook.xml", _WORKBOOK.format(title=xml_text(_sheet_title(sheet_title), quote=True)))
        archive.writestr("xl/_rels/workbook.xml.rels", _WORKBOOK_RELS)
        archive.writestr("xl/styles.xml", styles.xml())


class _SheetWriter:
    """Rows of cell XML into the sheet's XML, numbered, in batches of about XLSX_BATCH_CHARS."""

    def __init__(self, sheet: IO[bytes]) -> None:
        self.sheet = sheet
        self.rows = 0
        self.parts: list[str] = []
        self.size = 0
        sheet.write(_SHEET_START)

    def add(self, cells: str) -> None:
        self.extend((cells,))

    def extend(self, rows: Sequence[str]) -> None:
        if self.rows + len(rows) > XLSX_MAX_ROWS:
            raise ExportTooLarge(XLSX_MAX_ROWS - 1)
        first = self.rows + 1
        self.rows += len(rows)
        text = "".join([f'<row r="{number}">{cells}</row>' for number, cells in enumerate(rows, start=first)])
        self.parts.append(text)
        self.size += len(text)
        if self.size >= XLSX_BATCH_CHARS:
            self._flush()

    def _flush(self) -> None:
        text = "".join(self.parts)
        if _XML_ILLEGAL.search(text):
            text = _XML_ILLEGAL.sub(_xml_char_escape, text)
        self.sheet.write(text.encode("utf-8"))
        self.parts, self.size = [], 0

    def close(self) -> None:
        self._flush()
        self.sheet.write(b"</sheetData></worksheet>")


class XlsxStyles:
    """The sheet's number formats, one cell style each (not one per cell); Excel's built-in
    formats by their number, the others numbered from 164 as the format requires."""

    BUILT_IN = {"General": 0, "0": 1, "0.00": 2, "#,##0": 3, "#,##0.00": 4, "0%": 9, "0.00%": 10}

    def __init__(self) -> None:
        self.formats: list[str] = ["General"]  # a style's index is its place here
        self.percent = self.style(XLSX_PERCENT_FORMAT)
        self.date = self.style(XLSX_DATE_FORMAT)
        self.datetime = self.style(XLSX_DATETIME_FORMAT)
        self.by_places: dict[int, int] = {}

    def style(self, num_format: str) -> int:
        if num_format not in self.formats:
            self.formats.append(num_format)
        return self.formats.index(num_format)

    def places(self, places: int) -> int:
        """The style of an amount shown with ``places`` decimals (1,234.50, not 1234.5)."""
        style = self.by_places.get(places)
        if style is None:
            style = self.by_places[places] = self.style("#,##0." + "0" * places if places else "#,##0")
        return style

    def decimal(self, value: Decimal) -> int:
        # Money and rates keep their decimals as the user entered them.
        exponent = value.as_tuple().exponent
        return self.places(-exponent if isinstance(exponent, int) and exponent < 0 else 0)

    def xml(self) -> str:
        custom, ids = [], []
        for num_format in self.formats:
            if num_format in self.BUILT_IN:
                ids.append(self.BUILT_IN[num_format])
            else:
                ids.append(164 + len(custom))
                custom.append(f'<numFmt numFmtId="{ids[-1]}" formatCode="{xml_text(num_format, quote=True)}"/>')
        cells = "".join(
            f'<xf numFmtId="{number}" fontId="0" fillId="0" borderId="0" xfId="0"'
            + (' applyNumberFormat="1"/>' if number else "/>")
            for number in ids
        )
        number_formats = f'<numFmts count="{len(custom)}">{"".join(custom)}</numFmts>' if custom else ""
        return _STYLES.format(number_formats=number_formats, count=len(ids), cells=cells)


def string_cell(text: str) -> str:
    """A text cell's XML (written as is: neutralise it first); "" is a blank cell."""
    if not text:
        return "<c/>"
    return f'<c t="inlineStr"><is><t xml:space="preserve">{xml_text(text)}</t></is></c>'


def xml_text(text: str, quote: bool = False) -> str:
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return text.replace('"', "&quot;") if quote else text


def _xml_char_escape(match: re.Match) -> str:
    # What XML 1.0 cannot hold, written as Excel's own escape for it (_x0007_).
    return f"_x{ord(match.group()):04X}_"


def excel_serial(moment: datetime | date) -> float | int:
    """Excel's day number of a date (local time for an aware moment: Excel has no time zones)."""
    if isinstance(moment, datetime):
        local = timezone.localtime(moment).replace(tzinfo=None) if timezone.is_aware(moment) else moment
        delta = local - datetime(1899, 12, 30)
        return delta.days + (delta.seconds + delta.microseconds / 1e6) / 86400
    return (moment - date(1899, 12, 30)).days


def _xlsx_cell(value: Any, rate: bool, styles: XlsxStyles) -> str:
    # Text is written as text whatever it looks like: "=..." is no formula, "http..." no link.
    if value is None:
        return "<c/>"
    if isinstance(value, str):
        return string_cell(neutralise(value))
    if isinstance(value, bool):
        return string_cell(yes_no(value))
    if isinstance(value, int | float | Decimal):
        if not (value.is_finite() if isinstance(value, Decimal) else math.isfinite(value)):
            return '<c t="e"><v>#NUM!</v></c>'
        style = styles.percent if rate else styles.decimal(value) if isinstance(value, Decimal) else 0
        number = repr(value) if isinstance(value, float) else str(value)
        return f'<c s="{style}"><v>{number}</v></c>' if style else f"<c><v>{number}</v></c>"
    if isinstance(value, datetime):
        return f'<c s="{styles.datetime}"><v>{excel_serial(value)!r}</v></c>'
    if isinstance(value, date):
        return f'<c s="{styles.date}"><v>{excel_serial(value)}</v></c>'
    return string_cell(neutralise(value))


def _sheet_title(title: str) -> str:
    cleaned = "".join(" " if char in "[]:*?/\\" else char for char in str(title)).strip()
    # Excel also refuses a title that starts or ends with an apostrophe.
    return (cleaned or "Sheet")[:MAX_SHEET_TITLE].strip("'") or "Sheet"


_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml"'
    ' ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml"'
    ' ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    '<Override PartName="/xl/styles.xml"'
    ' ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
    "</Types>"
)
_PACKAGE_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1"'
    ' Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument"'
    ' Target="xl/workbook.xml"/>'
    "</Relationships>"
)
_WORKBOOK = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
    ' xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
    '<sheets><sheet name="{title}" sheetId="1" r:id="rId1"/></sheets></workbook>'
)
_WORKBOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1"'
    ' Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet"'
    ' Target="worksheets/sheet1.xml"/>'
    '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles"'
    ' Target="styles.xml"/>'
    "</Relationships>"
)
_STYLES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">{number_formats}'
    '<fonts count="1"><font><sz val="11"/><name val="Calibri"/><family val="2"/></font></fonts>'
    '<fills count="2"><fill><patternFill patternType="none"/></fill>'
    '<fill><patternFill patternType="gray125"/></fill></fills>'
    '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    '<cellXfs count="{count}">{cells}</cellXfs>'
    '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
    "</styleSheet>"
)
_SHEET_START = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
)
