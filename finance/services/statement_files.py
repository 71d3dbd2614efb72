"""Reading a lender's statement file (CSV or XLSX) into checked lines.

Every row is validated before anything is written: the caller gets either all lines or a
``ValidationError`` listing every bad cell by row (as the user sees it in the file: the
header is row 1) and column (as the file names it). Lenders send what their systems export,
so headers may be Chinese or English, CSV may be UTF-8 (with or without BOM) or GBK, periods
come as 2026-10, 2026/10, 202610, 2026年10月 or a date, amounts with ¥ and thousands commas.

XLSX formula cells (``=SUM(...)``) are rejected as values: openpyxl cannot compute them, and
a cached result may be stale or absent, so the lender is asked to paste values.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from dealerops.tabular import (
    AMOUNT_LIMIT,
    CellErrors,
    Formula,
    Rows,
    cell_amount,
    cell_month,
    cell_text,
    file_error,
    is_blank_row,
    normalise_header,
    spreadsheet_rows,
    upload_refusal,
)
from dealerops.validation import today

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
REFERENCE_MAX_LENGTH = 32


@dataclass(frozen=True)
class ParsedLine:
    row_number: int
    loan_reference: str
    month: date
    amount: Decimal


def statement_upload_refusal(request: HttpRequest) -> str | None:
    """Why a statement upload is refused before it is read (too large), for the page and the API."""
    return upload_refusal(
        request,
        file_limit=settings.LENDER_STATEMENT_MAX_BYTES,
        message=_("The file is larger than %(limit)s KB, the limit for a statement."),
    )


def statement_lines_parse(*, content: bytes, file_name: str) -> list[ParsedLine]:
    """All lines of a statement file, or a ValidationError naming every bad cell."""
    if len(content) > settings.LENDER_STATEMENT_MAX_BYTES:
        raise file_error(
            _("The file is %(size)s KB; statements up to %(limit)s KB are accepted.")
            % {"size": len(content) // 1024, "limit": settings.LENDER_STATEMENT_MAX_BYTES // 1024}
        )
    rows = spreadsheet_rows(
        content=content,
        file_name=file_name,
        max_bytes=settings.LENDER_STATEMENT_MAX_BYTES,
        max_unpacked_bytes=settings.LENDER_STATEMENT_MAX_XLSX_UNCOMPRESSED_BYTES,
    )
    return _lines_from_rows(rows)


def _header_columns(cells: Sequence[Any]) -> tuple[dict[str, int], dict[str, str]]:
    """Which cell holds which field (by position), and the header text the file uses for it."""
    columns: dict[str, int] = {}
    headers: dict[str, str] = {}
    for index, cell in enumerate(cells):
        key = normalise_header(cell)
        for field, aliases in HEADER_ALIASES.items():
            if key in aliases and field not in columns:
                columns[field] = index
                headers[field] = str(cell).strip()
    return columns, headers


def _lines_from_rows(rows: Rows) -> list[ParsedLine]:
    errors = CellErrors()
    columns: dict[str, int] = {}
    headers: dict[str, str] = {}
    best_header: tuple[int, dict[str, int]] | None = None  # for the message when none is complete
    title_rows = 0
    lines: list[ParsedLine] = []
    first_row_of: dict[str, int] = {}
    stated_totals: list[tuple[int, Decimal]] = []
    this_month = today().replace(day=1)
    for row_number, cells in rows:
        if is_blank_row(cells):
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
        if normalise_header(cell["loan_reference"]) in TOTAL_LABELS:
            if isinstance(cell["amount"], Formula):
                continue  # a =SUM() total cannot be computed here; the lines are checked one by one
            try:
                stated_totals.append((row_number, cell_amount(cell["amount"])))
            except ValueError as error:
                errors.add(row_number, headers["amount"], str(error))
            continue
        values: dict[str, Any] = {}
        for field, reader in (("loan_reference", _reference), ("period", cell_month), ("amount", cell_amount)):
            raw = cell[field]
            if isinstance(raw, Formula):
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
        if values.get("period") is not None and values["period"] > this_month:
            errors.add(
                row_number,
                headers["period"],
                _("period %(month)s has not begun yet: a statement covers months that have.")
                % {"month": f"{values['period']:%Y-%m}"},
            )
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
        raise file_error(_("The file is empty."))
    if not columns:
        row_number, found = best_header
        missing = [str(label) for field, label in FIELDS.items() if field not in found]
        raise file_error(
            _(
                "Row %(row)s: the header names no column for %(missing)s "
                "(e.g. 贷款编号 / loan reference, 期间 / period, 金额 / amount)."
            )
            % {"row": row_number, "missing": ", ".join(missing)}
        )
    # A total row (合计) must agree with the lines above it: a truncated file shows up here.
    lines_total = sum((line.amount for line in lines), Decimal("0.00"))
    for row_number, stated in stated_totals:
        if not len(errors) and stated != lines_total:
            errors.add(
                row_number,
                headers["amount"],
                _("the total row says %(stated)s but the lines add up to %(total)s.")
                % {"stated": stated, "total": lines_total},
            )
    errors.raise_if_any()
    if not lines:
        raise file_error(_("The file has a header but no lines."))
    if abs(lines_total) >= AMOUNT_LIMIT:
        raise file_error(_("The statement's total is too large for the ledger."))
    return lines


def _reference(value: Any) -> str:
    try:
        return cell_text(value, max_length=REFERENCE_MAX_LENGTH)
    except ValueError as error:
        if value is None or not str(value).strip():
            raise ValueError(_("the loan reference is empty.")) from None
        raise ValueError(_("a loan reference has %(message)s") % {"message": error}) from None
