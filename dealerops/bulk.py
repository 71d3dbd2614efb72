"""Loading a large share of a table's rows in one transaction, the way pg_restore does.

Inserting millions of rows into a table with foreign keys and secondary indexes costs a key
lookup (and a row lock on the referenced row) per foreign key and an index insertion per
index, for every row. ``index_and_key_upkeep_after`` drops them (unique indexes and the
primary key only when asked) for the load and rebuilds them once the rows are in: one sort
per index and one anti-join per foreign key. Nothing is given up: the same definitions come
back (read from the catalogue, so they cannot drift from the migrations), every key is
validated against every row, and all of it happens inside the caller's transaction, so a
failure rolls the load and the DDL back together.

The price is locking: the table is held in ACCESS EXCLUSIVE mode (readers wait) until the
transaction ends, and the referenced tables in SHARE ROW EXCLUSIVE mode (writers wait) while
the keys are validated. Use it for backfills and first postings, not for small nightly work.
"""

import json
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from django.db import connection
from django.db.models import JSONField, Model

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
PRIMARY_KEY = """
SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = %s::regclass AND contype = 'p'
"""
# Index builds sort in memory up to this much; the session's default (64 MB) spills to disk.
INDEX_BUILD_MEMORY = "256MB"


@contextmanager
def index_and_key_upkeep_after(
    table: str, *, unique_indexes: bool = False, primary_key: bool = False
) -> Iterator[None]:
    """Drop ``table``'s foreign keys and secondary indexes for the body, then rebuild and
    validate them. Unique indexes (not constraints) go too with ``unique_indexes``: the body
    then cannot use ON CONFLICT, and rebuilding them checks the load's uniqueness at once.
    The primary key goes too with ``primary_key`` (only another table's key referencing it
    stops that). Must run inside a transaction (``transaction.atomic``)."""
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
        primary = []
        if primary_key:
            cursor.execute(PRIMARY_KEY, [table])
            primary = cursor.fetchall()
        for name, _definition in keys + primary:
            cursor.execute(f"ALTER TABLE {quoted} DROP CONSTRAINT {connection.ops.quote_name(name)}")
        for name, _definition in indexes:
            cursor.execute(f"DROP INDEX {connection.ops.quote_name(name)}")
    yield
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("SELECT set_config('maintenance_work_mem', %s, true)", [INDEX_BUILD_MEMORY])
        for name, definition in primary:
            cursor.execute(f"ALTER TABLE {quoted} ADD CONSTRAINT {connection.ops.quote_name(name)} {definition}")
        for _name, definition in indexes:
            cursor.execute(definition)
        for name, definition in keys:
            constraint = connection.ops.quote_name(name)
            # NOT VALID then VALIDATE: the check is one set-based scan, not a lookup per row.
            cursor.execute(f"ALTER TABLE {quoted} ADD CONSTRAINT {constraint} {definition} NOT VALID")
            cursor.execute(f"ALTER TABLE {quoted} VALIDATE CONSTRAINT {constraint}")
        # The planner's figures for the table were taken before the load.
        cursor.execute(f"ANALYZE {quoted}")


def _is_stamp(field) -> bool:
    return getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False)


def _unnest_insert(model: type[Model], rows: Sequence[dict[str, Any]]) -> tuple[str, list[list[Any]]]:
    """``INSERT INTO table (...) SELECT ... FROM unnest(arrays)`` and its parameters: one
    array per column, Django's Python defaults filled in, created_at / updated_at now()."""
    names = list(rows[0])
    fields = [model._meta.get_field(name) for name in names]
    given = {field.column for field in fields}
    defaults = {
        field.attname: field.get_default()
        for field in model._meta.concrete_fields
        if field.column not in given and field.has_default() and not field.primary_key and not _is_stamp(field)
    }
    fields += [model._meta.get_field(name) for name in defaults]
    stamps = [field.column for field in model._meta.concrete_fields if _is_stamp(field)]
    columns = ", ".join(f'"{field.column}"' for field in fields)
    arrays = ", ".join(f"%s{_array_cast(field)}" for field in fields)
    sql = f"""
        INSERT INTO "{model._meta.db_table}" ({columns}{"".join(f', "{column}"' for column in stamps)})
        SELECT {columns}{", now()" * len(stamps)} FROM unnest({arrays}) AS row_values({columns})
    """  # noqa: S608 - only table and column names from the model are interpolated; values are parameters
    params = [_column(field, [row[name] for row in rows]) for name, field in zip(names, fields, strict=False)]
    params += [_column(model._meta.get_field(name), [value] * len(rows)) for name, value in defaults.items()]
    return sql, params


def _column(field, values: list[Any]) -> list[Any]:
    """JSON values go as JSON (a list would otherwise become a nested array)."""
    if isinstance(field, JSONField):
        encode = json.JSONEncoder(ensure_ascii=False).encode if field.encoder is None else field.encoder().encode
        return [encode(value) for value in values]
    return values


def _array_cast(field) -> str:
    # JSON is sent as text (a string per value, encoded in C) and cast by the server.
    return "::text[]::jsonb[]" if isinstance(field, JSONField) else f"::{field.db_type(connection)}[]"


def bulk_insert(model: type[Model], rows: Sequence[dict[str, Any]]) -> None:
    """Insert ``rows`` (dicts of field name to value, the same names in each) with one
    ``INSERT … SELECT FROM unnest(...)``: an array per column, no model instances and no
    parameter per value, which is what ``bulk_create`` spends its time on for large files.
    Values must be what the column stores (str, int, Decimal, date, aware datetime, bool,
    None, or a list or dict for JSON)."""
    if rows:
        sql, params = _unnest_insert(model, rows)
        with connection.cursor() as cursor:
            cursor.execute(sql, params)


def bulk_upsert(
    model: type[Model],
    rows: Sequence[dict[str, Any]],
    *,
    unique: Sequence[str],
    update: Sequence[str],
    unique_where: str = "",
) -> list[int]:
    """``bulk_insert``, where a row that already has the same ``unique`` values has its columns
    ``update`` (and updated_at) updated instead; the primary keys, in the order of ``rows``.
    ``unique_where`` is the predicate of the partial unique index the conflict is on."""
    if not rows:
        return []
    insert, params = _unnest_insert(model, rows)
    unique_fields = [model._meta.get_field(name) for name in unique]
    keys = ", ".join(f'"{field.column}"' for field in unique_fields)
    assignments = [f'"{column}" = EXCLUDED."{column}"' for column in (model._meta.get_field(n).column for n in update)]
    assignments += [
        f'"{field.column}" = now()' for field in model._meta.concrete_fields if getattr(field, "auto_now", False)
    ]
    sql = f"""{insert}
        ON CONFLICT ({keys}){f" WHERE {unique_where}" if unique_where else ""} DO UPDATE SET {", ".join(assignments)}
        RETURNING "{model._meta.pk.column}", {keys}
    """
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        id_of = {tuple(key): row_id for row_id, *key in cursor.fetchall()}
    return [id_of[tuple(row[name] for name in unique)] for row in rows]
