from django.urls import path

from datahub import views

app_name = "datahub"

urlpatterns = [
    path("imports/", views.ImportBatchListView.as_view(), name="import-list"),
    path("imports/new/", views.ImportUploadView.as_view(), name="import-create"),
    path("imports/<int:pk>/", views.ImportBatchDetailView.as_view(), name="import-detail"),
    path("imports/<int:pk>/progress/", views.ImportProgressView.as_view(), name="import-progress"),
    path("imports/<int:pk>/mapping/", views.ImportRemapView.as_view(), name="import-mapping"),
    path("imports/<int:pk>/replace/", views.ImportReplaceView.as_view(), name="import-replace"),
    path("imports/<int:pk>/mapping/save/", views.ImportMappingSaveView.as_view(), name="import-mapping-save"),
    path("imports/<int:pk>/confirm/", views.ImportConfirmView.as_view(), name="import-confirm"),
    path("imports/<int:pk>/cancel/", views.ImportCancelView.as_view(), name="import-cancel"),
]
