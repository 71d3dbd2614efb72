"""Reading uploaded spreadsheets (CSV or XLSX) into cells, and reading cells into values.

Shared by every upload: lender statements and the data hub's imports. What dealers' and
lenders' systems export varies, so this accepts what is common in China: CSV as UTF-8 (with
or without BOM) or GBK, XLSX with title rows above the header, dates as 2026-10-05,
2026/10/5, 2026.10.05, 20261005, 2026年10月5日 or a date cell, amounts with ¥ and commas.

XLSX formula cells (``=SUM(...)``) come back as ``Formula``: openpyxl cannot compute them and
a cached result may be stale or absent, so callers refuse them as values.

Errors name the row as a spreadsheet shows it (the header is row 1, title rows count) and the
column by the header the file uses.
"""

import csv
import io
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.utils.translation import gettext as _

MAX_LISTED_ERRORS = 100  # enough to fix a file; a wholly wrong file would otherwise list every cell
AMOUNT_LIMIT = Decimal("10000000000")  # MONEY fields hold 12 digits, 2 decimals

Rows = Iterator[tuple[int, list[Any]]]


@dataclass(frozen=True)
class Formula:
    """An XLSX cell holding a formula instead of a value."""

    text: str


@dataclass(frozen=True)
class CellError:
    row: int
    column: str
    message: str

    def __str__(self) -> str:
        return _("Row %(row)s, column “%(column)s”: %(message)s") % {
            "row": self.row,
            "column": self.column,
            "message": self.message,
        }


class CellErrors:
    """Collects every bad cell of a file; ``raise_if_any`` lists the first MAX_LISTED_ERRORS."""

    def __init__(self) -> None:
        self.items: list[CellError] = []

    def __bool__(self) -> bool:
        return bool(self.items)

    def __len__(self) -> int:
        return len(self.items)

    def add(self, row: int, column: str, message: str) -> None:
        self.items.append(CellError(row, column, message))

    def raise_if_any(self) -> None:
        if not self.items:
            return
        messages = [str(error) for error in self.items[:MAX_LISTED_ERRORS]]
        if len(self.items) > MAX_LISTED_ERRORS:
            messages.append(_("… and %(count)s more errors.") % {"count": len(self.items) - MAX_LISTED_ERRORS})
        raise ValidationError({"file": messages})


def file_error(message: str) -> ValidationError:
    return ValidationError({"file": [message]})


class SpreadsheetTooLarge(ValidationError):
    """A file with a row or a cell past the upload limits (UPLOAD_MAX_COLUMNS, UPLOAD_MAX_CELL_CHARS)."""

    def __init__(self, message: str) -> None:
        super().__init__({"file": [message]})


def upload_refusal(request: HttpRequest, *, file_limit: int, message: str) -> str | None:
    """``message`` (which names the limit as ``%(limit)s`` KB) when an upload's whole request
    body is past ``file_limit`` (with room for the form's other fields), so a page or the API
    can refuse it before it is read or spooled to disk; None when it is within the limit."""
    if int(request.META.get("CONTENT_LENGTH") or 0) <= file_limit + 64 * 1024:
        return None
    return message % {"limit": file_limit // 1024}


def spreadsheet_rows(*, content: bytes, file_name: str, max_bytes: int, max_unpacked_bytes: int) -> Rows:
    """The rows of a CSV or XLSX file as (row number, cells), or a ValidationError for a
    file that is too large, of another type, or not readable."""
    if len(content) > max_bytes:
        raise file_error(
            _("The file is %(size)s KB; files up to %(limit)s KB are accepted.")
            % {"size": len(content) // 1024, "limit": max_bytes // 1024}
        )
    name = file_name.lower()
    if name.endswith(".xlsx") or content.startswith(b"PK\x03\x04"):
        return _bounded(_xlsx_rows(content, max_unpacked_bytes))
    if name.endswith((".csv", ".txt")):
        return _bounded(_csv_rows(content))
    raise file_error(_("Upload a CSV or XLSX file (old .xls files: save as .xlsx)."))


def is_csv(file_name: str, content: bytes) -> bool:
    """Whether ``spreadsheet_rows`` reads this file as CSV (cheap to read twice) rather than XLSX."""
    return not content.startswith(b"PK\x03\x04") and file_name.lower().endswith((".csv", ".txt"))


def _bounded(rows: Rows) -> Rows:
    """``rows``, refusing a row wider than UPLOAD_MAX_COLUMNS or a cell longer than
    UPLOAD_MAX_CELL_CHARS: no system exports such a file, and the file's headers are stored
    and shown in lists and forms, which must stay small whatever a file holds."""
    max_columns, max_chars = settings.UPLOAD_MAX_COLUMNS, settings.UPLOAD_MAX_CELL_CHARS
    for row_number, cells in rows:
        width = len(cells)
        while width and (cells[width - 1] is None or cells[width - 1] == ""):
            width -= 1  # a spreadsheet's empty cells after the last value are no columns
        if width > max_columns:
            raise SpreadsheetTooLarge(
                _("Row %(row)s has %(count)s columns; files with up to %(limit)s columns are accepted.")
                % {"row": row_number, "count": width, "limit": max_columns}
            )
        for index, cell in enumerate(cells[:width], start=1):
            if isinstance(cell, str | Formula) and len(str(cell)) > max_chars:
                raise SpreadsheetTooLarge(_cell_too_long(row_number, index, max_chars))
        yield row_number, cells


def _cell_too_long(row: int, column: int | None, limit: int) -> str:
    if column is None:
        return _("Row %(row)s: a cell holds more than %(limit)s characters, the most a cell may hold.") % {
            "row": row,
            "limit": limit,
        }
    message = _(
        "Row %(row)s, column %(column)s: the cell holds more than %(limit)s characters, the most a cell may hold."
    )
    return message % {"row": row, "column": column, "limit": limit}


def _csv_rows(content: bytes) -> Rows:
    # UTF-8 first (the BOM is dropped by utf-8-sig); GB18030 is GBK's superset.
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = content.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise file_error(_("The file is neither UTF-8 nor GBK text: save it as CSV UTF-8."))
    sample = text[:4096]
    try:
        dialect: Any = csv.Sniffer().sniff(sample, delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    return _csv_records(csv.reader(io.StringIO(text, newline=""), dialect))


def _csv_records(reader: Iterator[list[str]]) -> Rows:
    # Row numbers count records, as a spreadsheet shows them (a quoted line break stays one row).
    row_number = 0
    try:
        for row_number, cells in enumerate(reader, start=1):  # noqa: B007 - read after the loop on an error
            yield row_number, cells
    except csv.Error as error:
        # The csv module refuses a field past its own limit (131,072 characters) before our
        # cell limit sees it; any other csv.Error is a file it cannot read either.
        if "field larger than field limit" in str(error):
            raise SpreadsheetTooLarge(_cell_too_long(row_number + 1, None, settings.UPLOAD_MAX_CELL_CHARS)) from None
        raise file_error(
            _("Row %(row)s cannot be read as CSV (%(error)s): save the file as CSV UTF-8 again.")
            % {"row": row_number + 1, "error": error}
        ) from None


def _xlsx_rows(content: bytes, max_unpacked_bytes: int) -> Rows:
    from openpyxl import load_workbook  # defusedxml is installed: openpyxl parses with it

    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            unpacked = sum(member.file_size for member in archive.infolist())
    except zipfile.BadZipFile:
        raise file_error(_("The file is not a valid XLSX workbook.")) from None
    if unpacked > max_unpacked_bytes:
        raise file_error(
            _("The workbook unpacks to %(size)s KB; up to %(limit)s KB are accepted.")
            % {"size": unpacked // 1024, "limit": max_unpacked_bytes // 1024}
        )
    try:
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=False)
    except Exception:  # openpyxl raises many types for a damaged workbook
        raise file_error(_("The file is not a valid XLSX workbook.")) from None
    sheet = workbook.worksheets[0]
    sheet.reset_dimensions()  # some exporters write a wrong size; read every row there is

    def rows() -> Rows:
        # The sheet's XML is parsed while rows are read: a damaged or hostile one (entity
        # expansion, refused by defusedxml) is a bad file, not a server error.
        try:
            for index, cells in enumerate(sheet.iter_rows(), start=1):
                row_number = next((cell.row for cell in cells if getattr(cell, "row", None)), index)
                yield row_number, [Formula(cell.value) if cell.data_type == "f" else cell.value for cell in cells]
        except ValidationError:
            raise
        except Exception:
            raise file_error(_("The file is not a valid XLSX workbook.")) from None
        finally:
            workbook.close()

    return rows()


def is_blank_row(cells: list[Any]) -> bool:
    return all(cell is None or str(cell).strip() == "" for cell in cells)


_HEADER_NOISE = re.compile(r"[\s_\-()（）.:：]")
_WHOLE_NUMBER = re.compile(r"-?\d+")
_AMOUNT_NOISE = re.compile(r"[\s,，\u00a0\u3000]")
_PLAIN_AMOUNT = re.compile(r"\d+(?:\.\d+)?")


def normalise_header(value: Any) -> str:
    """A header compared without case, spaces, "_", "-" or brackets: "Loan No." ~ "loanno."."""
    return _HEADER_NOISE.sub("", str(value or "")).lower()


# -- cells to values. Each raises ValueError with a message for the user. --------------------


def cell_text(value: Any, *, max_length: int, required: bool = True) -> str:
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # a numeric code typed into a spreadsheet
    text = "" if value is None else str(value).strip()
    if not text and required:
        raise ValueError(_("this cell is empty."))
    if len(text) > max_length:
        raise ValueError(_("at most %(max)s characters.") % {"max": max_length})
    return text


def cell_integer(value: Any, *, minimum: int | None = None, maximum: int | None = None) -> int:
    if isinstance(value, bool):
        raise ValueError(_("“%(value)s” is not a whole number.") % {"value": value})
    if isinstance(value, float) and value.is_integer():
        number = int(value)
    elif isinstance(value, int):
        number = value
    else:
        text = "" if value is None else str(value).strip().replace(",", "")
        if not text:
            raise ValueError(_("this cell is empty."))
        if not _WHOLE_NUMBER.fullmatch(text):
            raise ValueError(_("“%(value)s” is not a whole number.") % {"value": text[:40]})
        number = int(text)
    if minimum is not None and number < minimum or maximum is not None and number > maximum:
        bounds = {"value": number, "minimum": minimum, "maximum": maximum}
        raise ValueError(_("%(value)s is outside %(minimum)s–%(maximum)s.") % bounds)
    return number


_CURRENCY = re.compile(r"^(?:¥|￥|CNY|RMB)|(?:元|CNY|RMB)$", re.IGNORECASE)


def cell_amount(value: Any) -> Decimal:
    """Money to the fen: 1,234.50, ¥1234.5, 1234.50元, (150.00) for a negative amount."""
    if isinstance(value, bool):
        raise ValueError(_("“%(value)s” is not an amount.") % {"value": value})
    if isinstance(value, int | Decimal):
        amount = Decimal(value)
    elif isinstance(value, float):
        amount = Decimal(repr(value))  # the shortest repr: 150.1 stays 150.1
    else:
        text = "" if value is None else str(value).strip()
        if not text:
            raise ValueError(_("the amount is empty."))
        cleaned = _AMOUNT_NOISE.sub("", text)
        negative = cleaned.startswith("(") and cleaned.endswith(")")
        cleaned = cleaned.strip("()")
        if cleaned.startswith("-"):
            negative, cleaned = not negative, cleaned[1:]
        cleaned = _CURRENCY.sub("", cleaned)
        if cleaned.startswith("-"):  # ¥-150.00
            negative, cleaned = not negative, cleaned[1:]
        if not _PLAIN_AMOUNT.fullmatch(cleaned):
            raise ValueError(_("“%(value)s” is not an amount.") % {"value": text[:40]})
        amount = Decimal(cleaned)
        if negative:
            amount = -amount
    if not amount.is_finite():
        raise ValueError(_("“%(value)s” is not an amount.") % {"value": value})
    if abs(amount) >= AMOUNT_LIMIT:
        raise ValueError(_("“%(value)s” is too large.") % {"value": value})
    if amount != amount.quantize(Decimal("0.01")):
        raise ValueError(_("“%(value)s” has more than two decimals (fen).") % {"value": value})
    return amount.quantize(Decimal("0.01"))


def cell_rate(value: Any) -> Decimal:
    """An annual rate as a fraction: 0.0495, 4.95% and 4.95 (read as per cent) are the same."""
    if isinstance(value, bool):
        raise ValueError(_("“%(value)s” is not a rate.") % {"value": value})
    text = repr(value) if isinstance(value, float) else ("" if value is None else str(value).strip())
    if not text:
        raise ValueError(_("this cell is empty."))
    per_cent = text.endswith(("%", "％"))
    try:
        rate = Decimal(text.rstrip("%％").strip())
    except InvalidOperation:
        raise ValueError(_("“%(value)s” is not a rate (write 0.0495 or 4.95%%).") % {"value": text[:40]}) from None
    if per_cent or rate >= 1:
        rate /= 100
    if not rate.is_finite() or not Decimal(0) < rate < Decimal(1):
        raise ValueError(_("“%(value)s” is not a rate between 0 and 100 %%.") % {"value": text[:40]})
    if rate != rate.quantize(Decimal("0.000001")):
        raise ValueError(_("“%(value)s” has more than six decimals.") % {"value": text[:40]})
    return rate.quantize(Decimal("0.000001"))


_DATE_PATTERNS = [
    re.compile(
        r"^(?P<year>\d{4})\s*[-/.年]\s*(?P<month>\d{1,2})\s*[-/.月]\s*(?P<day>\d{1,2})\s*日?"
        r"(?:[ T]+(?P<hour>\d{1,2})[:时](?P<minute>\d{2})(?:[:分](?P<second>\d{2}))?秒?)?$"
    ),
    re.compile(r"^(?P<year>\d{4})(?P<month>\d{2})(?P<day>\d{2})(?:\s*(?P<hour>\d{2}):?(?P<minute>\d{2}))?$"),
]
_MONTH_PATTERNS = [
    re.compile(r"^(?P<year>\d{4})\s*[-/.年]\s*(?P<month>\d{1,2})\s*月?$"),
    re.compile(r"^(?P<year>\d{4})(?P<month>\d{2})$"),
]
_DATE_HINT = "2026-10-05, 2026/10/5, 2026.10.05, 20261005, 2026年10月5日"


def _datetime_parts(value: Any) -> tuple[date, time | None] | None:
    if isinstance(value, datetime):
        return value.date(), value.time()
    if isinstance(value, date):
        return value, None
    text = "" if value is None else str(value).strip()
    for pattern in _DATE_PATTERNS:
        match = pattern.match(text)
        if not match:
            continue
        parts = match.groupdict()
        try:
            day = date(int(parts["year"]), int(parts["month"]), int(parts["day"]))
            at = (
                time(int(parts["hour"]), int(parts["minute"]), int(parts.get("second") or 0))
                if parts.get("hour")
                else None
            )
        except ValueError:
            return None
        return day, at
    return None


def cell_date(value: Any) -> date:
    parts = _datetime_parts(value)
    if parts is None or not 2000 <= parts[0].year <= 2100:
        text = "" if value is None else str(value).strip()
        if not text:
            raise ValueError(_("the date is empty."))
        raise ValueError(_("“%(value)s” is not a date (write %(hint)s).") % {"value": text[:40], "hint": _DATE_HINT})
    return parts[0]


def cell_datetime(value: Any) -> datetime:
    """A date with an optional time (midnight when none), in the portal's time zone."""
    parts = _datetime_parts(value)
    if parts is None or not 2000 <= parts[0].year <= 2100:
        text = "" if value is None else str(value).strip()
        if not text:
            raise ValueError(_("the date is empty."))
        raise ValueError(_("“%(value)s” is not a date and time (write 2026-10-05 14:30).") % {"value": text[:40]})
    day, at = parts
    return datetime.combine(day, at or time(0), tzinfo=ZoneInfo(settings.TIME_ZONE))


def cell_month(value: Any) -> date:
    """The first day of the month a cell names: 2026-10, 2026/10, 202610, 2026年10月 or a date."""
    if isinstance(value, datetime):
        return value.date().replace(day=1)
    if isinstance(value, date):
        return value.replace(day=1)
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = "" if value is None else str(value).strip()
    if not text:
        raise ValueError(_("the period is empty."))
    for pattern in _MONTH_PATTERNS:
        match = pattern.match(text)
        if match:
            try:
                month = date(int(match["year"]), int(match["month"]), 1)
            except ValueError:
                break
            if 2000 <= month.year <= 2100:
                return month
            break
    else:
        parts = _datetime_parts(text)
        if parts is not None and 2000 <= parts[0].year <= 2100:
            return parts[0].replace(day=1)
    raise ValueError(
        _("“%(value)s” is not a month (write 2026-10, 2026/10, 202610, 2026年10月 or a date).") % {"value": text[:40]}
    )


def month_parse(text: str) -> date | None:
    """A month typed in a filter (same spellings as in a file), or None when it names none."""
    try:
        return cell_month(text)
    except ValueError:
        return None
