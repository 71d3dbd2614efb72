from django.urls import path

from inventory import stock_views, views
from inventory.forecasting.views import ForecastView
from inventory.tracking import views as tracking_views
from inventory.transfers import views as transfer_views

app_name = "inventory"

urlpatterns = [
    path("sales/", views.SaleListView.as_view(), name="sale-list"),
    path("sales/new/", views.SaleCreateView.as_view(), name="sale-create"),
    path("sales/<int:pk>/", views.SaleDetailView.as_view(), name="sale-detail"),
    path("stock/", views.StockListView.as_view(), name="stock-list"),
    path("stock/arrival/", views.StockArrivalView.as_view(), name="stock-arrival"),
    path("stock/options/", views.StockUnitOptionsView.as_view(), name="stock-options"),
    path("stock/<int:pk>/", views.StockDetailView.as_view(), name="stock-detail"),
    path("stock/in-transit/", tracking_views.InTransitView.as_view(), name="in-transit"),
    path("stock/depth/", stock_views.StockDepthView.as_view(), name="stock-depth"),
    path("stock/alerts/", stock_views.StockAlertListView.as_view(), name="stock-alert-list"),
    path("stock/alerts/<int:pk>/", stock_views.StockAlertDetailView.as_view(), name="stock-alert-detail"),
    path("stock/alert-rules/", stock_views.StockAlertRuleListView.as_view(), name="stock-alert-rule-list"),
    path("stock/alert-rules/new/", stock_views.StockAlertRuleCreateView.as_view(), name="stock-alert-rule-create"),
    path(
        "stock/alerts/<int:pk>/acknowledge/",
        stock_views.StockAlertActionView.as_view(action="acknowledge"),
        name="stock-alert-acknowledge",
    ),
    path(
        "stock/alerts/<int:pk>/resolve/",
        stock_views.StockAlertActionView.as_view(action="resolve"),
        name="stock-alert-resolve",
    ),
    path("stock/transfers/", transfer_views.TransferListView.as_view(), name="transfer-list"),
    path("stock/transfers/<int:pk>/", transfer_views.TransferDetailView.as_view(), name="transfer-detail"),
    *(
        path(
            f"stock/transfers/<int:pk>/{step}/",
            transfer_views.TransferStepView.as_view(step=step),
            name=f"transfer-{step}",
        )
        for step in ("confirm", "decline", "arrive")
    ),
    path("stock/transfer-plans/", transfer_views.TransferPlanView.as_view(), name="transfer-plan"),
    path(
        "stock/transfer-plans/<int:pk>/", transfer_views.TransferPlanDetailView.as_view(), name="transfer-plan-detail"
    ),
    path("models/", views.VehicleModelListView.as_view(), name="vehicle-model-list"),
    path("models/<int:pk>/", views.VehicleModelDetailView.as_view(), name="vehicle-model-detail"),
    path("forecasts/", ForecastView.as_view(), name="forecasts"),
]
