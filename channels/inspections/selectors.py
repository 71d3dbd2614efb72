"""Reads of the field inspections, always through the user's scope."""

from dataclasses import dataclass

from django.db.models import BooleanField, Case, Count, Q, QuerySet, Value, When

from channels.inspections.models import (
    ChecklistItem,
    FollowUp,
    FollowUpStatus,
    Inspection,
    InspectionResult,
    InspectionStatus,
)
from channels.models import Dealer
from dealerops.access import can_view, scope
from dealerops.models import User
from dealerops.validation import today


class InspectionState:
    """The states the lists are cut by: ``overdue`` is a scheduled inspection past its due date."""

    SCHEDULED = "scheduled"
    OVERDUE = "overdue"
    SUBMITTED = "submitted"
    CLOSED = "closed"


def state_condition(state: str) -> Q:
    """The rows of an inspection state, on Inspection."""
    on = today()
    return {
        InspectionState.SCHEDULED: Q(status=InspectionStatus.SCHEDULED, due_on__gte=on),
        InspectionState.OVERDUE: Q(status=InspectionStatus.SCHEDULED, due_on__lt=on),
        InspectionState.SUBMITTED: Q(status=InspectionStatus.SUBMITTED),
        InspectionState.CLOSED: Q(status=InspectionStatus.CLOSED),
    }[state]


def inspection_rows() -> QuerySet[Inspection]:
    """Inspections with what the lists show: dealer, checklist, overdue flag (scope them)."""
    return Inspection.objects.select_related("dealer", "template").annotate(
        is_overdue=Case(
            When(state_condition(InspectionState.OVERDUE), then=Value(True)),
            default=Value(False),
            output_field=BooleanField(),
        )
    )


def inspections(user: User) -> QuerySet[Inspection]:
    return scope(user, inspection_rows())


def follow_up_rows() -> QuerySet[FollowUp]:
    """Follow-ups with their item, dealer and overdue flag (open past the deadline); scope them."""
    return FollowUp.objects.select_related("dealer", "result__item", "inspection__template").annotate(
        is_overdue=Case(
            When(status=FollowUpStatus.OPEN, deadline__lt=today(), then=Value(True)),
            default=Value(False),
            output_field=BooleanField(),
        )
    )


def follow_ups(user: User) -> QuerySet[FollowUp]:
    return scope(user, follow_up_rows())


@dataclass(frozen=True)
class ItemRow:
    """One checklist item of an inspection with what was found and its follow-up."""

    item: ChecklistItem
    result: InspectionResult | None
    follow_up: FollowUp | None


def inspection_items(user: User, inspection: Inspection) -> list[ItemRow]:
    """The inspection's checklist in order, each item with its result and follow-up (if any)."""
    results = {
        result.item_id: result
        for result in scope(user, InspectionResult).filter(inspection=inspection).select_related("photo")
    }
    follow_up_of = {follow_up.result_id: follow_up for follow_up in follow_ups(user).filter(inspection=inspection)}
    rows = []
    for item in inspection.template.items.order_by("position"):
        result = results.get(item.pk)
        rows.append(ItemRow(item, result, follow_up_of.get(result.pk) if result is not None else None))
    return rows


@dataclass(frozen=True)
class DealerInspections:
    """What the dealer page shows of a dealer's inspections."""

    latest: Inspection | None  # the newest submitted one
    history: list[Inspection]  # the newest first, scheduled ones included
    open_follow_ups: int
    overdue_follow_ups: int


def dealer_inspections(user: User, dealer: Dealer, *, limit: int = 10) -> DealerInspections | None:
    """The dealer's latest score and inspection history, or None for a role that sees no inspections."""
    if not can_view(user, Inspection):
        return None
    rows = inspections(user).filter(dealer=dealer)
    history = list(rows.order_by("-due_on", "-id")[:limit])
    latest = rows.filter(submitted_at__isnull=False).order_by("-submitted_at", "-id").first()
    counts = (
        follow_ups(user)
        .filter(dealer=dealer)
        .aggregate(
            open=Count("id", filter=~Q(status=FollowUpStatus.ACCEPTED)),
            overdue=Count("id", filter=Q(status=FollowUpStatus.OPEN, deadline__lt=today())),
        )
    )
    return DealerInspections(latest, history, counts["open"], counts["overdue"])
