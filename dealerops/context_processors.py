from django.apps import apps
from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from dealerops.access import can_view

# (label, URL name, model whose visibility decides whether the entry shows)
MENU = [
    (_("Channel health"), "channels:health-dashboard", "channels.HealthScore"),
    (_("Dealers"), "channels:dealer-list", "channels.Dealer"),
    (_("Leads"), "channels:lead-list", "channels.Lead"),
    (_("Field inspections"), "channels:inspection-list", "channels.Inspection"),
    (_("Network planning"), "channels:planning", "channels.PlanningRun"),
    (_("City markets"), "channels:market-list", "channels.CityMarket"),
    (_("Dealer admission"), "channels:admission-list", "channels.DealerApplication"),
    (_("Sales"), "inventory:sale-list", "inventory.Sale"),
    (_("Stock"), "inventory:stock-list", "inventory.StockUnit"),
    (_("In transit"), "inventory:in-transit", "inventory.LatestPosition"),
    (_("Transfers"), "inventory:transfer-list", "inventory.Transfer"),
    (_("Transfer plan"), "inventory:transfer-plan", "inventory.TransferPlan"),
    (_("Forecasts"), "inventory:forecasts", "inventory.Forecast"),
    (_("Stock depth"), "inventory:stock-depth", "inventory.StockUnit"),
    (_("Stock alerts"), "inventory:stock-alert-list", "inventory.StockAlert"),
    (_("Customers"), "customers:customer-list", "customers.Customer"),
    (_("Loans"), "finance:loan-list", "finance.Loan"),
    (_("Commissions"), "finance:entry-list", "finance.CommissionEntry"),
    (_("Lender statements"), "finance:statement-list", "finance.LenderStatement"),
    (_("Reports"), "finance:report-index", "finance.CommissionEntry"),
    (_("Imports"), "datahub:import-list", "datahub.ImportBatch"),
    (_("Data quality"), "data_quality:ranking", "datahub.DataQualityScore"),
    (_("Operations"), "operations", "dealerops.JobRun"),
    (_("My exports"), "export-list", "dealerops.ExportJob"),
    # The audit trail's event tables are head office's alone.
    (_("Changes"), "audit-changes", "inventory.SaleEvent"),
]


def navigation(request: HttpRequest) -> dict:
    """The menu entries the user's role may open (the pages themselves check again)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_items": []}
    items = [
        {"label": label, "url": reverse(url_name), "active": False}
        for label, url_name, model_label in MENU
        if can_view(user, apps.get_model(model_label))
    ]
    # The longest matching entry is the current one (/commissions/statements/ is not /commissions/).
    matching = [item for item in items if request.path.startswith(item["url"])]
    if matching:
        max(matching, key=lambda item: len(item["url"]))["active"] = True
    return {"nav_items": items}
