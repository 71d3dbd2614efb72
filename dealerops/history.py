"""What every audited model's pghistory event table needs beyond pghistory's defaults."""

from typing import Any

from django.db import models


def event_meta(prefix: str) -> dict[str, Any]:
    """Two indexes. The event time: head office's changes page reads every event table newest
    first (and by date range), a merge of these index scans instead of a sort of all. The
    record, then its events in order: a record page's history (newest first, a page of them)
    and an update's previous event are read from it, and on the national tables the planner
    would otherwise walk the time index backwards, past every other record's events."""
    return {
        "indexes": [
            models.Index(fields=["pgh_created_at"], name=f"{prefix}_event_created_idx"),
            models.Index(fields=["pgh_obj", "pgh_created_at", "pgh_id"], name=f"{prefix}_event_record_idx"),
        ]
    }
