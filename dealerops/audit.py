"""Reading the audit trail that django-pghistory's triggers write for audited models.

Triggers capture every write, bulk ones included; the request middleware adds who made it.
"""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.contrib import admin
from django.db.models import Model
from django.template.loader import render_to_string
from django.utils.translation import gettext_lazy as _
from pghistory.models import MiddlewareEvents


@dataclass(frozen=True)
class AuditEntry:
    at: datetime
    action: str
    user: str
    changes: dict[str, tuple[Any, Any]]  # field -> (before, after)


def history_of(obj: Model, limit: int = 200) -> list[AuditEntry]:
    """The audited changes of one record, newest first: who, when, before and after."""
    events = MiddlewareEvents.objects.tracks(obj).select_related("user").order_by("-pgh_created_at")[:limit]
    entries = []
    for event in events:
        diff = event.pgh_diff or {}
        if event.pgh_label == "insert":
            changes = {field: (None, value) for field, value in (event.pgh_data or {}).items()}
        else:
            changes = {field: (pair[0], pair[1]) for field, pair in diff.items()}
        entries.append(
            AuditEntry(
                at=event.pgh_created_at,
                action=event.pgh_label,
                user=event.user.get_username() if event.user_id else _("system"),
                changes=changes,
            )
        )
    return entries


class AuditTrailAdminMixin(admin.ModelAdmin):
    """Shows a record's audit trail, read-only, at the foot of its admin page."""

    def get_readonly_fields(self, request, obj=None):
        return (*super().get_readonly_fields(request, obj), "audit_trail")

    @admin.display(description=_("Audit trail"))
    def audit_trail(self, obj: Model) -> str:
        if obj.pk is None:
            return "-"
        return render_to_string("includes/audit_trail.html", {"entries": history_of(obj)})
