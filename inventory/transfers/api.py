"""/api/v1/transfers/: the transfers from or to the user's dealers; POST ``confirm/`` (with
``eta``), ``decline/`` or ``arrive/`` (with ``arrived_on``); bad input answers 400 naming the
field, a wrong step names ``status``."""

from drf_spectacular.utils import extend_schema
from rest_framework.decorators import action
from rest_framework.response import Response

from dealerops.api import ScopedViewSet
from inventory.transfers.filtersets import TransferFilterSet
from inventory.transfers.models import Transfer
from inventory.transfers.serializers import TransferSerializer, TransferStepSerializer
from inventory.transfers.services import transfer_step


class TransferViewSet(ScopedViewSet):
    model = Transfer
    serializer_class = TransferSerializer
    filterset_class = TransferFilterSet

    def base_queryset(self):
        return Transfer.objects.select_related("stock_unit")

    def _step(self, request, step: str) -> Response:
        transfer = self.get_object()  # 404 outside the user's scope
        transfer = transfer_step(user=request.user, pk=transfer.pk, step=step, data=request.data)
        return Response(TransferSerializer(transfer, context=self.get_serializer_context()).data)

    @extend_schema(request=TransferStepSerializer, responses=TransferSerializer)
    @action(detail=True, methods=["post"], filterset_class=None)
    def confirm(self, request, pk=None):
        return self._step(request, "confirm")

    @extend_schema(request=None, responses=TransferSerializer)
    @action(detail=True, methods=["post"], filterset_class=None)
    def decline(self, request, pk=None):
        return self._step(request, "decline")

    @extend_schema(request=TransferStepSerializer, responses=TransferSerializer)
    @action(detail=True, methods=["post"], filterset_class=None)
    def arrive(self, request, pk=None):
        return self._step(request, "arrive")
