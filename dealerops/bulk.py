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

from collections.abc import Iterator
from contextlib import contextmanager

from django.db import connection

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
