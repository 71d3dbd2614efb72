"""Column definitions shared by a list page and its CSV export, so both show the same thing."""

import csv
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.db.models import Model
from django.http import StreamingHttpResponse
from django.utils import timezone

from dealerops.access import can_see_phone

# Text a spreadsheet would run as a formula (OWASP CSV injection).
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class Column:
    label: str
    accessor: str  # dotted attribute path from the row, e.g. "stock_unit.vin"
    kind: str = "text"  # text | money | rate | date | number | phone | choice
    order: str | None = None  # value of ?ordering= that sorts by this column
    link: bool = False  # render as a link to the row's page

    @property
    def numeric(self) -> bool:
        return self.kind in ("money", "rate", "number")

    def raw(self, row: Model) -> Any:
        *path, last = self.accessor.split(".")
        owner: Any = row
        for part in path:
            owner = getattr(owner, part)
            if owner is None:
                return None
        if self.kind == "choice":
            return getattr(owner, f"get_{last}_display")()
        return getattr(owner, last)


def display(column: Column, row: Model, user) -> str:
    """A cell as the page shows it (money with thousands separators, phones masked)."""
    value = column.raw(row)
    if value is None or value == "":
        return "–"
    if column.kind == "money":
        return format_yuan(value)
    if column.kind == "rate":
        return format_percent(value)
    if column.kind == "number":
        return f"{value:,}"
    if column.kind == "phone":
        return value if can_see_phone(user) else row_masked_phone(value)
    if isinstance(value, datetime):
        return timezone.localtime(value).strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def format_yuan(value: Decimal) -> str:
    """¥1,234.50, and -¥41,779.34 for a negative amount."""
    return f"-¥{-value:,.2f}" if value < 0 else f"¥{value:,.2f}"


def format_percent(value: Decimal) -> str:
    """A rate or share stored as a fraction: 0.0075 -> "0.75 %"."""
    return f"{value * 100:.2f} %"


def row_masked_phone(phone: str) -> str:
    from customers.models import mask_phone

    return mask_phone(phone)


def neutralise(value: Any) -> Any:
    """Keep numbers numeric; prefix text that a spreadsheet would evaluate with an apostrophe."""
    if isinstance(value, int | float | Decimal):
        return value
    text = str(value)
    return "'" + text if text.startswith(FORMULA_PREFIXES) else text


def export_value(column: Column, row: Model, user) -> Any:
    value = column.raw(row)
    if value is None:
        return ""
    if column.kind == "phone" and not can_see_phone(user):
        return row_masked_phone(value)
    if isinstance(value, datetime):
        value = timezone.localtime(value).strftime("%Y-%m-%d %H:%M:%S")
    elif isinstance(value, date):
        value = value.isoformat()
    return neutralise(value)


class _Echo:
    def write(self, value: str) -> str:
        return value


def csv_response(filename: str, columns: list[Column], rows: Iterable[Model], user) -> StreamingHttpResponse:
    """Stream rows as UTF-8 CSV with a BOM (Excel reads Chinese correctly), never all in memory."""
    writer = csv.writer(_Echo())

    def lines() -> Iterator[str]:
        yield "\ufeff" + writer.writerow([str(column.label) for column in columns])
        for row in rows:
            yield writer.writerow([export_value(column, row, user) for column in columns])

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}.csv"'
    return response
