from django.contrib import admin

from dealerops.audit import AuditTrailAdminMixin
from finance.models import Lender, Loan


@admin.register(Lender)
class LenderAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "kind"]
    list_filter = ["kind"]


@admin.register(Loan)
class LoanAdmin(AuditTrailAdminMixin, admin.ModelAdmin):
    list_display = [
        "reference",
        "dealer",
        "lender",
        "principal",
        "annual_rate",
        "term_months",
        "credit_grade",
        "status",
    ]
    list_filter = ["status", "lender", "credit_grade"]
    search_fields = ["reference"]
    raw_id_fields = ["sale", "dealer"]
    list_select_related = ["dealer", "lender"]
