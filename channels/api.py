from rest_framework import mixins
from rest_framework.response import Response

from channels.filtersets import DealerFilterSet, HealthScoreFilterSet, LeadFilterSet, RegionFilterSet
from channels.models import Dealer, HealthScore, Lead, Region
from channels.selectors import health_scores
from channels.serializers import (
    DealerSerializer,
    HealthScoreSerializer,
    LeadCreateSerializer,
    LeadFollowUpSerializer,
    LeadSerializer,
    RegionSerializer,
)
from dealerops.api import ScopedCreateMixin, ScopedViewSet


class RegionViewSet(ScopedViewSet):
    model = Region
    serializer_class = RegionSerializer
    filterset_class = RegionFilterSet


class DealerViewSet(ScopedViewSet):
    model = Dealer
    serializer_class = DealerSerializer
    filterset_class = DealerFilterSet

    def base_queryset(self):
        return Dealer.objects.select_related("region")


class LeadViewSet(ScopedCreateMixin, mixins.UpdateModelMixin, ScopedViewSet):
    """Leads. POST enters a lead (head office's is routed to the best active dealer, a dealer
    user's is its own); the assigned dealer records first contact and outcome with PATCH."""

    model = Lead
    serializer_class = LeadSerializer
    write_serializer_class = LeadFollowUpSerializer
    filterset_class = LeadFilterSet
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_serializer_class(self):
        return LeadCreateSerializer if self.action == "create" else super().get_serializer_class()

    def partial_update(self, request, *args, **kwargs):
        writer = self.get_serializer(self.get_object(), data=request.data, partial=True)
        writer.is_valid(raise_exception=True)
        lead = writer.save()
        return Response(LeadSerializer(lead, context=self.get_serializer_context()).data)


class HealthScoreViewSet(ScopedViewSet):
    """Channel health scores, read-only: a dealer user sees its own, a regional manager the
    region's, finance and head office every dealer's. ``?month=2026-10`` picks a month."""

    model = HealthScore
    serializer_class = HealthScoreSerializer
    filterset_class = HealthScoreFilterSet

    def base_queryset(self):
        return health_scores()
