import django_filters
from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field

from channels.models import Dealer, Region
from dealerops.entry_forms import DATE_INPUT
from dealerops.filters import OrderingFilter, ScopedModelChoiceFilter, SearchFilter, StableOrderingFilter
from dealerops.tabular import month_parse
from finance.models import CommissionEntry, CommissionPeriod, CommissionPolicy, Lender, LenderStatement, Loan
from finance.selectors import awaiting_confirmation


class LenderFilterSet(django_filters.FilterSet):
    q = SearchFilter(search_fields=["code", "name"])

    class Meta:
        model = Lender
        fields = ["q", "kind"]


class LoanFilterSet(django_filters.FilterSet):
    q = SearchFilter(search_fields=["reference", "sale__stock_unit__vin"])
    dealer = ScopedModelChoiceFilter(model=Dealer, label=_("Dealer"))
    lender = ScopedModelChoiceFilter(model=Lender, label=_("Lender"))
    disbursed_after = django_filters.DateFilter(field_name="disbursed_on", lookup_expr="gte", label=_("Disbursed from"))
    disbursed_before = django_filters.DateFilter(field_name="disbursed_on", lookup_expr="lte", label=_("Disbursed to"))
    awaiting_confirmation = django_filters.BooleanFilter(
        method="filter_awaiting_confirmation", label=_("Awaiting confirmation"), widget=forms.CheckboxInput
    )
    ordering = OrderingFilter(
        fields=(
            ("applied_on", "applied_on"),
            ("disbursed_on", "disbursed_on"),
            ("principal", "principal"),
            ("annual_rate", "annual_rate"),
        ),
    )

    class Meta:
        model = Loan
        fields = [
            "q",
            "dealer",
            "lender",
            "status",
            "credit_grade",
            "term_months",
            "disbursed_after",
            "disbursed_before",
            "awaiting_confirmation",
        ]

    def filter_awaiting_confirmation(self, loans, name, value):
        return awaiting_confirmation(loans) if value else loans


class CommissionPolicyFilterSet(django_filters.FilterSet):
    lender = ScopedModelChoiceFilter(model=Lender, label=_("Lender"))
    in_force_on = django_filters.DateFilter(method="filter_in_force_on", label=_("In force on"))

    class Meta:
        model = CommissionPolicy
        fields = ["lender", "basis", "in_force_on"]

    def filter_in_force_on(self, queryset, name, value):
        return queryset.filter(effective_from__lte=value).filter(
            Q(effective_to__isnull=True) | Q(effective_to__gte=value)
        )


class CommissionPeriodFilterSet(django_filters.FilterSet):
    class Meta:
        model = CommissionPeriod
        fields = ["status"]


class CommissionEntryFilterSet(django_filters.FilterSet):
    q = SearchFilter(search_fields=["loan__reference", "note", "statement_reference"])
    period = ScopedModelChoiceFilter(model=CommissionPeriod, label=_("Period"))
    # A range of periods (the months' first days), as the reports' drill-down links pass it.
    month_from = django_filters.DateFilter(
        field_name="period__month", lookup_expr="gte", label=_("Periods from"), widget=DATE_INPUT
    )
    month_to = django_filters.DateFilter(
        field_name="period__month", lookup_expr="lte", label=_("Periods to"), widget=DATE_INPUT
    )
    region = ScopedModelChoiceFilter(model=Region, field_name="dealer__region", label=_("Region"))
    dealer = ScopedModelChoiceFilter(model=Dealer, label=_("Dealer"))
    lender = ScopedModelChoiceFilter(model=Lender, label=_("Lender"))
    loan = django_filters.NumberFilter(field_name="loan_id", widget=forms.HiddenInput)
    ordering = StableOrderingFilter(
        fields=(("event_on", "event_on"), ("amount", "amount"), ("id", "id")),
        field_labels={"event_on": _("Event date"), "id": _("Entry number")},
    )

    class Meta:
        model = CommissionEntry
        fields = ["q", "period", "month_from", "month_to", "region", "dealer", "lender", "kind", "reason", "loan"]


class MonthField(forms.CharField):
    """A month typed the way statements write it (2026-10, 202610, 2026年10月 or a date)."""

    def to_python(self, value):
        text = super().to_python(value)
        if not text:
            return None
        month = month_parse(text)
        if month is None:
            raise forms.ValidationError(_("Enter a month such as 2026-10."))
        return month


@extend_schema_field(OpenApiTypes.STR)
class MonthFilter(django_filters.Filter):
    field_class = MonthField


class LenderStatementFilterSet(django_filters.FilterSet):
    q = SearchFilter(search_fields=["reference", "file_name"])
    lender = ScopedModelChoiceFilter(model=Lender, label=_("Lender"))
    period = MonthFilter(
        method="filter_period", label=_("Period"), widget=forms.TextInput(attrs={"placeholder": "2026-10"})
    )
    ordering = OrderingFilter(fields=(("created_at", "uploaded"), ("first_month", "period"), ("total_amount", "total")))

    class Meta:
        model = LenderStatement
        fields = ["q", "lender", "period"]

    def filter_period(self, queryset, name, value):
        """Statements that cover the month."""
        return queryset.filter(first_month__lte=value, last_month__gte=value)
