from django.urls import path

from inventory import views
from inventory.forecasting.views import ForecastView
from inventory.tracking import views as tracking_views

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
    path("models/", views.VehicleModelListView.as_view(), name="vehicle-model-list"),
    path("models/<int:pk>/", views.VehicleModelDetailView.as_view(), name="vehicle-model-detail"),
    path("forecasts/", ForecastView.as_view(), name="forecasts"),
]
