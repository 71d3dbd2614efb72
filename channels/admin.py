from django.contrib import admin

from channels.models import Dealer, Lead, Region


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
