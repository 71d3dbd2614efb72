from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.utils.translation import gettext_lazy as _

from dealerops.models import User


@admin.register(User)
class PortalUserAdmin(UserAdmin):
    list_display = ["username", "email", "role", "dealer", "is_active", "is_staff"]
    list_filter = ["role", "is_active", "is_staff"]
    raw_id_fields = ["dealer"]
    filter_horizontal = ["regions", "groups", "user_permissions"]
    fieldsets = (*UserAdmin.fieldsets, (_("Portal access"), {"fields": ("role", "dealer", "regions")}))
    add_fieldsets = (*UserAdmin.add_fieldsets, (_("Portal access"), {"fields": ("role", "dealer", "regions")}))
