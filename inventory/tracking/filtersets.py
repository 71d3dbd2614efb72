import django_filters
from django.utils.translation import gettext_lazy as _

from channels.models import Dealer
from dealerops.filters import OrderingFilter, ScopedModelChoiceFilter, SearchFilter
from inventory.models import Position, StockUnit, VehicleModel

EXCEPTIONS = [("late", _("Past its ETA")), ("silent", _("Tracker silent")), ("any", _("Late or silent"))]


class InTransitFilterSet(django_filters.FilterSet):
    q = SearchFilter(search_fields=["vin", "model__series", "dealer__name"])
    dealer = ScopedModelChoiceFilter(model=Dealer, label=_("Dealer"))
    model = ScopedModelChoiceFilter(model=VehicleModel, label=_("Model"))
    exception = django_filters.ChoiceFilter(choices=EXCEPTIONS, method="with_exception", label=_("Exceptions"))
    ordering = OrderingFilter(
        fields=(("eta", "eta"), ("vin", "vin")),
        field_labels={"eta": _("ETA"), "vin": _("VIN")},
    )

    class Meta:
        model = StockUnit
        fields = ["q", "dealer", "model", "exception"]

    def with_exception(self, queryset, name, value):
        if value == "any":
            return queryset.filter(late=True) | queryset.filter(silent=True)
        return queryset.filter(**{value: True})


class PositionFilterSet(django_filters.FilterSet):
    vin = django_filters.CharFilter(field_name="stock_unit__vin", label=_("VIN"))
    stock_unit = django_filters.NumberFilter(field_name="stock_unit_id", label=_("Stock unit"))
    since = django_filters.IsoDateTimeFilter(field_name="recorded_at", lookup_expr="gte", label=_("Since"))
    source = django_filters.ChoiceFilter(choices=Position._meta.get_field("source").choices, label=_("Source"))

    class Meta:
        model = Position
        fields = ["vin", "stock_unit", "since", "source"]
