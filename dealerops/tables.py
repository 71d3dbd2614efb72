"""Column definitions shared by a list page and its exports, so both show the same thing.

The page reads each cell from a model instance (``Column.raw``); an export reads the same
columns as plain values straight from the database (``export_rows``), so a month of the
ledger exports without building a model instance per row.
"""

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.core.exceptions import FieldDoesNotExist, ImproperlyConfigured
from django.db.models import Model, QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from dealerops import exports
from dealerops.access import can_see_phone
from dealerops.formats import MISSING, format_count, format_number, format_percent, format_yuan
from dealerops.privacy import mask_phone

EXPORT_CHUNK = 5000
DEALER_RELATIONS = {"dealer", "home_dealer"}  # the relations through which a column reads a dealer


@dataclass(frozen=True)
class Column:
    label: str
    accessor: str  # dotted attribute path from the row, e.g. "stock_unit.vin"
    kind: str = "text"  # text | money | rate | date | month | number | phone | choice
    order: str | None = None  # value of ?ordering= that sorts by this column
    link: bool | str = False  # True: link to the row's page; a dotted path: to that object's page
    # ORM lookups an export reads, joined by a space; by default the accessor itself. Set it
    # where the accessor ends on a related object (e.g. a period, exported as its month).
    export: tuple[str, ...] = ()
    # What a cell without a value says, where "–" would hide why (e.g. "insufficient data").
    empty: Any = None
    # (attribute, label): the page shows the label as a badge beside the value when the row's
    # attribute (an annotation of the list's queryset) is true, e.g. a loan awaiting confirmation.
    badge: tuple[str, Any] = ()

    @property
    def shows_dealer(self) -> bool:
        """The column reads the row's dealer (its name, code, region): one value for a dealer user."""
        return bool(DEALER_RELATIONS & set(self.accessor.split(".")[:-1]))

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
    """A cell as the page shows it (figures as ``dealerops.formats`` writes them, phones masked)."""
    value = column.raw(row)
    if value is None or value == "":
        return MISSING if column.empty is None else str(column.empty)
    if column.kind == "money":
        return format_yuan(value)
    if column.kind == "rate":
        return format_percent(value)
    if column.kind == "number":
        # A count as a whole number, a measure (a score) to the fixed two decimals.
        return format_count(value) if isinstance(value, int) else format_number(value)
    if column.kind == "phone":
        return value if can_see_phone(user) else mask_phone(value)
    if isinstance(value, bool):
        return exports.yes_no(value)
    if isinstance(value, datetime):
        return timezone.localtime(value).strftime("%Y-%m-%d %H:%M")
    if column.kind == "month" and isinstance(value, date):
        return value.strftime("%Y-%m")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def export_rows(rows: QuerySet, columns: Sequence[Column], user) -> Iterator[list[Any]]:
    """The cells of ``columns`` for every row of ``rows``, as plain values, read in chunks."""
    readers = [_ExportReader(rows.model, column, user) for column in columns]
    lookups = [lookup for reader in readers for lookup in reader.lookups]
    for values in rows.values_list(*lookups).iterator(chunk_size=EXPORT_CHUNK):
        cells, start = [], 0
        for reader in readers:
            end = start + len(reader.lookups)
            cells.append(reader.cell(values[start:end]))
            start = end
        yield cells


def export_response(
    fmt: str,
    filename: str | exports.ExportName,
    columns: Sequence[Column],
    rows: QuerySet,
    user,
    *,
    request: HttpRequest | None = None,
    sheet_title: str = "",
) -> HttpResponse:
    """The rows as CSV or XLSX; with ``request``, a large export runs as an export job."""
    if fmt == "xlsx":
        # Refused before writing a million rows, not after: counting stops at the limit.
        limit = exports.XLSX_MAX_ROWS
        if rows[:limit].count() >= limit:
            raise exports.ExportTooLarge(limit - 1)
    return exports.tabular_response(
        fmt=fmt,
        filename=filename,
        headers=[export_header(column) for column in columns],
        rows=export_rows(rows, columns, user),
        sheet_title=sheet_title,
        request=request,
        count=exports.bounded_count(rows),
    )


def export_header(column: Column) -> exports.Header:
    return exports.Header(str(column.label), "rate" if column.kind == "rate" else "text")


class _ExportReader:
    """Turns the database values of one column into its export cell."""

    def __init__(self, model: type[Model], column: Column, user) -> None:
        self.column = column
        self.lookups = column.export or (column.accessor.replace(".", "__"),)
        field = _field_at(model, self.lookups[0])
        if field is not None and field.is_relation and not column.export:
            raise ImproperlyConfigured(f"column {column.accessor!r} names a related object: set its export lookups")
        # Translated once per export, not once per cell.
        choices = field.flatchoices if column.kind == "choice" and field is not None else None
        self.labels = {value: str(label) for value, label in choices} if choices is not None else None
        self.mask_phone = column.kind == "phone" and not can_see_phone(user)
        self.empty = None if column.empty is None else str(column.empty)

    def cell(self, values: tuple) -> Any:
        if len(values) > 1:
            return " ".join(str(value) for value in values if value not in (None, ""))
        value = values[0]
        if value is None:
            return self.empty
        if self.labels is not None:
            return str(self.labels.get(value, value))
        if self.mask_phone:
            return mask_phone(value)
        if self.column.kind == "month" and isinstance(value, date):
            return value.strftime("%Y-%m")
        return value


def _field_at(model: type[Model], lookup: str):
    """The model field a ``__`` lookup ends on (None for ``pk``)."""
    *path, last = lookup.split("__")
    for part in path:
        model = model._meta.get_field(part).related_model
    if last == "pk":
        return None
    try:
        return model._meta.get_field(last)
    except FieldDoesNotExist:
        return None
