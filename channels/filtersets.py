import django_filters
from django.utils.translation import gettext_lazy as _

from channels.models import Dealer, Lead, Region
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
