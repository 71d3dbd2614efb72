import django_filters
from django.utils.translation import gettext_lazy as _

from channels.models import Dealer
from customers.models import Customer, Inquiry, ServiceVisit
from dealerops.filters import OrderingFilter, ScopedModelChoiceFilter, SearchFilter, YesNoFilter


class CustomerFilterSet(django_filters.FilterSet):
    # Searching by phone matches whole digits only for roles that see whole numbers; the
    # page never prints more of the number than the role may see.
    q = SearchFilter(search_fields=["name", "city"])
    home_dealer = ScopedModelChoiceFilter(model=Dealer, label=_("Home dealer"))
    marketing_consent = YesNoFilter()
    ordering = OrderingFilter(
        fields=(("name", "name"), ("city", "city"), ("created_at", "created_at")),
        # Customers live near their dealers: a region's customers by city would walk the city
        # index through every other region's cities first (330,000 rows on the national network).
        not_for_regions=["city"],
    )

    class Meta:
        model = Customer
        fields = ["q", "home_dealer", "city", "marketing_consent"]


class ServiceVisitFilterSet(django_filters.FilterSet):
    dealer = ScopedModelChoiceFilter(model=Dealer, label=_("Dealer"))
    visited_after = django_filters.DateFilter(field_name="visited_on", lookup_expr="gte", label=_("Visited from"))
    visited_before = django_filters.DateFilter(field_name="visited_on", lookup_expr="lte", label=_("Visited to"))
    ordering = OrderingFilter(fields=(("visited_on", "visited_on"), ("amount", "amount")))

    class Meta:
        model = ServiceVisit
        fields = ["dealer", "kind", "satisfaction", "visited_after", "visited_before"]


class InquiryFilterSet(django_filters.FilterSet):
    q = SearchFilter(search_fields=["text"])
    dealer = ScopedModelChoiceFilter(model=Dealer, label=_("Dealer"))
    ordering = OrderingFilter(fields=(("opened_at", "opened_at"),), field_labels={"opened_at": _("Opened at")})

    class Meta:
        model = Inquiry
        fields = ["q", "dealer", "kind", "category", "status"]
