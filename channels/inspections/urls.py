"""The inspection pages' paths, included in the channels URLconf (its namespace)."""

from django.urls import path

from channels.inspections import views

urlpatterns = [
    path("inspections/", views.InspectionListView.as_view(), name="inspection-list"),
    path("inspections/new/", views.InspectionCreateView.as_view(), name="inspection-create"),
    path("inspections/<int:pk>/", views.InspectionDetailView.as_view(), name="inspection-detail"),
    path("inspections/photos/<int:pk>/", views.EvidencePhotoView.as_view(), name="inspection-photo"),
    path("inspections/follow-ups/", views.FollowUpListView.as_view(), name="follow-up-list"),
    path("inspections/follow-ups/<int:pk>/", views.FollowUpDetailView.as_view(), name="follow-up-detail"),
    path("inspections/checklists/", views.ChecklistTemplateListView.as_view(), name="inspection-template-list"),
    path(
        "inspections/checklists/new/",
        views.ChecklistTemplateCreateView.as_view(),
        name="inspection-template-create",
    ),
    path(
        "inspections/checklists/<int:pk>/",
        views.ChecklistTemplateDetailView.as_view(),
        name="inspection-template-detail",
    ),
]
