import django_filters
from django.utils.translation import gettext_lazy as _

from channels.models import Dealer, Region
from dealerops.filters import OrderingFilter, ScopedModelChoiceFilter, SearchFilter
from inventory.models import (
    AlertKind,
    AlertStatus,
    Forecast,
    Powertrain,
    Sale,
    StockAlert,
    StockAlertRule,
    StockUnit,
    VehicleModel,
)


class VehicleModelFilterSet(django_filters.FilterSet):
    q = SearchFilter(search_fields=["code", "brand", "series", "trim"])
    ordering = OrderingFilter(
        fields=(("code", "code"), ("msrp", "msrp"), ("launch_date", "launch_date")), field_labels={"msrp": _("MSRP")}
    )

    class Meta:
        model = VehicleModel
        fields = ["q", "brand", "powertrain"]


class StockUnitFilterSet(django_filters.FilterSet):
    q = SearchFilter(search_fields=["vin", "model__series", "model__trim", "colour"])
    dealer = ScopedModelChoiceFilter(model=Dealer, label=_("Dealer"))
    model = ScopedModelChoiceFilter(model=VehicleModel, label=_("Model"))
    powertrain = django_filters.ChoiceFilter(field_name="model__powertrain", choices=Powertrain.choices)
    # Typed, not chosen: colours are free text, and part of one ("白") finds 珍珠白 and 白色.
    colour = django_filters.CharFilter(lookup_expr="icontains", label=_("Colour"))
    arrived_after = django_filters.DateFilter(field_name="arrived_on", lookup_expr="gte", label=_("Arrived from"))
    arrived_before = django_filters.DateFilter(field_name="arrived_on", lookup_expr="lte", label=_("Arrived to"))
    ordering = OrderingFilter(
        fields=(("vin", "vin"), ("ordered_on", "ordered_on"), ("arrived_on", "arrived_on"), ("eta", "eta")),
        field_labels={"vin": _("VIN"), "eta": _("ETA")},
    )

    class Meta:
        model = StockUnit
        fields = ["q", "dealer", "status", "model", "powertrain", "colour", "arrived_after", "arrived_before"]


class SaleFilterSet(django_filters.FilterSet):
    q = SearchFilter(search_fields=["stock_unit__vin", "customer__name"])
    dealer = ScopedModelChoiceFilter(model=Dealer, label=_("Dealer"))
    model = ScopedModelChoiceFilter(model=VehicleModel, field_name="stock_unit__model", label=_("Model"))
    sold_after = django_filters.DateFilter(field_name="sold_on", lookup_expr="gte", label=_("Sold from"))
    sold_before = django_filters.DateFilter(field_name="sold_on", lookup_expr="lte", label=_("Sold to"))
    ordering = OrderingFilter(
        fields=(("sold_on", "sold_on"), ("transaction_price", "transaction_price")),
        field_labels={"transaction_price": _("Transaction price")},
    )

    class Meta:
        model = Sale
        fields = ["q", "dealer", "payment", "model", "sold_after", "sold_before"]


class ForecastPageFilterSet(django_filters.FilterSet):
    """The forecast page's choice: a dealer, a region, a model (any of them together)."""

    dealer = ScopedModelChoiceFilter(model=Dealer, label=_("Dealer"))
    region = ScopedModelChoiceFilter(model=Region, field_name="dealer__region", label=_("Region"))
    model = ScopedModelChoiceFilter(model=VehicleModel, label=_("Model"))

    class Meta:
        model = Forecast
        fields = ["dealer", "region", "model"]


class ForecastFilterSet(ForecastPageFilterSet):
    """The API's: the page's, and the forecast week and the target week (Mondays)."""

    week = django_filters.DateFilter(field_name="run__week", label=_("Forecast week"))
    target_week = django_filters.DateFilter(label=_("Target week"))

    class Meta:
        model = Forecast
        fields = ["dealer", "region", "model", "week", "target_week"]


class StockAlertFilterSet(django_filters.FilterSet):
    q = SearchFilter(search_fields=["dealer__name", "model__series", "model__trim", "rule__name"])
    dealer = ScopedModelChoiceFilter(model=Dealer, label=_("Dealer"))
    model = ScopedModelChoiceFilter(model=VehicleModel, label=_("Model"))
    status = django_filters.ChoiceFilter(choices=AlertStatus.choices, label=_("Status"))
    kind = django_filters.ChoiceFilter(field_name="rule__kind", choices=AlertKind.choices, label=_("Kind"))
    rule = ScopedModelChoiceFilter(model=StockAlertRule, label=_("Rule"))
    ordering = OrderingFilter(
        fields=(("opened_at", "opened_at"), ("metric_value", "metric_value")),
        field_labels={"opened_at": _("Opened at"), "metric_value": _("Figure")},
    )

    class Meta:
        model = StockAlert
        fields = ["q", "dealer", "status", "kind", "rule", "model"]


class StockAlertRuleFilterSet(django_filters.FilterSet):
    q = SearchFilter(search_fields=["name"])
    kind = django_filters.ChoiceFilter(choices=AlertKind.choices, label=_("Kind"))
    ordering = OrderingFilter(fields=(("name", "name"),), field_labels={"name": _("Name")})

    class Meta:
        model = StockAlertRule
        fields = ["q", "kind", "active"]
