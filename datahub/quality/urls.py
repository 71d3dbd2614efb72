from django.urls import path

from datahub.quality import views

app_name = "data_quality"

urlpatterns = [
    path("data-quality/", views.QualityRankingView.as_view(), name="ranking"),
    path("data-quality/dealers/<int:pk>/", views.DealerQualityView.as_view(), name="dealer"),
    path("data-quality/alerts/<int:pk>/acknowledge/", views.AlertAcknowledgeView.as_view(), name="alert-acknowledge"),
]
