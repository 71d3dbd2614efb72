from django.urls import path

from channels import views
from channels.admission import views as admission_views
from channels.graph import views as graph_views
from channels.health import bands_views
from channels.health import views as health_views
from channels.inspections.urls import urlpatterns as inspection_urls
from channels.planning import views as planning_views
from channels.routing import views as routing_views

app_name = "channels"

urlpatterns = [
    path("dealers/", views.DealerListView.as_view(), name="dealer-list"),
    path("dealers/options/", views.DealerOptionsView.as_view(), name="dealer-options"),
    path("dealers/<int:pk>/", views.DealerDetailView.as_view(), name="dealer-detail"),
    path("dealers/<int:pk>/health/", health_views.DealerHealthView.as_view(), name="dealer-health"),
    path("dealers/<int:pk>/decide/", planning_views.DealerDecisionView.as_view(), name="dealer-decide"),
    path("leads/", views.LeadListView.as_view(), name="lead-list"),
    path("leads/new/", routing_views.LeadCreateView.as_view(), name="lead-create"),
    path("leads/<int:pk>/", views.LeadDetailView.as_view(), name="lead-detail"),
    path("leads/<int:pk>/follow-up/", routing_views.LeadFollowUpView.as_view(), name="lead-follow-up"),
    path("leads/routing/", routing_views.RoutingSettingsView.as_view(), name="routing-settings"),
    path("leads/pages/", routing_views.LeadPageListView.as_view(), name="lead-page-list"),
    path("leads/pages/<int:pk>/", routing_views.LeadPageDetailView.as_view(), name="lead-page-detail"),
    path("leads/pages/<int:pk>/qr.png", routing_views.LeadPageQRView.as_view(), name="lead-page-qr"),
    # The public lead page: no login (a QR code's URL), rate-limited; the thank-you link is signed.
    path("l/<slug:code>/", routing_views.PublicLeadView.as_view(), name="public-lead-page"),
    path("l/<slug:code>/thanks/<str:token>/", routing_views.PublicThanksView.as_view(), name="public-lead-thanks"),
    path("markets/", planning_views.CityMarketListView.as_view(), name="market-list"),
    path("markets/new/", planning_views.CityMarketCreateView.as_view(), name="market-create"),
    path("markets/<int:pk>/", planning_views.CityMarketDetailView.as_view(), name="market-detail"),
    path("markets/<int:pk>/edit/", planning_views.CityMarketEditView.as_view(), name="market-edit"),
    path("planning/", planning_views.PlanningView.as_view(), name="planning"),
    path("planning/recommendations/", planning_views.RecommendationListView.as_view(), name="recommendation-list"),
    path("planning/overlaps/", planning_views.OverlapListView.as_view(), name="overlap-list"),
    path("planning/white-spots/", planning_views.WhiteSpotListView.as_view(), name="white-spot-list"),
    path("planning/trade-areas/", planning_views.TradeAreaListView.as_view(), name="trade-area-list"),
    path("planning/settings/", planning_views.PlanningSettingsView.as_view(), name="planning-settings"),
    path("planning/scenarios/", planning_views.ScenarioListView.as_view(), name="scenario-list"),
    path("planning/scenarios/new/", planning_views.ScenarioCreateView.as_view(), name="scenario-create"),
    path("planning/scenarios/compare/", planning_views.ScenarioCompareView.as_view(), name="scenario-compare"),
    path("planning/scenarios/<int:pk>/", planning_views.ScenarioDetailView.as_view(), name="scenario-detail"),
    path("admission/", admission_views.ApplicationListView.as_view(), name="admission-list"),
    path("admission/parents/", admission_views.ParentOptionsView.as_view(), name="admission-parent-options"),
    path("admission/new/", admission_views.ApplicationCreateView.as_view(), name="admission-create"),
    path("admission/<int:pk>/", admission_views.ApplicationDetailView.as_view(), name="admission-detail"),
    path("admission/<int:pk>/edit/", admission_views.ApplicationEditView.as_view(), name="admission-edit"),
    path("admission/<int:pk>/documents/", admission_views.DocumentUploadView.as_view(), name="admission-upload"),
    path("admission/<int:pk>/submit/", admission_views.ApplicationSubmitView.as_view(), name="admission-submit"),
    path("admission/documents/<int:pk>/", admission_views.DocumentView.as_view(), name="admission-document"),
    path(
        "admission/documents/<int:pk>/remove/",
        admission_views.DocumentRemoveView.as_view(),
        name="admission-document-remove",
    ),
    path("planning/graph/", graph_views.DealerGraphView.as_view(), name="dealer-graph"),
    path("planning/graph/risk/", graph_views.GraphRiskView.as_view(), name="graph-risk"),
    path("planning/graph/outlets/", graph_views.GraphNodeListView.as_view(), name="graph-node-list"),
    path("planning/graph/clusters/", graph_views.GraphClusterListView.as_view(), name="graph-cluster-list"),
    path("health/", health_views.HealthDashboardView.as_view(), name="health-dashboard"),
    path("health/scores/", health_views.HealthTableView.as_view(), name="health-table"),
    path("health/bands/", bands_views.RatingBandsView.as_view(), name="rating-bands"),
    path("health/bands/rerate/", bands_views.HealthRerateView.as_view(), name="health-rerate"),
    *inspection_urls,
]
