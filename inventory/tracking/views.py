from django.conf import settings
from django.utils.html import json_script
from django.utils.translation import gettext_lazy as _

from dealerops.scoped_views import ScopedListView
from dealerops.tables import Column
from inventory.models import StockUnit
from inventory.tracking.charts import in_transit_map_figure
from inventory.tracking.filtersets import InTransitFilterSet
from inventory.tracking.selectors import in_transit_units

MODEL_NAME = ("model__brand", "model__series", "model__trim")
MAP_POINTS = 2_000  # the first of the filtered units, late and silent first: beyond, the map says so


class InTransitView(ScopedListView):
    """Units on their way, with their latest position on a map: late and silent ones first."""

    model = StockUnit
    filterset_class = InTransitFilterSet
    template_name = "inventory/in_transit.html"
    title = _("In transit")
    columns = [
        Column(_("VIN"), "vin", order="vin", link=True),
        Column(_("Model"), "model", export=MODEL_NAME),
        Column(_("Dealer"), "dealer.name"),
        Column(_("ETA"), "eta", order="eta", badge=("late", _("Late"))),
        Column(_("Last position"), "latest_position.recorded_at", badge=("silent", _("Silent"))),
        Column(_("Latitude"), "latest_position.latitude"),
        Column(_("Longitude"), "latest_position.longitude"),
        Column(_("Speed (km/h)"), "latest_position.speed_kmh"),
        Column(_("Note"), "latest_position.note"),
    ]
    page_hidden = ("latest_position.latitude", "latest_position.longitude")

    def base_queryset(self):
        return in_transit_units()

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        units = list(self.object_list[:MAP_POINTS])
        context["map_script"] = json_script(in_transit_map_figure(units), "in-transit-map-data") if units else None
        context["map_capped"] = len(units) == MAP_POINTS
        context["map_points"] = MAP_POINTS
        context["silent_hours"] = settings.TRACKER_SILENT_HOURS
        return context
