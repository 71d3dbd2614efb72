from django.utils.translation import gettext_lazy as _

from channels.filtersets import CityMarketFilterSet
from channels.models import CityMarket
from channels.planning.forms import CityMarketForm
from channels.planning.selectors import city_market_figures
from channels.planning.services import city_market_save
from dealerops.access import can_write
from dealerops.audit import history_context
from dealerops.entry_views import EntryView, RecordEntryView
from dealerops.formats import format_count
from dealerops.scoped_views import ScopedDetailView, ScopedListView
from dealerops.tables import Column


class CityMarketListView(ScopedListView):
    """The market table: head office's whole, a regional manager's regions; head office adds
    a city here, or imports the table."""

    model = CityMarket
    filterset_class = CityMarketFilterSet
    template_name = "channels/city_market_list.html"
    title = _("City markets")
    create_url_name = "channels:market-create"
    create_label = _("Add a city market")
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

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        # Head office keeps the table: it may import it too (the data hub's city market kind).
        context["can_import"] = can_write(self.request.user, CityMarket)
        return context


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
        context["can_edit"] = can_write(self.request.user, CityMarket)
        context.update(history_context(self.request, self.object))
        return context


class CityMarketSaving:
    """The save of both market forms: one service call, which stores the capacity the inputs make."""

    model = CityMarket
    form_class = CityMarketForm

    def save(self, form) -> CityMarket:
        return city_market_save(market=getattr(self, "object", None), **form.values())

    def get_success_message(self, record: CityMarket) -> str:
        return _("The market of %(city)s in %(year)s is saved: a capacity of %(units)s new cars a year.") % {
            "city": record.city,
            "year": record.year,
            "units": format_count(record.capacity_units),
        }


class CityMarketCreateView(CityMarketSaving, EntryView):
    title = _("Add a city market")


class CityMarketEditView(CityMarketSaving, RecordEntryView):
    """Head office changes a city's figures; a regional manager reads them (403), and a city
    outside their regions is not found (404)."""

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "market": self.object}

    def get_context_data(self, **kwargs):
        title = _("Change the market of %(city)s in %(year)s") % {"city": self.object.city, "year": self.object.year}
        return {**super().get_context_data(**kwargs), "title": title}
