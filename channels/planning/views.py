from django.utils.translation import gettext_lazy as _

from channels.filtersets import CityMarketFilterSet
from channels.models import CityMarket
from channels.planning.selectors import city_market_figures
from dealerops.scoped_views import ScopedDetailView, ScopedListView
from dealerops.tables import Column


class CityMarketListView(ScopedListView):
    """The market table: head office's whole, a regional manager's regions."""

    model = CityMarket
    filterset_class = CityMarketFilterSet
    title = _("City markets")
    columns = [
        Column(_("City"), "city", order="city", link=True),
        Column(_("Province"), "province", order="province"),
        Column(_("Region"), "region.name"),
        Column(_("Year"), "year"),
        Column(_("Population"), "population", kind="number", order="population"),
        Column(_("Households"), "households", kind="number"),
        Column(_("Disposable income per capita"), "disposable_income", kind="money", order="disposable_income"),
        Column(_("Vehicles per 1,000 people"), "vehicles_per_1000", kind="number", order="vehicles_per_1000"),
        Column(_("New-energy share"), "nev_share", kind="rate", order="nev_share"),
        Column(_("Market capacity"), "capacity_units", kind="number", order="capacity_units"),
        Column(_("New-energy capacity"), "nev_capacity_units", kind="number"),
    ]

    def base_queryset(self):
        return CityMarket.objects.select_related("region")


class CityMarketDetailView(ScopedDetailView):
    """A city's capacity with its formula and inputs, and our penetration."""

    model = CityMarket
    template_name = "channels/city_market_detail.html"
    context_object_name = "market"

    def base_queryset(self):
        return CityMarket.objects.select_related("region")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["figures"] = city_market_figures(self.object)
        return context
