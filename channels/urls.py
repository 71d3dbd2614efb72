from django.urls import path

from channels import views

app_name = "channels"

urlpatterns = [
    path("dealers/", views.DealerListView.as_view(), name="dealer-list"),
    path("dealers/<int:pk>/", views.DealerDetailView.as_view(), name="dealer-detail"),
]
