from django.contrib import admin

from dealerops.audit import AuditTrailAdminMixin
from inventory.models import FloorplanRate, Sale, StockAlert, StockAlertRule, StockUnit, VehicleModel


@admin.register(VehicleModel)
class VehicleModelAdmin(AuditTrailAdminMixin, admin.ModelAdmin):
    list_display = ["code", "brand", "series", "trim", "powertrain", "msrp", "guide_price_floor", "launch_date"]
    list_filter = ["brand", "powertrain"]
    search_fields = ["code", "brand", "series", "trim"]


@admin.register(StockUnit)
class StockUnitAdmin(AuditTrailAdminMixin, admin.ModelAdmin):
    list_display = ["vin", "model", "colour", "dealer", "status", "ordered_on", "arrived_on"]
    list_filter = ["status"]
    search_fields = ["vin", "colour"]
    raw_id_fields = ["model", "dealer"]
    list_select_related = ["model", "dealer"]


@admin.register(Sale)
class SaleAdmin(AuditTrailAdminMixin, admin.ModelAdmin):
    list_display = ["id", "stock_unit", "dealer", "sold_on", "transaction_price", "payment"]
    list_filter = ["payment"]
    search_fields = ["stock_unit__vin", "salesperson"]
    raw_id_fields = ["stock_unit", "dealer", "customer"]
    list_select_related = ["stock_unit", "dealer"]
    date_hierarchy = "sold_on"


@admin.register(FloorplanRate)
class FloorplanRateAdmin(admin.ModelAdmin):
    """A dealer's floorplan rate; the row without a dealer is head office's default."""

    list_display = ["dealer", "annual_rate", "updated_at"]
    raw_id_fields = ["dealer"]
    list_select_related = ["dealer"]


@admin.register(StockAlertRule)
class StockAlertRuleAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "threshold", "powertrain", "msrp_from", "msrp_below", "active"]
    list_filter = ["kind", "active"]


@admin.register(StockAlert)
class StockAlertAdmin(admin.ModelAdmin):
    list_display = ["dealer", "model", "rule", "metric_value", "threshold", "status", "opened_at", "resolved_at"]
    list_filter = ["status", "rule"]
    raw_id_fields = ["dealer", "model", "acknowledged_by", "resolved_by"]
    list_select_related = ["dealer", "model", "rule"]
