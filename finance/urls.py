from django.urls import path

from finance import report_views, views

app_name = "finance"

urlpatterns = [
    path("loans/", views.LoanListView.as_view(), name="loan-list"),
    path("loans/<int:pk>/", views.LoanDetailView.as_view(), name="loan-detail"),
    path("loans/<int:pk>/status/", views.LoanStatusChangeView.as_view(), name="loan-status"),
    path("loans/<int:pk>/status/confirm/", views.LoanStatusConfirmView.as_view(), name="loan-status-confirm"),
    path("loans/<int:pk>/status/reject/", views.LoanStatusRejectView.as_view(), name="loan-status-reject"),
    path("commissions/", views.CommissionEntryListView.as_view(), name="entry-list"),
    path("commissions/<int:pk>/", views.CommissionEntryDetailView.as_view(), name="entry-detail"),
    path("commissions/adjustments/new/", views.AdjustmentCreateView.as_view(), name="adjustment-create"),
    path("commissions/periods/", views.CommissionPeriodListView.as_view(), name="period-list"),
    path("commissions/periods/<int:pk>/", views.CommissionPeriodDetailView.as_view(), name="period-detail"),
    path("commissions/periods/<int:pk>/close/", views.CommissionPeriodCloseView.as_view(), name="period-close"),
    path("commissions/policies/", views.CommissionPolicyListView.as_view(), name="policy-list"),
    path("commissions/policies/new/", views.PolicyCreateView.as_view(), name="policy-create"),
    path("commissions/reports/", report_views.ReportIndexView.as_view(), name="report-index"),
    path("commissions/reports/ledger/", report_views.LedgerReportView.as_view(), name="report-ledger"),
    path("commissions/reports/payables/", report_views.PayablesReportView.as_view(), name="report-payables"),
    path("commissions/reports/penetration/", report_views.PenetrationReportView.as_view(), name="report-penetration"),
    path("commissions/reports/risk/", report_views.RiskReportView.as_view(), name="report-risk"),
    path("commissions/policies/<int:pk>/", views.CommissionPolicyDetailView.as_view(), name="policy-detail"),
    path("commissions/statements/", views.LenderStatementListView.as_view(), name="statement-list"),
    path("commissions/statements/upload/", views.LenderStatementUploadView.as_view(), name="statement-upload"),
    path("commissions/statements/<int:pk>/", views.LenderStatementDetailView.as_view(), name="statement-detail"),
    path(
        "commissions/statements/<int:pk>/receipts/",
        views.LenderStatementReceiptsView.as_view(),
        name="statement-receipts",
    ),
]
