"""One FilterSet per list, shared by its page and its API endpoint."""

import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from channels.inspections.models import ChecklistKind, ChecklistTemplate, FollowUp, FollowUpStatus, Inspection
from channels.inspections.selectors import InspectionState, state_condition
from channels.models import Dealer, Region
from dealerops.entry_forms import DATE_INPUT
from dealerops.filters import OrderingFilter, ScopedModelChoiceFilter, YesNoFilter
from dealerops.validation import today

STATE_CHOICES = [
    (InspectionState.SCHEDULED, _("Scheduled, not yet due")),
    (InspectionState.OVERDUE, _("Overdue")),
    (InspectionState.SUBMITTED, _("Follow-ups open")),
    (InspectionState.CLOSED, _("Closed")),
]


class InspectionFilterSet(django_filters.FilterSet):
    state = django_filters.ChoiceFilter(label=_("State"), choices=STATE_CHOICES, method="filter_state")
    region = ScopedModelChoiceFilter(model=Region, field_name="dealer__region", label=_("Region"))
    dealer = ScopedModelChoiceFilter(model=Dealer, label=_("Dealer"))
    kind = django_filters.ChoiceFilter(field_name="template__kind", choices=ChecklistKind.choices, label=_("Checklist"))
    due_after = django_filters.DateFilter(
        field_name="due_on", lookup_expr="gte", label=_("Due from"), widget=DATE_INPUT
    )
    due_before = django_filters.DateFilter(field_name="due_on", lookup_expr="lte", label=_("Due to"), widget=DATE_INPUT)
    ordering = OrderingFilter(
        fields=(("due_on", "due_on"), ("submitted_at", "submitted_at"), ("score", "score")),
        field_labels={"due_on": _("Due on"), "submitted_at": _("Submitted at"), "score": _("Score")},
    )

    class Meta:
        model = Inspection
        fields = ["state", "region", "dealer", "kind", "due_after", "due_before"]

    def filter_state(self, queryset, name, value):
        return queryset.filter(state_condition(value)) if value else queryset


class FollowUpFilterSet(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=FollowUpStatus.choices, label=_("Status"))
    overdue = YesNoFilter(label=_("Overdue"), method="filter_overdue")
    region = ScopedModelChoiceFilter(model=Region, field_name="dealer__region", label=_("Region"))
    dealer = ScopedModelChoiceFilter(model=Dealer, label=_("Dealer"))
    ordering = OrderingFilter(fields=(("deadline", "deadline"),), field_labels={"deadline": _("Deadline")})

    class Meta:
        model = FollowUp
        fields = ["status", "overdue", "region", "dealer"]

    def filter_overdue(self, queryset, name, value):
        if value is None:
            return queryset
        overdue = Q(status=FollowUpStatus.OPEN, deadline__lt=today())
        return queryset.filter(overdue if value else ~overdue)


class ChecklistTemplateFilterSet(django_filters.FilterSet):
    kind = django_filters.ChoiceFilter(choices=ChecklistKind.choices, label=_("Checklist"))

    class Meta:
        model = ChecklistTemplate
        fields = ["kind"]
