from django.contrib import admin

from customers.models import Customer, Inquiry, ServiceVisit


@admin.register(Customer)
class CustomerAdmin(admin.ModelAdmin):
    list_display = ["name", "phone", "city", "home_dealer", "marketing_consent"]
    search_fields = ["name", "phone", "city"]
    raw_id_fields = ["home_dealer"]
    list_select_related = ["home_dealer"]


@admin.register(ServiceVisit)
class ServiceVisitAdmin(admin.ModelAdmin):
    list_display = ["visited_on", "customer", "dealer", "kind", "amount", "satisfaction"]
    list_filter = ["kind", "satisfaction"]
    raw_id_fields = ["customer", "dealer"]
    list_select_related = ["customer", "dealer"]


@admin.register(Inquiry)
class InquiryAdmin(admin.ModelAdmin):
    list_display = ["id", "kind", "category", "dealer", "opened_at", "status"]
    list_filter = ["kind", "category", "status"]
    raw_id_fields = ["customer", "dealer"]
    list_select_related = ["dealer"]
