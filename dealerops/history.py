"""What every audited model's pghistory event table needs beyond pghistory's defaults."""

from typing import Any

from django.db import models


def event_meta(prefix: str) -> dict[str, Any]:
    """An index on the event time: head office's changes page reads every event table newest
    first (and by date range), which is a merge of these index scans instead of a sort of all."""
    return {"indexes": [models.Index(fields=["pgh_created_at"], name=f"{prefix}_event_created_idx")]}
