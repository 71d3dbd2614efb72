import django_filters
from django.utils.translation import gettext_lazy as _

from channels.models import Dealer, Region
from datahub.models import DataIssue, DataQualityScore, QualityDimension, QualityRule
from dealerops.filters import OrderingFilter, ScopedModelChoiceFilter

DIMENSION_ORDERING = tuple((name, name) for name in QualityDimension.values)


class DataQualityScoreFilterSet(django_filters.FilterSet):
    month = django_filters.DateFilter(
        field_name="month", input_formats=["%Y-%m"], label=_("Month"), help_text=_("YYYY-MM, e.g. 2026-10")
    )
    region = ScopedModelChoiceFilter(model=Region, field_name="dealer__region", label=_("Region"))
    dealer = ScopedModelChoiceFilter(model=Dealer, label=_("Dealer"))
    ordering = OrderingFilter(
        fields=(("overall", "overall"), *DIMENSION_ORDERING, ("issues", "issues"), ("dealer__code", "dealer"))
    )

    class Meta:
        model = DataQualityScore
        fields = ["month", "region", "dealer"]


class DataIssueFilterSet(django_filters.FilterSet):
    """The issues of one dealer's month (the page picks the dealer and the month)."""

    dimension = django_filters.ChoiceFilter(choices=QualityDimension.choices, label=_("Dimension"))
    rule = django_filters.ChoiceFilter(choices=QualityRule.choices, label=_("Rule"))

    class Meta:
        model = DataIssue
        fields = ["dimension", "rule"]
