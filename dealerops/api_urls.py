from django.urls import path
from rest_framework.routers import DefaultRouter

from channels.api import DealerViewSet, HealthScoreViewSet, LeadViewSet, RegionViewSet
from channels.inspections.api import ChecklistTemplateViewSet, FollowUpViewSet, InspectionViewSet
from customers.api import CustomerViewSet, ServiceVisitViewSet
from datahub.api import ImportBatchViewSet
from dealerops.api import ApiTokenView
from finance.api import (
    CommissionEntryViewSet,
    CommissionPolicyViewSet,
    CommissionReportViewSet,
    LenderStatementViewSet,
    LenderViewSet,
    LoanViewSet,
)
from inventory.api import (
    ForecastViewSet,
    SaleViewSet,
    StockAlertRuleViewSet,
    StockAlertViewSet,
    StockUnitViewSet,
    VehicleModelViewSet,
)
from inventory.tracking.api import PositionViewSet
from inventory.transfers.api import TransferViewSet

router = DefaultRouter()
router.register("regions", RegionViewSet, basename="region")
router.register("dealers", DealerViewSet, basename="dealer")
router.register("vehicle-models", VehicleModelViewSet, basename="vehicle-model")
router.register("stock-units", StockUnitViewSet, basename="stock-unit")
router.register("sales", SaleViewSet, basename="sale")
router.register("positions", PositionViewSet, basename="position")
router.register("transfers", TransferViewSet, basename="transfer")
router.register("forecasts", ForecastViewSet, basename="forecast")
router.register("stock-alerts", StockAlertViewSet, basename="stock-alert")
router.register("stock-alert-rules", StockAlertRuleViewSet, basename="stock-alert-rule")
router.register("customers", CustomerViewSet, basename="customer")
router.register("service-visits", ServiceVisitViewSet, basename="service-visit")
router.register("leads", LeadViewSet, basename="lead")
router.register("health-scores", HealthScoreViewSet, basename="health-score")
router.register("inspections", InspectionViewSet, basename="inspection")
router.register("inspection-checklists", ChecklistTemplateViewSet, basename="inspection-checklist")
router.register("follow-ups", FollowUpViewSet, basename="follow-up")
router.register("lenders", LenderViewSet, basename="lender")
router.register("loans", LoanViewSet, basename="loan")
router.register("commission-policies", CommissionPolicyViewSet, basename="commission-policy")
router.register("commission-entries", CommissionEntryViewSet, basename="commission-entry")
router.register("lender-statements", LenderStatementViewSet, basename="lender-statement")
router.register("imports", ImportBatchViewSet, basename="import")
router.register("commission-reports", CommissionReportViewSet, basename="commission-report")

urlpatterns = [
    path("auth/token/", ApiTokenView.as_view(), name="api-auth-token"),
    *router.urls,
]
