"""Shared API pieces: scoped viewsets, related-id fields and the token endpoint (the policy is in api_policy)."""

from django.db.models import Model, QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.authtoken.serializers import AuthTokenSerializer
from rest_framework.exceptions import APIException, NotAuthenticated, ValidationError
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from dealerops.access import scope, writable_dealers
from dealerops.models import Role
from dealerops.signin import lockout_message, lockout_wait
from dealerops.tokens import api_token_expires_at, api_token_issue, api_token_revoke


class ScopedViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Read-only by default; every queryset goes through ``dealerops.access.scope``.

    Subclasses that accept writes set ``write_serializer_class`` and add ScopedCreateMixin.
    """

    model: type[Model]
    write_serializer_class: type[serializers.Serializer] | None = None
    # Query parameters an action reads itself, besides its FilterSet's (api_policy.StrictFilterBackend).
    extra_query_params: tuple[str, ...] = ()

    def base_queryset(self) -> QuerySet:
        return self.model._default_manager.all()

    def get_queryset(self) -> QuerySet:
        return scope(self.request.user, self.base_queryset())

    def get_serializer_class(self):
        if self.action in ("create", "partial_update") and self.write_serializer_class is not None:
            return self.write_serializer_class
        return self.serializer_class


class ScopedCreateMixin:
    """POST through ``write_serializer_class`` (whose ``save()`` calls a service); the 201 shows
    the new record through ``serializer_class``, read back through the scope."""

    def create(self, request, *args, **kwargs):
        writer = self.get_serializer(data=request.data)
        writer.is_valid(raise_exception=True)
        record = writer.save()
        shown = self.serializer_class(self.get_queryset().get(pk=record.pk), context=self.get_serializer_context())
        return Response(shown.data, status=status.HTTP_201_CREATED)


class ScopedPrimaryKeyField(serializers.PrimaryKeyRelatedField):
    """A related id looked up in what the requesting user may see: a foreign id "does not exist"."""

    def __init__(self, *, model, **kwargs):
        self.scoped_model = model
        super().__init__(queryset=model._default_manager.all(), **kwargs)

    def get_queryset(self):
        return scope(self.context["request"].user, self.scoped_model)


class WritableDealerField(serializers.PrimaryKeyRelatedField):
    """The dealer a record is entered for: a dealer user's own (the default) or any for head office."""

    def __init__(self, **kwargs):
        from channels.models import Dealer

        super().__init__(queryset=Dealer.objects.all(), required=False, **kwargs)

    def get_queryset(self):
        return writable_dealers(self.context["request"].user)


class DealerEntrySerializer(serializers.Serializer):
    dealer = WritableDealerField()

    def validate(self, attrs):
        user = self.context["request"].user
        if "dealer" not in attrs:
            if user.role != Role.DEALER_USER:
                raise ValidationError({"dealer": ["This field is required."]})
            attrs["dealer"] = user.dealer
        return attrs


class SignInLocked(APIException):
    """Too many failed sign-ins for the user or the address (counted by django-axes)."""

    status_code = status.HTTP_429_TOO_MANY_REQUESTS
    default_code = "locked_out"

    def __init__(self, *, detail: str, wait: int) -> None:
        super().__init__(detail=detail)
        self.wait = wait  # DRF's handler sends it as Retry-After


class ApiTokenSerializer(serializers.Serializer):
    token = serializers.CharField(read_only=True)
    expires_at = serializers.DateTimeField(read_only=True)


class ApiTokenView(APIView):
    """POST username and password for a token (valid API_TOKEN_LIFETIME_DAYS; the same token
    until then); DELETE revokes the caller's token. Failed sign-ins count towards the same
    lockout as the login page: past it this answers 429 and says when to try again."""

    permission_classes = [AllowAny]
    serializer_class = AuthTokenSerializer

    @extend_schema(request=AuthTokenSerializer, responses={200: ApiTokenSerializer, 400: None, 429: None})
    def post(self, request):
        credentials = AuthTokenSerializer(data=request.data, context={"request": request})
        if not credentials.is_valid():
            # Axes marks the request it refused: say so rather than "wrong password".
            if getattr(request, "axes_locked_out", False):
                raise SignInLocked(detail=lockout_message(request), wait=int(lockout_wait(request).total_seconds()))
            raise ValidationError(credentials.errors)
        token = api_token_issue(user=credentials.validated_data["user"])
        return Response({"token": token.key, "expires_at": api_token_expires_at(token)})

    @extend_schema(request=None, responses={204: None, 401: None})
    def delete(self, request):
        if not request.user.is_authenticated:
            raise NotAuthenticated
        api_token_revoke(user=request.user, revoked_by=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)
