import django_filters
from django.utils.translation import gettext_lazy as _

from channels.models import Dealer, Region
from channels.routing.models import LeadPage
from dealerops.filters import ScopedModelChoiceFilter, SearchFilter, YesNoFilter


class LeadPageFilterSet(django_filters.FilterSet):
    q = SearchFilter(search_fields=["name", "code"])
    region = ScopedModelChoiceFilter(model=Region, label=_("Region"))
    dealer = ScopedModelChoiceFilter(model=Dealer, label=_("Dealer"))
    campaign = YesNoFilter(label=_("Campaign"), method="filter_campaign")
    active = YesNoFilter(label=_("Switched on"))

    class Meta:
        model = LeadPage
        fields = ["q", "region", "dealer", "campaign", "active"]

    def filter_campaign(self, queryset, name, value):
        return queryset if value is None else queryset.filter(dealer__isnull=value)
