"""Reading the audit trail that django-pghistory's triggers write for audited models.

Triggers capture every write, bulk ones included; the request middleware adds who made it.
"""

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.contrib import admin
from django.core.exceptions import FieldDoesNotExist
from django.db.models import DecimalField, Model
from django.template.loader import render_to_string
from django.utils.translation import gettext_lazy as _
from pghistory.models import MiddlewareEvents


@dataclass(frozen=True)
class AuditEntry:
    at: datetime
    action: str
    user: str
    changes: dict[str, tuple[Any, Any]]  # field -> (before, after)


def _display(model: type[Model], field_name: str, value: Any) -> Any:
    """JSON turns numeric columns into floats: show money and rates with their decimal places again."""
    try:
        field = model._meta.get_field(field_name)
    except FieldDoesNotExist:
        return value
    if isinstance(field, DecimalField) and isinstance(value, int | float):
        return Decimal(str(value)).quantize(Decimal(1).scaleb(-field.decimal_places))
    return value


def history_of(obj: Model, limit: int = 200) -> list[AuditEntry]:
    """The audited changes of one record, newest first: who, when, before and after."""
    # Events of one transaction share its timestamp; the event id orders them.
    events = MiddlewareEvents.objects.tracks(obj).select_related("user").order_by("-pgh_created_at", "-pgh_id")[:limit]
    model = type(obj)
    entries = []
    for event in events:
        if event.pgh_label == "insert":
            pairs = {field: (None, value) for field, value in (event.pgh_data or {}).items()}
        else:
            pairs = {field: (pair[0], pair[1]) for field, pair in (event.pgh_diff or {}).items()}
        changes = {
            field: (_display(model, field, before), _display(model, field, after))
            for field, (before, after) in pairs.items()
        }
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
