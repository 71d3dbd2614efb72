"""API policy named in REST_FRAMEWORK settings. Kept apart from the viewsets: DRF imports
these while its own views module loads, so this module must not import DRF views."""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext_lazy as _
from rest_framework import permissions
from rest_framework.authentication import TokenAuthentication
from rest_framework.exceptions import AuthenticationFailed, ValidationError

from dealerops.access import can_view, can_write


def exception_handler(exc, context):
    """A service's Django ValidationError becomes a 400 naming its fields, never a 500."""
    from rest_framework.views import exception_handler as drf_exception_handler

    if isinstance(exc, DjangoValidationError):
        detail = exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        exc = ValidationError(detail=detail)
    return drf_exception_handler(exc, context)


class ExpiringTokenAuthentication(TokenAuthentication):
    """``Authorization: Token <key>`` for a token within its lifetime. First in the list, so an
    anonymous call answers 401 with ``WWW-Authenticate: Token`` (DRF asks the first class)."""

    def authenticate_credentials(self, key):
        from dealerops.tokens import api_token_is_expired

        user, token = super().authenticate_credentials(key)
        if api_token_is_expired(token):
            raise AuthenticationFailed(_("The token has expired: ask for a new one at /api/v1/auth/token/."))
        return user, token


class ScopedModelPermission(permissions.IsAuthenticated):
    """Reading needs the role to see the model; writing needs it to write the model."""

    def has_permission(self, request, view) -> bool:
        if not super().has_permission(request, view):
            return False
        model = getattr(view, "model", None)
        if model is None:
            return True  # schema and docs views: authentication is enough
        if request.method in permissions.SAFE_METHODS:
            return can_view(request.user, model)
        return can_write(request.user, model)
