"""Export cells written by PostgreSQL: a value's CSV text and its sheet XML as SQL expressions,
formatted as ``dealerops.exports`` formats the same value in Python, so that an export reads
tuples of finished cells (or lets ``COPY … TO STDOUT`` write the CSV) instead of formatting
each cell in Python. Used by the lists' exports (``tables.QueryRows``) and head office's
changes export (``audit_export``).
"""

import re
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.db import connections, models
from django.db.models import Func, TextField, Value
from django.utils import timezone

from dealerops import exports

_PLACEHOLDER = re.compile(r"\{(\d+)\}")
# What a spreadsheet would run as a formula (exports.FORMULA_PREFIXES) gets an apostrophe.
_NEUTRALISED = "CASE WHEN left({0}, 1) IN ('=', '+', '-', '@', E'\\t', E'\\r') THEN '''' || {0} ELSE {0} END"
_XML_ESCAPED = "replace(replace(replace({0}, '&', '&amp;'), '<', '&lt;'), '>', '&gt;')"
_STRING_CELL = """COALESCE('<c t="inlineStr"><is><t xml:space="preserve">' || {0} || '</t></is></c>', '<c/>')"""
_LOCAL = "({0} AT TIME ZONE {1})"
# privacy.mask_phone: 138****1234.
_MASKED_PHONE = (
    "CASE WHEN length({0}) < 8 THEN repeat('*', length({0}))"
    " ELSE left({0}, 3) || repeat('*', length({0}) - 7) || right({0}, 4) END"
)
_NUMBERS = (models.DecimalField, models.IntegerField, models.AutoField)


class Sql(Func):
    """``template`` with ``{0}``, ``{1}`` … replaced by its expressions (each as often as named)."""

    def __init__(self, template: str, *expressions: Any) -> None:
        super().__init__(*expressions, output_field=TextField())
        self.sql_template = template

    def as_sql(self, compiler, connection, **extra_context):
        compiled = [compiler.compile(expression) for expression in self.get_source_expressions()]
        sql, params = [], []
        for index, piece in enumerate(_PLACEHOLDER.split(self.sql_template)):
            if index % 2:
                part, part_params = compiled[int(piece)]
                sql.append(part)
                params.extend(part_params)
            else:
                sql.append(piece)
        return "".join(sql), params


def neutralised(text: Any) -> Sql:
    return Sql(_NEUTRALISED, text)


def local_time(value: Any) -> Sql:
    """A timestamp as the portal's local (Asia/Shanghai) wall-clock time."""
    return Sql(_LOCAL, value, Value(timezone.get_current_timezone_name()))


def masked_phone(value: Any) -> Sql:
    return Sql(_MASKED_PHONE, value)


def _number_cell(number: Any, style: int) -> Sql:
    start = f'<c s="{style}"><v>' if style else "<c><v>"
    return Sql(f"COALESCE('{start}' || ({{0}})::text || '</v></c>', '<c/>')", number)


@dataclass(frozen=True)
class Cell:
    """One column as SQL: its CSV text, and what its sheet cell is made of."""

    csv: Any
    value: Any  # the sheet cell's value: the text itself for a text cell
    sheet: str  # text | number | percent | date | datetime
    places: int = 0  # a number's decimals, as the sheet shows them


def text_cell(text: Any) -> Cell:
    """Text as it is (a label, a name), neutralised against formulas."""
    shown = neutralised(text)
    return Cell(shown, shown, "text")


def choice_cell(field: models.Field, value: Any) -> Cell:
    """A choice field's label (the stored value when it is none of the choices)."""
    labels = [(key, exports.neutralise(str(label))) for key, label in field.flatchoices]
    whens = " ".join(f"WHEN {{{2 * i + 1}}} THEN {{{2 * i + 2}}}" for i in range(len(labels)))
    values = [item for key, label in labels for item in (Value(key), Value(label))]
    other = neutralised(Sql("({0})::text", value))
    text = Sql(f"CASE {{0}} {whens} ELSE {{{len(values) + 1}}} END", value, *values, other)
    return Cell(text, text, "text")


def typed_cell(field: models.Field, value: Any, kind: str = "text") -> Cell | None:
    """A value of ``field``'s type as exports write it; ``kind`` "month" shows a date's month,
    "rate" a fraction as a percentage. None for a field type without an expression here."""
    if isinstance(field, models.DateTimeField):
        return Cell(Sql("to_char({0}, 'YYYY-MM-DD HH24:MI:SS')", local_time(value)), value, "datetime")
    if isinstance(field, models.DateField):
        if kind == "month":
            month = Sql("to_char({0}, 'YYYY-MM')", value)
            return Cell(month, month, "text")
        return Cell(Sql("to_char({0}, 'YYYY-MM-DD')", value), value, "date")
    if isinstance(field, models.BooleanField):
        yes, no = Value(exports.yes_no(True)), Value(exports.yes_no(False))
        text = Sql("CASE WHEN {0} THEN {1} WHEN NOT {0} THEN {2} END", value, yes, no)
        return Cell(text, text, "text")
    if isinstance(field, _NUMBERS):
        if kind == "rate":
            # format_percent: the fraction as a percentage, rounded half-up to two decimals.
            percent = Sql("to_char(round(({0}) * 100, 2), 'FM999,999,999,999,990.00') || ' %%'", value)
            return Cell(percent, value, "percent")
        places = field.decimal_places if isinstance(field, models.DecimalField) else 0
        return Cell(Sql("({0})::text", value), value, "number", places)
    if isinstance(field, models.CharField | models.TextField):
        return text_cell(value)
    return None


def csv_field(cell: Cell, empty: str | None = None) -> Sql:
    """A cell's CSV field for ``COPY``: ``empty`` (neutralised) for a missing value."""
    text = cell.csv if empty is None else Sql("COALESCE({0}, {1})", cell.csv, Value(exports.neutralise(empty)))
    # COPY quotes an empty string ('""') to tell it from NULL; the csv module does not.
    return Sql("NULLIF({0}, '')", text)


def sheet_cell(cell: Cell, styles: exports.XlsxStyles, empty: str | None = None) -> Any:
    """A cell's sheet XML; ``empty`` (a text) for a missing value."""
    if cell.sheet == "text":
        xml = Sql(_STRING_CELL, Sql(_XML_ESCAPED, Sql("NULLIF({0}, '')", cell.value)))
    elif cell.sheet == "date":
        xml = _number_cell(Sql("({0} - DATE '1899-12-30')", cell.value), styles.date)
    elif cell.sheet == "datetime":
        # Excel has no time zones: the portal's local time, as a day number and its fraction.
        serial = Sql(
            "(({0})::date - DATE '1899-12-30') + EXTRACT(EPOCH FROM ({0})::time) / 86400", local_time(cell.value)
        )
        xml = _number_cell(serial, styles.datetime)
    else:
        style = styles.percent if cell.sheet == "percent" else styles.places(cell.places) if cell.places else 0
        xml = _number_cell(cell.value, style)
    if empty is None:
        return xml
    # A missing value that says why ("insufficient data") is text.
    blank = exports.string_cell(exports.neutralise(empty))
    return Sql("CASE WHEN {0} IS NULL THEN {1} ELSE {2} END", cell.value, Value(blank), xml)


def joined(parts: list[Any]) -> Sql:
    """The parts' SQL one after another (a row's cells' XML)."""
    return Sql(" || ".join(f"{{{index}}}" for index in range(len(parts))), *parts)


def copy_csv(using: str, sql: str, params: Any) -> Iterator[str]:
    """The rows of ``sql`` as CSV lines written by PostgreSQL (``COPY … TO STDOUT (FORMAT csv)``),
    in blocks of whole lines of about ``exports.CSV_CHUNK_CHARS``."""
    # The connection is busy until COPY ends, so the lines wait in a file, not the caller's
    # queries (an export job's progress). psycopg binds COPY's parameters on the client.
    statement = f"COPY ({sql}) TO STDOUT (FORMAT csv)"
    if not params:
        # psycopg formats a COPY's placeholders (and its "%%" escapes) only when it has
        # parameters: without, an unfiltered list's "40.00 %" would be written "40.00 %%".
        statement, params = statement % (), None
    with tempfile.TemporaryFile() as spool:
        with (
            connections[using].cursor() as cursor,
            cursor.cursor.copy(statement, params) as copy,
        ):
            for line in copy:
                spool.write(line)
        spool.seek(0)
        for block in iter(lambda: spool.read(exports.CSV_CHUNK_CHARS), b""):
            # Whole lines, so that no block ends inside a character.
            yield (block + spool.readline()).decode()
