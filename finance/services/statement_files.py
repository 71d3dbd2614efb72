"""Reading a lender's statement file (CSV or XLSX) into checked lines.

Every row is validated before anything is written: the caller gets either all lines or a
``ValidationError`` listing every bad cell by row (as the user sees it in the file: the
header is row 1) and column (as the file names it). Lenders send what their systems export,
so headers may be Chinese or English, CSV may be UTF-8 (with or without BOM) or GBK, periods
come as 2026-10, 2026/10, 202610, 2026年10月 or a date, amounts with ¥ and thousands commas.

XLSX formula cells (``=SUM(...)``) are rejected as values: openpyxl cannot compute them, and
a cached result may be stale or absent, so the lender is asked to paste values.
"""

import csv
import io
import re
import zipfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

FIELDS = {
    "loan_reference": gettext_lazy("loan reference"),
    "period": gettext_lazy("period"),
    "amount": gettext_lazy("amount"),
}
# Header spellings seen in lenders' exports, compared without case, spaces, "_" or "-".
HEADER_ALIASES = {
    "loan_reference": {
        "loanreference", "loanref", "loanno", "loannumber", "loanid", "reference", "contractno",
        "贷款编号", "贷款号", "贷款合同号", "合同编号", "合同号", "贷款编码", "贷款参考号",
    },
    "period": {"period", "month", "statementperiod", "期间", "账期", "月份", "结算期间", "结算月份", "所属期间"},
    "amount": {
        "amount", "commission", "commissionamount", "金额", "佣金", "佣金金额", "返佣", "返佣金额", "手续费",
    },
}  # fmt: skip
HEADER_SEARCH_ROWS = 10  # title rows a lender may put above the header
# A row whose reference cell says this is the statement's total, checked against the lines.
TOTAL_LABELS = {"合计", "总计", "合计金额", "total", "grandtotal"}
MAX_ERRORS = 100  # enough to fix a file; a wholly wrong file would otherwise list every cell
REFERENCE_MAX_LENGTH = 32
AMOUNT_LIMIT = Decimal("10000000000")  # the ledger's MONEY field holds 12 digits, 2 decimals


@dataclass(frozen=True)
class ParsedLine:
    row_number: int
    loan_reference: str
    month: date
    amount: Decimal


class _Errors:
    """Collects "Row 7, column 金额: …" messages, stopping the listing at MAX_ERRORS."""

    def __init__(self) -> None:
        self.messages: list[str] = []
        self.count = 0

    def add(self, row: int, column: str, message: str) -> None:
        self.count += 1
        if len(self.messages) < MAX_ERRORS:
            self.messages.append(
                _("Row %(row)s, column “%(column)s”: %(message)s") % {"row": row, "column": column, "message": message}
            )

    def raise_if_any(self) -> None:
        if not self.count:
            return
        messages = list(self.messages)
        if self.count > len(messages):
            messages.append(_("… and %(count)s more errors.") % {"count": self.count - len(messages)})
        raise ValidationError({"file": messages})


def _file_error(message: str) -> ValidationError:
    return ValidationError({"file": [message]})


def request_too_large(content_length: int) -> bool:
    """Whether an upload's whole request body is past the statement limit (with room for the
    form's other fields), so it can be refused before it is read or spooled to disk."""
    return content_length > settings.LENDER_STATEMENT_MAX_BYTES + 64 * 1024


def statement_lines_parse(*, content: bytes, file_name: str) -> list[ParsedLine]:
    """All lines of a statement file, or a ValidationError naming every bad cell."""
    if len(content) > settings.LENDER_STATEMENT_MAX_BYTES:
        raise _file_error(
            _("The file is %(size)s KB; statements up to %(limit)s KB are accepted.")
            % {"size": len(content) // 1024, "limit": settings.LENDER_STATEMENT_MAX_BYTES // 1024}
        )
    name = file_name.lower()
    if name.endswith(".xlsx") or content.startswith(b"PK\x03\x04"):
        rows = _xlsx_rows(content)
    elif name.endswith((".csv", ".txt")):
        rows = _csv_rows(content)
    else:
        raise _file_error(_("Upload the statement as a CSV or XLSX file (old .xls files: save as .xlsx)."))
    return _lines_from_rows(rows)


def _csv_rows(content: bytes) -> Iterator[tuple[int, list[Any]]]:
    # UTF-8 first (the BOM is dropped by utf-8-sig); GB18030 is GBK's superset.
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = content.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise _file_error(_("The file is neither UTF-8 nor GBK text: save it as CSV UTF-8."))
    sample = text[:4096]
    try:
        dialect: Any = csv.Sniffer().sniff(sample, delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    # Row numbers count records, as a spreadsheet shows them (a quoted line break stays one row).
    return enumerate(csv.reader(io.StringIO(text, newline=""), dialect), start=1)


def _xlsx_rows(content: bytes) -> Iterator[tuple[int, list[Any]]]:
    from openpyxl import load_workbook  # defusedxml is installed: openpyxl parses with it

    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            uncompressed = sum(member.file_size for member in archive.infolist())
    except zipfile.BadZipFile:
        raise _file_error(_("The file is not a valid XLSX workbook.")) from None
    if uncompressed > settings.LENDER_STATEMENT_MAX_XLSX_UNCOMPRESSED_BYTES:
        raise _file_error(
            _("The workbook unpacks to %(size)s KB; up to %(limit)s KB are accepted.")
            % {"size": uncompressed // 1024, "limit": settings.LENDER_STATEMENT_MAX_XLSX_UNCOMPRESSED_BYTES // 1024}
        )
    try:
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=False)
    except Exception:  # openpyxl raises many types for a damaged workbook
        raise _file_error(_("The file is not a valid XLSX workbook.")) from None
    sheet = workbook.worksheets[0]
    sheet.reset_dimensions()  # some exporters write a wrong size; read every row there is

    def rows() -> Iterator[tuple[int, list[Any]]]:
        # The sheet's XML is parsed while rows are read: a damaged or hostile one (entity
        # expansion, refused by defusedxml) is a bad file, not a server error.
        try:
            for index, cells in enumerate(sheet.iter_rows(), start=1):
                row_number = next((cell.row for cell in cells if getattr(cell, "row", None)), index)
                yield row_number, [_Formula(cell.value) if cell.data_type == "f" else cell.value for cell in cells]
        except Exception:
            raise _file_error(_("The file is not a valid XLSX workbook.")) from None
        finally:
            workbook.close()

    return rows()


@dataclass(frozen=True)
class _Formula:
    text: str


def _normalise_header(value: Any) -> str:
    return re.sub(r"[\s_\-()（）]", "", str(value or "")).lower()


def _header_columns(cells: Sequence[Any]) -> tuple[dict[str, int], dict[str, str]]:
    """Which cell holds which field (by position), and the header text the file uses for it."""
    columns: dict[str, int] = {}
    headers: dict[str, str] = {}
    for index, cell in enumerate(cells):
        key = _normalise_header(cell)
        for field, aliases in HEADER_ALIASES.items():
            if key in aliases and field not in columns:
                columns[field] = index
                headers[field] = str(cell).strip()
    return columns, headers


def _lines_from_rows(rows: Iterator[tuple[int, Sequence[Any]]]) -> list[ParsedLine]:
    errors = _Errors()
    columns: dict[str, int] = {}
    headers: dict[str, str] = {}
    best_header: tuple[int, dict[str, int]] | None = None  # for the message when none is complete
    title_rows = 0
    lines: list[ParsedLine] = []
    first_row_of: dict[str, int] = {}
    stated_totals: list[tuple[int, Decimal]] = []
    for row_number, cells in rows:
        if all(cell is None or str(cell).strip() == "" for cell in cells):
            continue
        if not columns:
            # The header is the first row naming all three columns; lenders often put a title
            # (bank, month) above it.
            found, found_headers = _header_columns(cells)
            if best_header is None or len(found) > len(best_header[1]):
                best_header = (row_number, found)
            if len(found) == len(FIELDS):
                columns, headers = found, found_headers
                continue
            title_rows += 1
            if title_rows < HEADER_SEARCH_ROWS:
                continue
            break
        cell = dict(zip(columns, (cells[i] if i < len(cells) else None for i in columns.values()), strict=True))
        if _normalise_header(cell["loan_reference"]) in TOTAL_LABELS:
            if isinstance(cell["amount"], _Formula):
                continue  # a =SUM() total cannot be computed here; the lines are checked one by one
            try:
                stated_totals.append((row_number, _amount(cell["amount"])))
            except ValueError as error:
                errors.add(row_number, headers["amount"], str(error))
            continue
        values: dict[str, Any] = {}
        for field, reader in (("loan_reference", _reference), ("period", _month), ("amount", _amount)):
            raw = cell[field]
            if isinstance(raw, _Formula):
                errors.add(
                    row_number,
                    headers[field],
                    _("a formula (%(formula)s) is not a value: paste the values into the sheet.")
                    % {"formula": raw.text[:40]},
                )
                continue
            try:
                values[field] = reader(raw)
            except ValueError as error:
                errors.add(row_number, headers[field], str(error))
        reference = values.get("loan_reference")
        if reference is not None:
            if reference in first_row_of:
                errors.add(
                    row_number,
                    headers["loan_reference"],
                    _("loan %(reference)s is already on row %(row)s.")
                    % {"reference": reference, "row": first_row_of[reference]},
                )
            else:
                first_row_of[reference] = row_number
        if len(values) == len(FIELDS):
            lines.append(ParsedLine(row_number, values["loan_reference"], values["period"], values["amount"]))
    if best_header is None:
        raise _file_error(_("The file is empty."))
    if not columns:
        row_number, found = best_header
        missing = [str(label) for field, label in FIELDS.items() if field not in found]
        raise _file_error(
            _(
                "Row %(row)s: the header names no column for %(missing)s "
                "(e.g. 贷款编号 / loan reference, 期间 / period, 金额 / amount)."
            )
            % {"row": row_number, "missing": ", ".join(missing)}
        )
    # A total row (合计) must agree with the lines above it: a truncated file shows up here.
    lines_total = sum((line.amount for line in lines), Decimal("0.00"))
    for row_number, stated in stated_totals:
        if not errors.count and stated != lines_total:
            errors.add(
                row_number,
                headers["amount"],
                _("the total row says %(stated)s but the lines add up to %(total)s.")
                % {"stated": stated, "total": lines_total},
            )
    errors.raise_if_any()
    if not lines:
        raise _file_error(_("The file has a header but no lines."))
    if abs(lines_total) >= AMOUNT_LIMIT:
        raise _file_error(_("The statement's total is too large for the ledger."))
    return lines


def _reference(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # a numeric reference typed into a spreadsheet
    text = "" if value is None else str(value).strip()
    if not text:
        raise ValueError(_("the loan reference is empty."))
    if len(text) > REFERENCE_MAX_LENGTH:
        raise ValueError(_("a loan reference has at most %(max)s characters.") % {"max": REFERENCE_MAX_LENGTH})
    return text


_MONTH_PATTERNS = [
    re.compile(r"^(?P<year>\d{4})\s*[-/.年]\s*(?P<month>\d{1,2})\s*月?$"),
    re.compile(r"^(?P<year>\d{4})(?P<month>\d{2})$"),
    re.compile(
        r"^(?P<year>\d{4})\s*[-/.年]\s*(?P<month>\d{1,2})\s*[-/.月]\s*(?P<day>\d{1,2})\s*日?"
        r"(?:[ T]\d{1,2}:\d{2}(?::\d{2})?)?$"
    ),
    re.compile(r"^(?P<year>\d{4})(?P<month>\d{2})(?P<day>\d{2})$"),
]


def _month(value: Any) -> date:
    """The first day of the month a period cell names."""
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
            parts = match.groupdict()
            try:
                day = date(int(parts["year"]), int(parts["month"]), int(parts.get("day") or 1))
            except ValueError:
                break
            if not 2000 <= day.year <= 2100:
                break
            return day.replace(day=1)
    raise ValueError(
        _("“%(value)s” is not a month (write 2026-10, 2026/10, 202610, 2026年10月 or a date).") % {"value": text[:40]}
    )


_CURRENCY = re.compile(r"^(?:¥|￥|CNY|RMB)|(?:元|CNY|RMB)$", re.IGNORECASE)


def month_parse(text: str) -> date | None:
    """A month typed in a filter (same spellings as in a file), or None when it names none."""
    try:
        return _month(text)
    except ValueError:
        return None


def _amount(value: Any) -> Decimal:
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
        cleaned = re.sub(r"[\s,，\u00a0\u3000]", "", text)
        negative = cleaned.startswith("(") and cleaned.endswith(")")
        cleaned = cleaned.strip("()")
        if cleaned.startswith("-"):
            negative, cleaned = not negative, cleaned[1:]
        cleaned = _CURRENCY.sub("", cleaned)
        if cleaned.startswith("-"):  # ¥-150.00
            negative, cleaned = not negative, cleaned[1:]
        if not re.fullmatch(r"\d+(?:\.\d+)?", cleaned):
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
