"""Shared API pieces: scoped viewsets and related-id fields (the policy is in api_policy)."""

from django.db.models import Model, QuerySet
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from dealerops.access import scope, writable_dealers
from dealerops.models import Role


class ScopedViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Read-only by default; every queryset goes through ``dealerops.access.scope``.

    Subclasses that accept writes set ``write_serializer_class`` and add ScopedCreateMixin.
    """

    model: type[Model]
    write_serializer_class: type[serializers.Serializer] | None = None

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
