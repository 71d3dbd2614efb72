"""Reading the audit trail that django-pghistory's triggers write for audited models.

Triggers capture every write, bulk ones included; the request middleware adds who made it,
the data hub's imports add ``import_batch`` and nightly jobs ``job``/``job_run`` to the same
context. One reader (``audit_entries``) turns event rows into ``AuditEntry`` objects for a
record's page (``history_of``) and for head office's changes page (``changes_page``).
"""

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.apps import apps
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AnonymousUser
from django.db.models import CharField, DecimalField, F, ForeignKey, Max, Model, OuterRef, QuerySet, Subquery, Value
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from dealerops.access import RULES, can_see_phone, can_view, role_of, scope
from dealerops.exports import yes_no
from dealerops.privacy import mask_phone
from dealerops.validation import day_start

# How many entries a record's page shows before its "show all" link.
HISTORY_PAGE = 50


@dataclass(frozen=True)
class Audited:
    """An audited model: its pghistory event model and where a history entry links to."""

    label: str  # the tracked model, e.g. "inventory.Sale"
    event_label: str
    # (URL name, event attribute holding the pk) of the page that shows the record's history.
    page: tuple[str, str] | None
    phone_fields: frozenset[str] = frozenset()

    @property
    def model(self) -> type[Model]:
        return apps.get_model(self.label)

    @property
    def event_model(self) -> type[Model]:
        return apps.get_model(self.event_label)

    @property
    def dealer_column(self) -> str | None:
        """The event row's dealer column, from the model's access rule (``dealer`` -> ``dealer_id``)."""
        lookup = RULES[self.label].dealer
        return f"{lookup}_id" if lookup else None


AUDITED: dict[str, Audited] = {
    audited.label: audited
    for audited in (
        Audited("inventory.Sale", "inventory.SaleEvent", ("inventory:sale-detail", "pgh_obj_id")),
        Audited("inventory.StockUnit", "inventory.StockUnitEvent", ("inventory:stock-detail", "pgh_obj_id")),
        Audited("finance.Loan", "finance.LoanEvent", ("finance:loan-detail", "pgh_obj_id")),
        Audited(
            "customers.Customer",
            "customers.CustomerEvent",
            ("customers:customer-detail", "pgh_obj_id"),
            phone_fields=frozenset({"phone"}),
        ),
        # A service visit has no page of its own: its customer's page lists its history.
        Audited("customers.ServiceVisit", "customers.ServiceVisitEvent", ("customers:customer-detail", "customer_id")),
        Audited(
            "channels.Lead",
            "channels.LeadEvent",
            ("channels:lead-detail", "pgh_obj_id"),
            phone_fields=frozenset({"customer_phone"}),
        ),
        Audited(
            "inventory.VehicleModel",
            "inventory.VehicleModelPriceEvent",
            ("inventory:vehicle-model-detail", "pgh_obj_id"),
        ),
        Audited("channels.CityMarket", "channels.CityMarketEvent", ("channels:market-detail", "pgh_obj_id")),
    )
}

ACTIONS = {"insert": _("Created"), "update": _("Changed"), "delete": _("Deleted")}


@dataclass(frozen=True)
class FieldChange:
    name: str
    label: str
    before: Any
    after: Any


@dataclass(frozen=True)
class AuditEntry:
    at: datetime
    action: str  # insert / update / delete
    user: str  # who: the user's name, else the job, else "system"
    fields: list[FieldChange] = field(default_factory=list)
    model_label: str = ""
    model_name: str = ""
    object_id: Any = None
    record_url: str | None = None
    source: str = ""  # "Import #12 (sales.xlsx)" or "Nightly job commission_post"
    source_url: str | None = None
    dealer_id: int | None = None
    event_id: int = 0

    @property
    def action_label(self) -> str:
        return str(ACTIONS.get(self.action, self.action))

    @property
    def changes(self) -> dict[str, tuple[Any, Any]]:
        """Field name -> (before, after), as shown."""
        return {change.name: (change.before, change.after) for change in self.fields}


def shown_fields(audited: Audited) -> list:
    """The event's copies of the record's fields, less the pk and automatic timestamps."""
    model = audited.model
    shown = []
    for event_field in audited.event_model._meta.concrete_fields:
        if event_field.name.startswith("pgh_") or event_field.name == "id":
            continue
        tracked = model._meta.get_field(event_field.name)
        if getattr(tracked, "auto_now", False) or getattr(tracked, "auto_now_add", False):
            continue
        shown.append(tracked)
    return shown


class _Formatter:
    """Turns stored values into what a reader sees: choice labels, money to the fen, masked
    phones, related records by name (only those the viewer may see; others by number)."""

    def __init__(self, viewer, audited: Audited, events: Sequence[Model], prev: dict[int, Model]) -> None:
        self.viewer = viewer
        self.show_phone = viewer is not None and can_see_phone(viewer)
        self.audited = audited
        # The fields and their labels, translated once for all the events, not once a change.
        self.shown = [(tracked, str(tracked.verbose_name)) for tracked in shown_fields(audited)]
        self.related: dict[str, dict[Any, str]] = {}
        for tracked, _label in self.shown:
            if not isinstance(tracked, ForeignKey):
                continue
            ids = {getattr(row, tracked.attname) for row in (*events, *prev.values())} - {None}
            related = tracked.related_model
            if not ids:
                continue
            rows = related._default_manager.all()
            if viewer is not None and related._meta.label in RULES:
                rows = scope(viewer, rows)
            self.related[tracked.name] = {pk: str(obj) for pk, obj in rows.in_bulk(ids).items()}

    def __call__(self, tracked, value: Any) -> Any:
        if value is None:
            return None
        if tracked.name in self.audited.phone_fields and not self.show_phone:
            return mask_phone(str(value))
        if isinstance(tracked, ForeignKey):
            return self.related.get(tracked.name, {}).get(value, f"#{value}")
        if tracked.choices:
            return str(dict(tracked.flatchoices).get(value, value))
        if isinstance(tracked, DecimalField) and isinstance(value, Decimal | int | float):
            return Decimal(str(value)).quantize(Decimal(1).scaleb(-tracked.decimal_places))
        if isinstance(value, bool):
            return yes_no(value)
        if isinstance(value, datetime):
            return timezone.localtime(value).strftime("%Y-%m-%d %H:%M:%S") if timezone.is_aware(value) else value
        return value


def _field_changes(audited: Audited, event: Model, prev: Model | None, fmt: _Formatter) -> list[FieldChange]:
    changes = []
    for tracked, label in fmt.shown:
        attname = tracked.attname
        after = getattr(event, attname)
        if event.pgh_label == "delete":
            before, after = after, None  # a delete event holds the values the record had
        elif event.pgh_label == "insert" or prev is None:
            before = None
        else:
            before = getattr(prev, attname)
            if before == after:
                continue
        if before is None and after is None:
            continue
        changes.append(FieldChange(tracked.name, label, fmt(tracked, before), fmt(tracked, after)))
    return changes


def _record_url(audited: Audited, event: Model) -> str | None:
    if audited.page is None or event.pgh_label == "delete":
        return None
    url_name, attribute = audited.page
    pk = getattr(event, attribute)
    if pk is None:
        return None
    try:
        return reverse(url_name, args=[pk])
    except NoReverseMatch:
        return None


def _import_url(batch_id: int) -> str | None:
    # The import page comes with the data hub's pages; until it exists the entry only names it.
    try:
        return reverse("datahub:import-detail", args=[batch_id])
    except NoReverseMatch:
        return None


def audit_entries(viewer, rows: Iterable[tuple[str, int]]) -> list[AuditEntry]:
    """Entries for (model label, event id) pairs, in the order given.

    Per audited model on the list: one query for its events with each one's previous event
    id, one for those previous events, one per related model named; then one for the users
    and one for the imports. Nothing is read per row.
    """
    rows = list(rows)
    wanted: dict[str, list[int]] = defaultdict(list)
    for label, event_id in rows:
        wanted[label].append(event_id)

    built: dict[tuple[str, int], tuple[Audited, Model, Model | None, _Formatter]] = {}
    for label, ids in wanted.items():
        audited = AUDITED[label]
        event_model = audited.event_model
        # The previous event of the same record (any label): an update's "before". The
        # greatest of the record's earlier ids, through the record's index: "+ 0" keeps the
        # planner from walking the primary key backwards past every other record's events to
        # find it (18 ms an event on 40,000 sales).
        previous = (
            event_model.objects.filter(pgh_obj_id=OuterRef("pgh_obj_id"), pgh_id__lt=OuterRef("pgh_id"))
            .order_by()
            .values("pgh_obj_id")
            .annotate(previous_id=Max(F("pgh_id") + 0))
            .values("previous_id")
        )
        events = list(
            event_model.objects.filter(pgh_id__in=ids)
            .select_related("pgh_context")
            .annotate(prev_id=Subquery(previous))
        )
        prev = event_model.objects.in_bulk({event.prev_id for event in events} - {None})
        fmt = _Formatter(viewer, audited, events, prev)
        for event in events:
            built[(label, event.pgh_id)] = (audited, event, prev.get(event.prev_id), fmt)

    metadata = {key: (item[1].pgh_context.metadata if item[1].pgh_context_id else {}) for key, item in built.items()}
    user_ids = {meta.get("user") for meta in metadata.values()} - {None}
    users = {user.pk: user.get_username() for user in get_user_model().objects.filter(pk__in=user_ids)}
    batch_ids = {meta.get("import_batch") for meta in metadata.values()} - {None}
    batches = {}
    if batch_ids:
        batch_model = apps.get_model("datahub", "ImportBatch")
        batches = dict(batch_model.objects.filter(pk__in=batch_ids).values_list("pk", "file_name"))

    entries = []
    for key in rows:
        if key not in built:
            continue
        audited, event, prev, fmt = built[key]
        meta = metadata[key]
        source, source_url = "", None
        if meta.get("import_batch") is not None:
            batch_id = meta["import_batch"]
            source = gettext("Import #%(number)s (%(file)s)") % {
                "number": batch_id,
                "file": batches.get(batch_id, "?"),
            }
            source_url = _import_url(batch_id)
        elif meta.get("job"):
            source = gettext("Nightly job %(job)s") % {"job": meta["job"]}
        user = users.get(meta.get("user")) if meta.get("user") is not None else None
        dealer_column = audited.dealer_column
        entries.append(
            AuditEntry(
                at=event.pgh_created_at,
                action=event.pgh_label,
                user=user or source or gettext("system"),
                fields=_field_changes(audited, event, prev, fmt),
                model_label=audited.label,
                model_name=str(audited.model._meta.verbose_name),
                object_id=event.pgh_obj_id,
                record_url=_record_url(audited, event),
                source=source,
                source_url=source_url,
                dealer_id=getattr(event, dealer_column) if dealer_column else None,
                event_id=event.pgh_id,
            )
        )
    return entries


def history_of(obj: Model, *, viewer=None, limit: int | None = 200) -> list[AuditEntry]:
    """The audited changes of one record, newest first: who, when, before and after.

    ``viewer`` decides what may be shown whole (phones, related records); without one (admin,
    shell) phones are masked and related records named as they are.
    """
    audited = AUDITED[type(obj)._meta.label]
    return events_history(viewer, audited.label, audited.event_model.objects.filter(pgh_obj_id=obj.pk), limit=limit)


def events_history(viewer, label: str, events: QuerySet, *, limit: int | None = 200) -> list[AuditEntry]:
    """Entries for some events of one audited model (e.g. a customer's service visits), newest first."""
    # Events of one transaction share its timestamp; the event id orders them.
    events = events.order_by("-pgh_created_at", "-pgh_id")
    if limit is not None:
        events = events[:limit]
    return audit_entries(viewer, ((label, pk) for pk in events.values_list("pgh_id", flat=True)))


def history_context(request: HttpRequest, obj: Model) -> dict:
    """A record page's history: the latest ``HISTORY_PAGE`` entries, all of them with ``?history=all``."""
    show_all = request.GET.get("history") == "all"
    entries = history_of(obj, viewer=request.user, limit=None if show_all else HISTORY_PAGE + 1)
    more = not show_all and len(entries) > HISTORY_PAGE
    return {"history": entries[:HISTORY_PAGE] if more else entries, "history_more": more}


# Head office's changes page ------------------------------------------------------------


@dataclass(frozen=True)
class ChangeFilters:
    user_id: int | None = None
    dealer_id: int | None = None
    models: Sequence[str] = ()
    date_from: date | None = None  # local (Asia/Shanghai) calendar days, inclusive
    date_to: date | None = None
    import_batch: int | None = None


def filtered_events(viewer, filters: ChangeFilters) -> list[tuple[Audited, QuerySet]]:
    """Each audited model's events that match, read through ``access.scope``: the filters in
    each one's own WHERE clause (dealer column, time range, the context's user and import)."""
    parts = []
    for label, audited in AUDITED.items():
        if filters.models and label not in filters.models:
            continue
        events = scope(viewer, audited.event_model)
        if filters.dealer_id is not None:
            if audited.dealer_column is None:
                continue  # network-wide tables (vehicle prices, city markets) belong to no dealer
            events = events.filter(**{audited.dealer_column: filters.dealer_id})
        if filters.date_from is not None:
            events = events.filter(pgh_created_at__gte=day_start(filters.date_from))
        if filters.date_to is not None:
            events = events.filter(pgh_created_at__lt=day_start(filters.date_to + timedelta(days=1)))
        if filters.user_id is not None:
            events = events.filter(pgh_context__metadata__user=filters.user_id)
        if filters.import_batch is not None:
            events = events.filter(pgh_context__metadata__import_batch=filters.import_batch)
        parts.append((audited, events.order_by()))
    return parts


def change_events(viewer, filters: ChangeFilters) -> QuerySet:
    """(model label, event id, created at) of every audited change that matches, newest first:
    one UNION ALL of ``filtered_events``."""
    parts = [
        events.annotate(model_label=Value(audited.label, output_field=CharField())).values_list(
            "model_label", "pgh_id", "pgh_created_at"
        )
        for audited, events in filtered_events(viewer, filters)
    ]
    if not parts:
        return apps.get_model(next(iter(AUDITED.values())).event_label).objects.none().values_list("pgh_id")
    first, *rest = parts
    union = first.union(*rest, all=True) if rest else first
    return union.order_by("-pgh_created_at", "-pgh_id", "model_label")


def may_see_all_changes(user: Any | AnonymousUser) -> bool:
    """The changes page is head office's: every event model's rule must let the role in."""
    return role_of(user) is not None and all(can_view(user, audited.event_model) for audited in AUDITED.values())


class AuditTrailAdminMixin(admin.ModelAdmin):
    """Shows a record's audit trail, read-only, at the foot of its admin page."""

    def get_readonly_fields(self, request, obj=None):
        return (*super().get_readonly_fields(request, obj), "audit_trail")

    @admin.display(description=_("Audit trail"))
    def audit_trail(self, obj: Model) -> str:
        if obj.pk is None:
            return "-"
        return render_to_string("includes/audit_trail.html", {"entries": history_of(obj)})
