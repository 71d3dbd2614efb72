from django.contrib import admin

from channels.health.services import health_weights_create
from channels.models import Dealer, HealthMetric, HealthScore, HealthWeights, Lead, RatingBands, Region


@admin.register(Region)
class RegionAdmin(admin.ModelAdmin):
    list_display = ["code", "name"]
    search_fields = ["code", "name"]


@admin.register(Dealer)
class DealerAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "kind", "status", "region", "province", "city", "sales_headcount"]
    list_filter = ["kind", "status", "region"]
    search_fields = ["code", "name", "city", "province"]
    raw_id_fields = ["parent"]
    list_select_related = ["region"]


@admin.register(Lead)
class LeadAdmin(admin.ModelAdmin):
    list_display = ["id", "source", "customer_city", "dealer", "created_at", "first_contact_at", "outcome"]
    list_filter = ["source", "outcome"]
    raw_id_fields = ["dealer", "model_of_interest", "converted_sale"]
    list_select_related = ["dealer"]
    date_hierarchy = "created_at"


@admin.register(HealthWeights)
class HealthWeightsAdmin(admin.ModelAdmin):
    """Head office adds a weights version here; versions are never edited or deleted."""

    list_display = ["version", *HealthMetric.values, "note", "created_by", "created_at"]
    fields = [*HealthMetric.values, "note"]

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def save_model(self, request, obj, form, change):
        saved = health_weights_create(
            weights={metric: form.cleaned_data[metric] for metric in HealthMetric.values},
            note=form.cleaned_data["note"],
            created_by=request.user,
        )
        obj.pk, obj.version = saved.pk, saved.version


@admin.register(RatingBands)
class RatingBandsAdmin(admin.ModelAdmin):
    """Read-only: head office sets a version on the rating bands page (/health/bands/), whose
    service checks the shares; versions are never edited or deleted."""

    list_display = ["version", "method", "a_share", "b_share", "c_share", "d_share", "note", "created_by", "created_at"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(HealthScore)
class HealthScoreAdmin(admin.ModelAdmin):
    """Computed by the nightly job: read-only here."""

    list_display = ["dealer", "month", "weights", "composite", "rating", "rating_bands", "probation", "metrics_scored"]
    list_filter = ["month", "rating", "probation", "dealer_kind"]
    search_fields = ["dealer__code", "dealer__name"]
    list_select_related = ["dealer", "weights", "rating_bands"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
