from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView

from channels.admission.views import AccountInviteView
from dealerops import account_views, export_views, views

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("operations/", views.OperationsView.as_view(), name="operations"),
    path("operations/progress/", views.OperationsProgressView.as_view(), name="operations-progress"),
    path("audit/changes/", views.ChangesView.as_view(), name="audit-changes"),
    path("exports/", export_views.ExportJobListView.as_view(), name="export-list"),
    path("exports/<int:pk>/", export_views.ExportJobDetailView.as_view(), name="export-detail"),
    path("exports/<int:pk>/progress/", export_views.ExportJobProgressView.as_view(), name="export-progress"),
    path("exports/<int:pk>/download/", export_views.ExportJobDownloadView.as_view(), name="export-download"),
    path("exports/<int:pk>/retry/", export_views.ExportJobRetryView.as_view(), name="export-retry"),
    path("login/", auth_views.LoginView.as_view(template_name="registration/login.html"), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("account/", account_views.account, name="account"),
    path("account/tokens/revoke/", account_views.token_revoke, name="account-token-revoke"),
    # A new dealer's first account sets its password through the link its reviewer handed over.
    path("account/invite/<uidb64>/<token>/", AccountInviteView.as_view(), name="account-invite"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    # Each app owns its full paths (dealers/, sales/, stock/, customers/, loans/ ...).
    path("", include("channels.urls")),
    path("", include("inventory.urls")),
    path("", include("customers.urls")),
    path("", include("finance.urls")),
    path("", include("datahub.urls")),
    path("", include("datahub.quality.urls")),
    path("api/v1/", include("dealerops.api_urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("api/redoc/", SpectacularRedocView.as_view(url_name="api-schema"), name="api-redoc"),
]
