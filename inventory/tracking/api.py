"""/api/v1/positions/: the positions of units in transit in the user's scope; POST takes a
batch from a carrier or a tracker gateway (head office's integration accounts), through the
same service as the data hub's position files and the MQTT subscriber."""

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.response import Response

from dealerops.api import ScopedViewSet
from inventory.models import Position
from inventory.tracking.filtersets import PositionFilterSet
from inventory.tracking.serializers import PositionBatchSerializer, PositionSerializer, PositionsRecordedSerializer


class PositionViewSet(ScopedViewSet):
    model = Position
    serializer_class = PositionSerializer
    write_serializer_class = PositionBatchSerializer
    filterset_class = PositionFilterSet
    http_method_names = ["get", "post", "head", "options"]

    def base_queryset(self):
        return Position.objects.select_related("stock_unit")

    @extend_schema(request=PositionBatchSerializer, responses={201: PositionsRecordedSerializer})
    def create(self, request, *args, **kwargs):
        batch = self.get_serializer(data=request.data)
        batch.is_valid(raise_exception=True)
        recorded = batch.save()
        return Response(PositionsRecordedSerializer(recorded).data, status=status.HTTP_201_CREATED)
