from django.urls import path

from finance import views

app_name = "finance"

urlpatterns = [
    path("loans/", views.LoanListView.as_view(), name="loan-list"),
    path("loans/<int:pk>/", views.LoanDetailView.as_view(), name="loan-detail"),
]
