from dealerops.api import ScopedCreateMixin, ScopedViewSet
from inventory.filtersets import ForecastFilterSet, SaleFilterSet, StockUnitFilterSet, VehicleModelFilterSet
from inventory.models import Forecast, Sale, StockUnit, VehicleModel
from inventory.serializers import (
    ForecastSerializer,
    SaleEntrySerializer,
    SaleSerializer,
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
