"""Loading a large share of a table's rows in one transaction, the way pg_restore does.

Inserting millions of rows into a table with foreign keys and secondary indexes costs a key
lookup (and a row lock on the referenced row) per foreign key and an index insertion per
index, for every row. ``index_and_key_upkeep_after`` drops them (all but the primary key, and
unique indexes only when asked) for the load and rebuilds them once the rows are in: one sort
per index and one anti-join per foreign key. Nothing is given up: the same definitions come
back (read from the catalogue, so they cannot drift from the migrations), every key is
validated against every row, and all of it happens inside the caller's transaction, so a
failure rolls the load and the DDL back together.

The price is locking: the table is held in ACCESS EXCLUSIVE mode (readers wait) until the
transaction ends, and the referenced tables in SHARE ROW EXCLUSIVE mode (writers wait) while
the keys are validated. Use it for backfills and first postings, not for small nightly work.
"""

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from django.db import connection
from django.db.models import Model

FOREIGN_KEYS = """
SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = %s::regclass AND contype = 'f'
"""
# Indexes that back no constraint, unique ones only when asked (ON CONFLICT needs them).
SECONDARY_INDEXES = """
SELECT c.relname, pg_get_indexdef(i.indexrelid)
FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
WHERE i.indrelid = %(table)s::regclass AND NOT i.indisprimary AND (%(unique)s OR NOT i.indisunique)
  AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid)
"""
# Index builds sort in memory up to this much; the session's default (64 MB) spills to disk.
INDEX_BUILD_MEMORY = "256MB"


@contextmanager
def index_and_key_upkeep_after(table: str, *, unique_indexes: bool = False) -> Iterator[None]:
    """Drop ``table``'s foreign keys and secondary indexes for the body, then rebuild and
    validate them. Unique indexes (not constraints) go too with ``unique_indexes``: the body
    then cannot use ON CONFLICT, and rebuilding them checks the load's uniqueness at once.
    Must run inside a transaction (``transaction.atomic``)."""
    if not connection.in_atomic_block:
        raise RuntimeError("index_and_key_upkeep_after needs a transaction to roll back to")
    quoted = connection.ops.quote_name(table)
    with connection.cursor() as cursor:
        # Deferred key checks already queued in this transaction must run before any ALTER TABLE.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute(f"LOCK TABLE {quoted} IN ACCESS EXCLUSIVE MODE")
        cursor.execute(FOREIGN_KEYS, [table])
        keys = cursor.fetchall()
        cursor.execute(SECONDARY_INDEXES, {"table": table, "unique": unique_indexes})
        indexes = cursor.fetchall()
        for name, _definition in keys:
            cursor.execute(f"ALTER TABLE {quoted} DROP CONSTRAINT {connection.ops.quote_name(name)}")
        for name, _definition in indexes:
            cursor.execute(f"DROP INDEX {connection.ops.quote_name(name)}")
    yield
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("SELECT set_config('maintenance_work_mem', %s, true)", [INDEX_BUILD_MEMORY])
        for _name, definition in indexes:
            cursor.execute(definition)
        for name, definition in keys:
            constraint = connection.ops.quote_name(name)
            # NOT VALID then VALIDATE: the check is one set-based scan, not a lookup per row.
            cursor.execute(f"ALTER TABLE {quoted} ADD CONSTRAINT {constraint} {definition} NOT VALID")
            cursor.execute(f"ALTER TABLE {quoted} VALIDATE CONSTRAINT {constraint}")
        # The planner's figures for the table were taken before the load.
        cursor.execute(f"ANALYZE {quoted}")


def bulk_upsert(
    model: type[Model],
    rows: Sequence[dict[str, Any]],
    *,
    unique: Sequence[str],
    update: Sequence[str],
    unique_where: str = "",
) -> list[int]:
    """Insert ``rows`` (dicts of field name to value, the same names in each), or update the columns ``update`` of the
    row that already has the same ``unique`` values; the primary keys, in the order of ``rows``.

    One ``INSERT … SELECT FROM unnest(...)`` with an array per column: no model instances and
    no parameter per value, which is what ``bulk_create`` spends its time on for large files.
    Values must be what the column stores (str, int, Decimal, date, aware datetime, bool or
    None). ``created_at`` / ``updated_at`` (auto_now_add / auto_now) are set to now();
    ``unique_where`` is the predicate of a partial unique index the conflict is on.
    """
    if not rows:
        return []
    names = list(rows[0])
    fields = [model._meta.get_field(name) for name in names]
    # Django's defaults live in Python, not in the table: send them for the fields not given.
    given = {field.column for field in fields}
    defaults = {
        field.attname: field.get_default()
        for field in model._meta.concrete_fields
        if field.column not in given
        and field.has_default()
        and not field.primary_key
        and not (getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False))
    }
    if defaults:
        rows = [{**row, **defaults} for row in rows]
        names += list(defaults)
        fields += [model._meta.get_field(name) for name in defaults]
    stamps = [
        field.column
        for field in model._meta.concrete_fields
        if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False)
    ]
    columns = [field.column for field in fields]
    arrays = ", ".join(f"%s::{field.db_type(connection)}[]" for field in fields)
    unique_columns = [model._meta.get_field(name).column for name in unique]
    assignments = [
        f'"{model._meta.get_field(name).column}" = EXCLUDED."{model._meta.get_field(name).column}"' for name in update
    ]
    assignments += [f'"{column}" = now()' for column in stamps if model._meta.get_field(column).auto_now]
    pk = model._meta.pk.column
    sql = f"""
        INSERT INTO "{model._meta.db_table}" ({", ".join(f'"{c}"' for c in [*columns, *stamps])})
        SELECT {", ".join(f'"{c}"' for c in columns)}{"".join(", now()" for _ in stamps)}
        FROM unnest({arrays}) AS row_values({", ".join(f'"{c}"' for c in columns)})
        ON CONFLICT ({", ".join(f'"{c}"' for c in unique_columns)}){f" WHERE {unique_where}" if unique_where else ""}
        DO UPDATE SET {", ".join(assignments)}
        RETURNING "{pk}", {", ".join(f'"{c}"' for c in unique_columns)}
    """  # noqa: S608 - only table and column names from the model are interpolated; values are parameters
    with connection.cursor() as cursor:
        cursor.execute(sql, [[row[name] for row in rows] for name in names])
        id_of = {tuple(key): row_id for row_id, *key in cursor.fetchall()}
    unique_keys = [(field_name, model._meta.get_field(field_name)) for field_name in unique]
    return [id_of[tuple(_stored(field, row[name]) for name, field in unique_keys)] for row in rows]


def _stored(field, value: Any) -> Any:
    """A key value as the database hands it back (a foreign key's raw id)."""
    return value.pk if isinstance(value, Model) else value
