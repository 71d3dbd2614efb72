import django_filters
from django.utils.translation import gettext_lazy as _

from channels.models import Dealer, DealerKind, HealthScore, Lead, Rating, Region
from dealerops.filters import ScopedModelChoiceFilter, SearchFilter


class RegionFilterSet(django_filters.FilterSet):
    q = SearchFilter(search_fields=["code", "name"])

    class Meta:
        model = Region
        fields = ["q"]


class DealerFilterSet(django_filters.FilterSet):
    q = SearchFilter(search_fields=["code", "name", "city", "province"])
    region = ScopedModelChoiceFilter(model=Region, label=_("Region"))
    ordering = django_filters.OrderingFilter(
        fields=(
            ("code", "code"),
            ("name", "name"),
            ("city", "city"),
            ("region__code", "region"),
            ("opened_on", "opened_on"),
            ("monthly_sales_target", "monthly_sales_target"),
        )
    )

    class Meta:
        model = Dealer
        fields = ["q", "region", "kind", "status", "province", "city"]


class LeadFilterSet(django_filters.FilterSet):
    q = SearchFilter(search_fields=["customer_city"])
    dealer = ScopedModelChoiceFilter(model=Dealer, label=_("Dealer"))
    created_after = django_filters.DateFilter(field_name="created_at", lookup_expr="date__gte", label=_("Created from"))
    created_before = django_filters.DateFilter(field_name="created_at", lookup_expr="date__lte", label=_("Created to"))
    ordering = django_filters.OrderingFilter(
        fields=(("created_at", "created_at"), ("first_contact_at", "first_contact_at"))
    )

    class Meta:
        model = Lead
        fields = ["q", "dealer", "source", "outcome", "created_after", "created_before"]


class HealthScoreFilterSet(django_filters.FilterSet):
    month = django_filters.DateFilter(
        field_name="month", input_formats=["%Y-%m"], label=_("Month"), help_text=_("YYYY-MM, e.g. 2026-10")
    )
    region = ScopedModelChoiceFilter(model=Region, field_name="dealer__region", label=_("Region"))
    dealer = ScopedModelChoiceFilter(model=Dealer, label=_("Dealer"))
    rating = django_filters.ChoiceFilter(choices=Rating.choices, label=_("Rating"))
    kind = django_filters.ChoiceFilter(field_name="dealer_kind", choices=DealerKind.choices, label=_("Peer group"))
    weights_version = django_filters.NumberFilter(field_name="weights__version", label=_("Weights version"))
    ordering = django_filters.OrderingFilter(
        fields=(("month", "month"), ("composite", "composite"), ("dealer__code", "dealer"))
    )

    class Meta:
        model = HealthScore
        fields = ["month", "region", "dealer", "rating", "kind", "probation", "weights_version"]
