"""Audit events for bulk writes, written set-based instead of by a trigger per row.

django-pghistory's row triggers cost a PL/pgSQL call, a context upsert and an insert for
every row; for an import of 100,000 sales that is most of the time it takes. Inside
``history_in_bulk`` those triggers step aside (pgtrigger's ignore, for this transaction only)
and the caller records the same events with one ``INSERT … SELECT`` per table and kind: the
same event rows, columns and context a trigger would have written, read back from the rows
just written. Only the rows the caller names get events, so the caller names every row it
created or changed.
"""

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Literal

import pghistory
import pgtrigger
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection
from django.db.models import Model

Label = Literal["insert", "update"]
TRIGGERS: dict[Label, str] = {"insert": "insert_insert", "update": "update_update"}

UPSERT_CONTEXT = """
INSERT INTO pghistory_context (id, metadata, created_at, updated_at) VALUES (%s, %s, now(), now())
ON CONFLICT (id) DO UPDATE SET metadata = EXCLUDED.metadata, updated_at = EXCLUDED.updated_at
"""


@dataclass(frozen=True)
class BulkHistory:
    context: pghistory.runtime.Context

    def record(self, model: type[Model], label: Label, ids: Sequence[int]) -> None:
        """Write ``label`` events for the rows ``ids`` of ``model`` as they are now. (A join
        with the ids, not ``= ANY``: the rows are new to the planner, whose statistics would
        pick a sequential scan testing every id against every row.)"""
        if not ids:
            return
        event_model = model.pgh_event_models[label]
        tracked = [field.column for field in event_model._meta.concrete_fields if not field.column.startswith("pgh_")]
        columns = ", ".join(f'"{column}"' for column in tracked)
        with connection.cursor() as cursor:
            cursor.execute(
                UPSERT_CONTEXT,
                [str(self.context.id), DjangoJSONEncoder().encode(self.context.metadata)],
            )
            cursor.execute(
                f"""
                INSERT INTO "{event_model._meta.db_table}"
                  (pgh_created_at, pgh_label, pgh_obj_id, pgh_context_id, {columns})
                SELECT now(), %s, "{model._meta.pk.column}", %s, {columns}
                FROM "{model._meta.db_table}"
                JOIN unnest(%s::bigint[]) AS written(pk) ON written.pk = "{model._meta.pk.column}"
                ORDER BY "{model._meta.pk.column}"
                """,  # noqa: S608 - only table and column names from the models are interpolated
                [label, str(self.context.id), list(ids)],
            )


@contextmanager
def history_in_bulk(*models: type[Model], **metadata) -> Iterator[BulkHistory]:
    """Suspend the insert and update history triggers of ``models`` and give a recorder
    for their events, within a pghistory context holding ``metadata``."""
    uris = [f"{model._meta.label}:{trigger}" for model in models for trigger in TRIGGERS.values()]
    with pghistory.context(**metadata) as context, pgtrigger.ignore(*uris):
        yield BulkHistory(context)
