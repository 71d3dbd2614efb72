"""Head office's changes export written by PostgreSQL: a line per changed field of every
matching event, each cell formatted by the database as ``audit.audit_entries`` formats it
for the page, so that a dealer's 20,000 events (180,000 lines) cost about what ``COPY`` of
them does, not a Python object per event and a call per cell.

Per audited model, one SELECT over its filtered events (``audit.filtered_events``): the
record's previous event through a LATERAL lookup (an update's "before"), the context's user
and import, related records by name (those the viewer may see, others by number) and the
changed fields unpivoted by a LATERAL VALUES list; the models' SELECTs in one UNION ALL,
newest event first, the fields of an event in its record page's order.
"""

# ruff: noqa: S608, S611 - only table and column names of the models and constant fragments are
# written into the SQL; every value is a parameter.

from collections.abc import Callable, Iterator, Sequence
from typing import Any

from django.apps import apps
from django.contrib.auth import get_user_model
from django.core.exceptions import ImproperlyConfigured
from django.db import connections, models, transaction
from django.db.models import F, Model, QuerySet, Value
from django.db.models.expressions import RawSQL
from django.db.models.functions import Cast, Concat
from django.db.models.sql import Query
from django.utils.translation import gettext
from pghistory.models import Context

from dealerops import exports
from dealerops.access import RULES, can_see_phone, scope
from dealerops.audit import ACTIONS, Audited, ChangeFilters, filtered_events, shown_fields
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
from dealerops.tables import EXPORT_CHUNK


def _concat(*parts: Any) -> Concat:
    return Concat(*parts, output_field=models.TextField())


# A related record's name as its ``__str__`` writes it, for each model an audited record
# points to (tests/dealerops/test_audit_export.py holds each pair together).
RECORD_NAMES: dict[str, Callable[[], Any]] = {
    "channels.Dealer": lambda: _concat("code", Value(" "), "name"),
    "channels.Region": lambda: _concat("code", Value(" "), "name"),
    "channels.LeadPage": lambda: F("name"),
    "customers.Customer": lambda: _concat("name", Value(" "), masked_phone(F("phone"))),
    "finance.Lender": lambda: F("name"),
    "inventory.Sale": lambda: _concat(
        Value("#"), Cast("pk", models.TextField()), Value(" "), Sql("to_char({0}, 'YYYY-MM-DD')", F("sold_on"))
    ),
    "inventory.StockUnit": lambda: F("vin"),
    "inventory.VehicleModel": lambda: _concat("brand", Value(" "), "series", Value(" "), "trim"),
}

_EVENT_COLUMNS = ("pgh_id", "pgh_obj_id", "pgh_label", "pgh_created_at", "pgh_context_id")
# An update with an earlier event of its record: its fields' "before" is that event's.
_IS_UPDATE = "e.pgh_label NOT IN ('insert', 'delete') AND p.pgh_id IS NOT NULL"
_HEAD = 7  # the cells before Field, Before and After


def _sql(text: str) -> RawSQL:
    return RawSQL(text, ())


class _Statement:
    """SQL text and its parameters, appended in order."""

    def __init__(self, using: str) -> None:
        self.connection = connections[using]
        self.compiler = Query(None).get_compiler(connection=self.connection)
        self.sql: list[str] = []
        self.params: list[Any] = []

    def add(self, sql: str, params: Sequence[Any] = ()) -> None:
        self.sql.append(sql)
        self.params.extend(params)

    def expression(self, expression: Any) -> None:
        self.add(*self.compiler.compile(expression))

    def queryset(self, queryset: QuerySet) -> None:
        self.add(*queryset.query.sql_with_params())

    def table(self, model: type[Model]) -> str:
        return self.connection.ops.quote_name(model._meta.db_table)


class ChangeLines:
    """The changes export's lines as ``exports.PreparedRows``: the CSV written by ``COPY``, the
    sheet's rows as their cells' XML, read in chunks through a server-side cursor."""

    def __init__(self, viewer, filters: ChangeFilters) -> None:
        self.viewer = viewer
        self.parts = filtered_events(viewer, filters)

    def csv_text(self) -> Iterator[str]:
        if self.parts:
            yield from copy_csv(self._using, *self._statement(csv_field, one_column=False))

    def xlsx_chunks(self, styles: exports.XlsxStyles) -> Iterator[Sequence[str]]:
        if not self.parts:
            return
        sql, params = self._statement(lambda cell: sheet_cell(cell, styles), one_column=True)
        # In a transaction of its own, so the cursor needs no WITH HOLD copy of all the lines.
        with transaction.atomic(using=self._using), connections[self._using].chunked_cursor() as cursor:
            cursor.execute(sql, params)
            while chunk := cursor.fetchmany(EXPORT_CHUNK):
                yield [cells for (cells,) in chunk]

    @property
    def _using(self) -> str:
        return self.parts[0][1].db

    def _statement(self, render: Callable[[Cell], Any], *, one_column: bool) -> tuple[str, list[Any]]:
        """The models' lines in one ordered UNION ALL; ``render`` makes a cell's output (its CSV
        field or its sheet XML, the row's XML in one column when ``one_column``)."""
        statement = _Statement(self._using)
        outputs = ["x.line"] if one_column else [f"x.c{index}" for index in range(_HEAD + 3)]
        statement.add(f"SELECT {', '.join(outputs)} FROM (")
        for index, (audited, events) in enumerate(self.parts):
            if index:
                statement.add(" UNION ALL ")
            _ModelLines(self.viewer, audited, statement).add(events, render, one_column)
        statement.add(") x ORDER BY x.k_at DESC, x.k_id DESC, x.k_label, x.k_n")
        return "".join(statement.sql), statement.params


class _ModelLines:
    """One audited model's SELECT of lines."""

    def __init__(self, viewer, audited: Audited, statement: _Statement) -> None:
        self.viewer = viewer
        self.audited = audited
        self.statement = statement
        self.joins: list[tuple[str, QuerySet, str]] = []  # (alias, id and name of the visible rows, join value)

    def add(self, events: QuerySet, render: Callable[[Cell], Any], one_column: bool) -> None:
        audited, statement = self.audited, self.statement
        shown = shown_fields(audited)
        fields = [(number, tracked, *self._field(number, tracked)) for number, tracked in enumerate(shown, start=1)]
        dealer_column = audited.dealer_column
        if dealer_column:
            self._join("d", apps.get_model("channels.Dealer"), f'e."{dealer_column}"', scoped=False)
        head = [
            typed_cell(models.DateTimeField(), _sql("e.pgh_created_at")),
            text_cell(_who()),
            text_cell(_source()),
            text_cell(self._action()),
            text_cell(Value(str(audited.model._meta.verbose_name))),
            typed_cell(models.BigIntegerField(), _sql("e.pgh_obj_id")),
            text_cell(_sql("d.name") if dealer_column else Value(None, output_field=models.TextField())),
        ]

        statement.add("SELECT e.pgh_created_at AS k_at, e.pgh_id AS k_id, ")
        statement.expression(Value(audited.label))
        statement.add("::text AS k_label, c.n AS k_n, ")
        if one_column:
            # A line without a changed field (an update of untracked columns) has empty cells.
            changes = [Sql(f"COALESCE(c.{name}, '<c/>')") for name in ("field", "before", "after")]
            statement.expression(joined([*(render(cell) for cell in head), *changes]))
            statement.add(" AS line")
        else:
            cells = [*(render(cell) for cell in head), _sql("c.field"), _sql("c.before"), _sql("c.after")]
            for index, cell in enumerate(cells):
                statement.add(", " if index else "")
                statement.expression(cell)
                statement.add(f" AS c{index}")

        columns = [*_EVENT_COLUMNS, *(tracked.attname for tracked in shown), *filter(None, [dealer_column])]
        statement.add(" FROM (")
        statement.queryset(events.values(*dict.fromkeys(columns)))
        statement.add(f") e LEFT JOIN LATERAL (SELECT * FROM {statement.table(audited.event_model)} p")
        statement.add(" WHERE p.pgh_obj_id = e.pgh_obj_id AND p.pgh_id < e.pgh_id")
        statement.add(" AND e.pgh_label NOT IN ('insert', 'delete') ORDER BY p.pgh_id DESC LIMIT 1) p ON true")
        self._context_joins()
        for alias, rows, value in self.joins:
            statement.add(" LEFT JOIN (")
            statement.queryset(rows)
            statement.add(f") {alias}(id, name) ON {alias}.id = {value}")
        statement.add(" LEFT JOIN LATERAL (SELECT v.n, v.field, v.before, v.after FROM (VALUES ")
        for index, (number, tracked, before, after, changed) in enumerate(fields):
            statement.add(f"{', ' if index else ''}({number}, ")
            for cell in (text_cell(Value(str(tracked.verbose_name))), before, after):
                statement.expression(render(cell))
                statement.add(", ")
            statement.add(f"{changed})")
        statement.add(") v(n, field, before, after, changed) WHERE v.changed) c ON true")

    def _field(self, number: int, tracked: models.Field) -> tuple[Cell, Cell, str]:
        """A field's before and after cells and when it changed, as ``audit._field_changes``:
        a delete's values are its "before", an insert has none, an update's are the previous
        event's; an update's unchanged fields and a field empty on both sides are left out."""
        column = f'"{tracked.attname}"'
        before, after = _before_and_after(f"e.{column}", f"p.{column}")
        unchanged = f"{_IS_UPDATE} AND p.{column} IS NOT DISTINCT FROM e.{column}"
        changed = f"NOT (({before}) IS NULL AND ({after}) IS NULL OR {unchanged})"
        if isinstance(tracked, models.ForeignKey):
            # Joined on the stored ids, which their primary keys serve, and picked afterwards.
            model, alias = tracked.related_model, f"r{number}"
            self._join(f"{alias}e", model, f"e.{column}", scoped=True)
            self._join(f"{alias}p", model, f"p.{column}", scoped=True)
            names = _before_and_after(f"{alias}e.name", f"{alias}p.name")
            return (
                *(self._related(_sql(value), name) for value, name in zip((before, after), names, strict=True)),
                changed,
            )
        return self._value(tracked, before), self._value(tracked, after), changed

    @staticmethod
    def _related(value: RawSQL, name: str) -> Cell:
        """A related record by name, by number when the viewer may not see it."""
        return text_cell(Sql(f"COALESCE({name}, '#' || ({{0}})::text)", value))

    def _value(self, tracked: models.Field, value_sql: str) -> Cell:
        """A stored value as ``audit._Formatter`` shows it."""
        value = _sql(value_sql)
        if tracked.name in self.audited.phone_fields and not can_see_phone(self.viewer):
            return text_cell(masked_phone(value))
        if tracked.choices:
            return choice_cell(tracked, value)
        return typed_cell(tracked, value) or text_cell(Sql("({0})::text", value))

    def _join(self, alias: str, model: type[Model], value_sql: str, *, scoped: bool) -> None:
        name = RECORD_NAMES.get(model._meta.label)
        if name is None:
            raise ImproperlyConfigured(f"{model._meta.label} has no name in audit_export.RECORD_NAMES")
        rows = model._default_manager.all()
        if scoped and model._meta.label in RULES:
            rows = scope(self.viewer, rows)
        self.joins.append((alias, rows.order_by().values_list("pk", name()), value_sql))

    def _action(self) -> Sql:
        labels = [Value(str(ACTIONS[label])) for label in ("insert", "update", "delete")]
        return Sql(
            "CASE {0} WHEN 'insert' THEN {1} WHEN 'update' THEN {2} WHEN 'delete' THEN {3} ELSE {0} END",
            _sql("e.pgh_label"),
            *labels,
        )

    def _context_joins(self) -> None:
        """The event's context, its user and its import (``audit_entries``'s metadata)."""
        statement = self.statement
        user_model = get_user_model()
        username = user_model._meta.get_field(user_model.USERNAME_FIELD).column
        statement.add(f" LEFT JOIN {statement.table(Context)} ctx ON ctx.id = e.pgh_context_id")
        statement.add(
            f' LEFT JOIN (SELECT id, "{username}" AS name FROM {statement.table(user_model)}) u'
            f" ON u.id = {_metadata_number('user')}"
        )
        statement.add(
            f" LEFT JOIN {statement.table(apps.get_model('datahub', 'ImportBatch'))} b"
            f" ON b.id = {_metadata_number('import_batch')}"
        )


def _before_and_after(event: str, previous: str) -> tuple[str, str]:
    """What an event shows before and after, of its own value and its previous event's."""
    before = f"CASE WHEN e.pgh_label = 'delete' THEN {event} WHEN {_IS_UPDATE} THEN {previous} END"
    return before, f"CASE WHEN e.pgh_label <> 'delete' THEN {event} END"


def _metadata_number(key: str) -> str:
    return f"CASE WHEN jsonb_typeof(ctx.metadata -> '{key}') = 'number' THEN (ctx.metadata ->> '{key}')::bigint END"


def _source() -> Sql:
    """The import or nightly job an event came from, as ``audit_entries`` names it."""
    return Sql(
        "CASE WHEN ctx.metadata ->> 'import_batch' IS NOT NULL"
        " THEN replace(replace({0}, {1}, ctx.metadata ->> 'import_batch'), {2}, COALESCE(b.file_name, '?'))"
        " WHEN NULLIF(ctx.metadata ->> 'job', '') IS NOT NULL THEN replace({3}, {4}, ctx.metadata ->> 'job') END",
        Value(gettext("Import #%(number)s (%(file)s)")),
        Value("%(number)s"),
        Value("%(file)s"),
        Value(gettext("Nightly job %(job)s")),
        Value("%(job)s"),
    )


def _who() -> Sql:
    return Sql("COALESCE(u.name, {0}, {1})", _source(), Value(gettext("system")))
