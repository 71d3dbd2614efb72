from django.urls import path

from customers import views

app_name = "customers"

urlpatterns = [
    path("customers/", views.CustomerListView.as_view(), name="customer-list"),
    path("customers/visits/new/", views.ServiceVisitCreateView.as_view(), name="service-visit-create"),
    path("customers/options/", views.CustomerOptionsView.as_view(), name="customer-options"),
    path("customers/<int:pk>/", views.CustomerDetailView.as_view(), name="customer-detail"),
]
