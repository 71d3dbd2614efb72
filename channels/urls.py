from django.urls import path

from channels import views
from channels.health import bands_views
from channels.health import views as health_views
from channels.planning import views as planning_views

app_name = "channels"

urlpatterns = [
    path("dealers/", views.DealerListView.as_view(), name="dealer-list"),
    path("dealers/options/", views.DealerOptionsView.as_view(), name="dealer-options"),
    path("dealers/<int:pk>/", views.DealerDetailView.as_view(), name="dealer-detail"),
    path("dealers/<int:pk>/health/", health_views.DealerHealthView.as_view(), name="dealer-health"),
    path("leads/", views.LeadListView.as_view(), name="lead-list"),
    path("leads/<int:pk>/", views.LeadDetailView.as_view(), name="lead-detail"),
    path("markets/", planning_views.CityMarketListView.as_view(), name="market-list"),
    path("markets/<int:pk>/", planning_views.CityMarketDetailView.as_view(), name="market-detail"),
    path("health/", health_views.HealthDashboardView.as_view(), name="health-dashboard"),
    path("health/scores/", health_views.HealthTableView.as_view(), name="health-table"),
    path("health/bands/", bands_views.RatingBandsView.as_view(), name="rating-bands"),
    path("health/bands/rerate/", bands_views.HealthRerateView.as_view(), name="health-rerate"),
]
