"""Column definitions shared by a list page and its exports, so both show the same thing.

The page reads each cell from a model instance (``Column.raw``). An export has PostgreSQL
format every cell (``QueryRows``): each column's CSV text and sheet XML is an SQL expression
of the row, read as tuples in keyset chunks, so that writing a month of the network's leads
costs about what ``COPY`` of them does. The CSV is then written by ``COPY … TO STDOUT`` itself; the
sheet's rows are read as tuples in keyset chunks. A column whose value has no such expression
(a field type none of today's lists exports) makes the export read plain values instead
(``export_rows``).
"""

import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.core.exceptions import FieldDoesNotExist, ImproperlyConfigured, ObjectDoesNotExist
from django.db import connections, transaction
from django.db.models import F, Model, QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from dealerops import exports
from dealerops.access import can_see_phone
from dealerops.formats import MISSING, format_count, format_number, format_percent, format_yuan
from dealerops.pagination import query_plan, rows_after, sort_keys
from dealerops.privacy import mask_phone
from dealerops.sql_cells import (
    Cell,
    Sql,
    choice_cell,
    copy_csv,
    csv_field,
    joined,
    masked_phone,
    sheet_cell,
    text_cell,
    typed_cell,
)

EXPORT_CHUNK = 10_000
# Keyset chunks may cost the planner this much more than one read: each is a short query that
# holds no cursor or snapshot open while the rows are written.
KEYSET_COST_MARGIN = 1.5
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
            try:
                owner = getattr(owner, part)
            except ObjectDoesNotExist:  # a reverse one-to-one with no row (a unit not yet positioned)
                return None
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
    prepared = QueryRows.of(rows, columns, user)
    return exports.tabular_response(
        fmt=fmt,
        filename=filename,
        headers=[export_header(column) for column in columns],
        rows=prepared if prepared is not None else export_rows(rows, columns, user),
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


# Query rows ---------------------------------------------------------------------------


class QueryRows:
    """A list's export as SQL: every column's cell formatted by PostgreSQL, the rows read as
    tuples in keyset chunks of EXPORT_CHUNK (the rows after the last chunk's sort key, a range
    the sort's index serves), or through one server-side cursor when the ordering has no
    keyset (``dealerops.pagination.sort_keys``) or the planner finds the chunks dearer than
    one ordered read (``_keyset_pays``). ``rows`` is the list's scoped, filtered queryset."""

    def __init__(self, rows: QuerySet, cells: list[Cell], empties: list[str | None]) -> None:
        self.rows = rows
        self.cells = cells
        self.empties = empties

    @classmethod
    def of(cls, rows: QuerySet, columns: Sequence[Column], user) -> "QueryRows | None":
        """The export of ``columns`` as SQL, or None when a column's value has no SQL here (or
        there are no columns: a page whose table is its own template)."""
        cells = [_column_cell(rows.model, column, user) for column in columns]
        if not cells or any(cell is None for cell in cells):
            return None
        return cls(rows, cells, [None if column.empty is None else str(column.empty) for column in columns])

    def csv_text(self) -> Iterator[str]:
        """The rows as CSV lines written by PostgreSQL (``COPY … TO STDOUT (FORMAT csv)``), in
        blocks of whole lines: one ordered read, no Python per row beyond writing its line."""
        fields = [csv_field(cell, empty) for cell, empty in zip(self.cells, self.empties, strict=True)]
        sql, params = self.rows.values_list(*fields).query.sql_with_params()
        yield from copy_csv(self.rows.db, sql, params)

    def xlsx_chunks(self, styles: exports.XlsxStyles) -> Iterator[Sequence[str]]:
        parts = [sheet_cell(cell, styles, empty) for cell, empty in zip(self.cells, self.empties, strict=True)]
        for chunk in self._chunks([joined(parts)]):
            yield [cells for (cells,) in chunk]

    def _chunks(self, fields: list[Any]) -> Iterator[list[tuple]]:
        keys = sort_keys(self.rows)
        if keys is None or keys[0].field.null:
            yield from self._cursor_chunks(fields)
            return
        width = len(fields)
        # The sort keys as text: only the last row's are read back (a time zone's loader per
        # row would cost a third of a month of leads).
        key_texts = [Sql("({0})::text", F(key.name)) for key in keys]
        ordered = self.rows.order_by(*(key.order() for key in keys)).values_list(*fields, *key_texts)
        if not _keyset_pays(ordered):
            yield from self._cursor_chunks(fields)
            return
        after = None
        while True:
            window = ordered if after is None else ordered.filter(rows_after(keys, after))
            chunk = list(window[:EXPORT_CHUNK])
            if chunk:
                yield [row[:width] for row in chunk]
            if len(chunk) < EXPORT_CHUNK:
                return
            after = [key.field.to_python(text) for key, text in zip(keys, chunk[-1][width:], strict=True)]

    def _cursor_chunks(self, fields: list[Any]) -> Iterator[list[tuple]]:
        # A cursor is planned for its first tenth by default: the name index walked through
        # every other city's customers, not the city's rows read and sorted. In a transaction
        # of its own, so the cursor needs no WITH HOLD copy of all the rows either.
        with transaction.atomic(using=self.rows.db), connections[self.rows.db].cursor() as cursor:
            cursor.execute("SET LOCAL cursor_tuple_fraction = 1.0")
            chunk = []
            for row in self.rows.values_list(*fields).iterator(chunk_size=EXPORT_CHUNK):
                chunk.append(row)
                if len(chunk) >= EXPORT_CHUNK:
                    yield chunk
                    chunk = []
            if chunk:
                yield chunk


def _keyset_pays(ordered: QuerySet) -> bool:
    """Whether the planner finds the keyset chunks no dearer than one ordered read of all the
    rows: they are when the sort's index walks just the filtered rows (a month of leads by
    their creation); not when the filter is on another column (a city's customers by name:
    each chunk walks the name index through every other city's rows, or sorts them afresh)."""
    chunk, whole = query_plan(ordered[:EXPORT_CHUNK]), query_plan(ordered)
    chunks = max(1, math.ceil(whole["Plan Rows"] / EXPORT_CHUNK))
    return chunk["Total Cost"] * chunks <= whole["Total Cost"] * KEYSET_COST_MARGIN


def _column_cell(model: type[Model], column: Column, user) -> Cell | None:
    """One column's cell in SQL, as ``_ExportReader`` and ``exports`` write its value in
    Python; None for a value this does not write in SQL."""
    lookups = column.export or (column.accessor.replace(".", "__"),)
    if len(lookups) > 1:
        # The parts that have a value, separated by spaces ("Aurora S7 Max").
        parts = [Sql("NULLIF(({0})::text, '')", F(lookup)) for lookup in lookups]
        return text_cell(Sql("concat_ws(' ', " + ", ".join(f"{{{i}}}" for i in range(len(parts))) + ")", *parts))
    lookup = lookups[0]
    field = _field_at(model, lookup) if lookup != "pk" else model._meta.pk
    if field is not None and field.is_relation and not column.export:
        raise ImproperlyConfigured(f"column {column.accessor!r} names a related object: set its export lookups")
    value = F(lookup)
    if column.kind == "choice" and field is not None and field.flatchoices:
        return choice_cell(field, value)
    if column.kind == "phone" and not can_see_phone(user):
        return text_cell(masked_phone(value))
    return typed_cell(field, value, column.kind)
