"""API policy named in REST_FRAMEWORK settings. Kept apart from the viewsets: DRF imports
these while its own views module loads, so this module must not import DRF views."""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import QuerySet
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django_filters import utils as filter_utils
from django_filters.rest_framework import DjangoFilterBackend
from rest_framework import permissions
from rest_framework.authentication import TokenAuthentication
from rest_framework.exceptions import AuthenticationFailed, ValidationError

from dealerops.access import can_view, can_write
from dealerops.pagination import CURSOR_PARAMS


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


class StrictFilterBackend(DjangoFilterBackend):
    """The pages' FilterSets, strict on the API: a parameter the endpoint does not take
    (``?region=`` on loans) or one left empty (``?created_after=``) answers 400 naming it.
    Ignoring it would answer every row as if filtered. (The pages' forms send empty fields for
    "all" and go through the FilterSets directly, not through this backend.) An action that
    reads parameters of its own names them in ``extra_query_params``."""

    ALWAYS = frozenset({*CURSOR_PARAMS, "format"})

    def filter_queryset(self, request, queryset: QuerySet, view) -> QuerySet:
        filterset = self.get_filterset(request, queryset, view)
        if filterset is None:
            return queryset
        known = {
            *self.ALWAYS,
            *getattr(view, "extra_query_params", ()),
            *(
                parameter
                for name in filterset.filters
                for parameter in self._parameter_names(name, filterset.form.fields[name].widget)
            ),
        }
        errors: dict[str, list[str]] = {}
        for name, values in request.query_params.lists():
            if name not in known:
                errors[name] = [
                    gettext("This endpoint takes no parameter “%(name)s”; it takes: %(known)s.")
                    % {"name": name, "known": ", ".join(sorted(known))}
                ]
            elif any(not value.strip() for value in values):
                errors[name] = [gettext("This parameter is empty: give it a value or leave it out.")]
        if errors:
            raise ValidationError(errors)
        if not filterset.is_valid() and self.raise_exception:
            raise filter_utils.translate_validation(filterset.errors)
        return filterset.qs

    @staticmethod
    def _parameter_names(name: str, widget) -> list[str]:
        # A range filter's widget reads name_min / name_max (or its own suffixes).
        suffixes = getattr(widget, "suffixes", None)
        return [f"{name}_{suffix}" if suffix else name for suffix in suffixes] if suffixes else [name]
