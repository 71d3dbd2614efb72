from drf_spectacular.utils import extend_schema
from rest_framework.decorators import action
from rest_framework.response import Response

from dealerops.api import ScopedCreateMixin, ScopedViewSet
from inventory.alerts import stock_alert_acknowledge, stock_alert_resolve
from inventory.filtersets import (
    ForecastFilterSet,
    SaleFilterSet,
    StockAlertFilterSet,
    StockUnitFilterSet,
    VehicleModelFilterSet,
)
from inventory.models import Forecast, Sale, StockAlert, StockAlertRule, StockUnit, VehicleModel
from inventory.serializers import (
    ForecastSerializer,
    SaleEntrySerializer,
    SaleSerializer,
    StockAlertRuleSerializer,
    StockAlertRuleWriteSerializer,
    StockAlertSerializer,
    StockArrivalSerializer,
    StockUnitSerializer,
    VehicleModelSerializer,
)


class VehicleModelViewSet(ScopedViewSet):
    model = VehicleModel
    serializer_class = VehicleModelSerializer
    filterset_class = VehicleModelFilterSet


class StockUnitViewSet(ScopedCreateMixin, ScopedViewSet):
    """Stock units; POST records an arrival (an ordered unit arrives, or a new VIN enters stock)."""

    model = StockUnit
    serializer_class = StockUnitSerializer
    write_serializer_class = StockArrivalSerializer
    filterset_class = StockUnitFilterSet

    def base_queryset(self):
        return StockUnit.objects.select_related("model", "dealer")


class SaleViewSet(ScopedCreateMixin, ScopedViewSet):
    """Sales; POST records a sale of a unit in stock, with its loan for a loan sale."""

    model = Sale
    serializer_class = SaleSerializer
    write_serializer_class = SaleEntrySerializer
    filterset_class = SaleFilterSet

    def base_queryset(self):
        return Sale.objects.select_related("stock_unit", "customer", "dealer")


class ForecastViewSet(ScopedViewSet):
    """Weekly forecasts, read-only; ``?week=`` (the forecast week's Monday) picks one run."""

    model = Forecast
    serializer_class = ForecastSerializer
    filterset_class = ForecastFilterSet

    def base_queryset(self):
        return Forecast.objects.select_related("run").order_by("-run__week", "dealer_id", "model_id", "target_week")


class StockAlertRuleViewSet(ScopedCreateMixin, ScopedViewSet):
    """Head office's alert rules; POST adds one (a bad field answers 400 naming it)."""

    model = StockAlertRule
    serializer_class = StockAlertRuleSerializer
    write_serializer_class = StockAlertRuleWriteSerializer


class StockAlertViewSet(ScopedViewSet):
    """Stock alerts of the user's scope, filtered as on the page (``?status=open&kind=aged_units``);
    POST ``acknowledge/`` (open → acknowledged) or ``resolve/``; a wrong step answers 400 naming ``status``."""

    model = StockAlert
    serializer_class = StockAlertSerializer
    filterset_class = StockAlertFilterSet

    def base_queryset(self):
        return StockAlert.objects.select_related("rule")

    def shown(self, alert: StockAlert) -> dict:
        return StockAlertSerializer(self.get_queryset().get(pk=alert.pk), context=self.get_serializer_context()).data

    @extend_schema(request=None, responses=StockAlertSerializer)
    @action(detail=True, methods=["post"], filterset_class=None)
    def acknowledge(self, request, pk=None):
        return Response(self.shown(stock_alert_acknowledge(alert_id=self.get_object().pk, user=request.user)))

    @extend_schema(request=None, responses=StockAlertSerializer)
    @action(detail=True, methods=["post"], filterset_class=None)
    def resolve(self, request, pk=None):
        return Response(self.shown(stock_alert_resolve(alert_id=self.get_object().pk, user=request.user)))
