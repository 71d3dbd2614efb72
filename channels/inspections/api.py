"""/api/v1/inspections/, /api/v1/inspection-checklists/ and /api/v1/follow-ups/: the pages'
services, scope and FilterSets, answered as JSON. A refusal is a 400 naming its field."""

from django.db.models import Prefetch
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response

from channels.inspections.filtersets import ChecklistTemplateFilterSet, FollowUpFilterSet, InspectionFilterSet
from channels.inspections.forms import FillForm
from channels.inspections.models import ChecklistItem, ChecklistTemplate, FollowUp, Inspection, InspectionResult
from channels.inspections.selectors import follow_up_rows, inspection_rows
from channels.inspections.serializers import (
    CheckInSerializer,
    ChecklistTemplateSerializer,
    FollowUpCorrectSerializer,
    FollowUpDetailSerializer,
    FollowUpReviewSerializer,
    FollowUpSerializer,
    InspectionDetailSerializer,
    InspectionScheduleSerializer,
    InspectionSerializer,
    InspectionSubmitSerializer,
)
from channels.inspections.services import follow_up_correct, follow_up_review, inspection_check_in, inspection_fill
from channels.inspections.views import upload_too_large
from dealerops.api import ScopedCreateMixin, ScopedViewSet


class ChecklistTemplateViewSet(ScopedViewSet):
    """Every version of the SOP checklists with their items (head office publishes them on the pages)."""

    model = ChecklistTemplate
    serializer_class = ChecklistTemplateSerializer
    filterset_class = ChecklistTemplateFilterSet

    def base_queryset(self):
        return ChecklistTemplate.objects.prefetch_related(
            Prefetch("items", queryset=ChecklistItem.objects.order_by("position"))
        )


class InspectionViewSet(ScopedCreateMixin, ScopedViewSet):
    """Inspections of the user's scope. POST schedules one (dealer, template, due_on); POST
    ``check-in/`` records the browser's position; POST ``submit/`` submits the answers, named
    ``item-<id>-outcome`` (pass, fail or na), ``item-<id>-note`` and ``item-<id>-photo`` (multipart),
    once: a second submission answers 400 naming ``status``."""

    model = Inspection
    serializer_class = InspectionSerializer
    write_serializer_class = InspectionScheduleSerializer
    filterset_class = InspectionFilterSet
    parser_classes = [JSONParser, MultiPartParser, FormParser]
    http_method_names = ["get", "post", "head", "options"]

    def base_queryset(self):
        if self.action == "list":
            return inspection_rows()
        results = InspectionResult.objects.select_related("item", "photo").order_by("item__position")
        return inspection_rows().prefetch_related(Prefetch("results", queryset=results))

    def get_serializer_class(self):
        if self.action == "retrieve":
            return InspectionDetailSerializer
        return super().get_serializer_class()

    def shown(self, inspection: Inspection) -> dict:
        return InspectionDetailSerializer(
            self.base_queryset().get(pk=inspection.pk), context=self.get_serializer_context()
        ).data

    @extend_schema(request=CheckInSerializer, responses=InspectionDetailSerializer)
    @action(detail=True, methods=["post"], url_path="check-in", filterset_class=None)
    def check_in(self, request, pk=None):
        inspection = self.get_object()
        position = CheckInSerializer(data=request.data)
        position.is_valid(raise_exception=True)
        data = position.validated_data
        inspection = inspection_check_in(
            inspection_id=inspection.pk,
            user=request.user,
            latitude=data["latitude"],
            longitude=data["longitude"],
            accuracy_m=data.get("accuracy"),
        )
        return Response(self.shown(inspection))

    @extend_schema(request={"multipart/form-data": OpenApiTypes.OBJECT, "application/json": OpenApiTypes.OBJECT},
                   responses=InspectionDetailSerializer, description=InspectionSubmitSerializer.__doc__)  # fmt: skip
    @action(detail=True, methods=["post"], filterset_class=None)
    def submit(self, request, pk=None):
        if refusal := upload_too_large(request):
            return Response({"photos": [refusal]}, status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE)
        inspection = self.get_object()
        answers = FillForm(request.data, request.FILES, inspection=inspection)
        unknown = sorted(set(request.data) - set(answers.fields))
        if unknown:
            raise ValidationError({name: [_("This inspection has no such field.")] for name in unknown})
        if not answers.is_valid():
            raise ValidationError(answers.errors)
        inspection = inspection_fill(
            inspection_id=inspection.pk, user=request.user, answers=answers.answers(), submit=True
        )
        return Response(self.shown(inspection))


class FollowUpViewSet(ScopedViewSet):
    """Follow-ups of failed items. The dealer POSTs ``correct/`` (multipart: note, photo); the
    regional manager POSTs ``review/`` (decision accept or reopen; reopening with a note and a
    new deadline)."""

    model = FollowUp
    serializer_class = FollowUpSerializer
    filterset_class = FollowUpFilterSet
    parser_classes = [JSONParser, MultiPartParser, FormParser]

    def base_queryset(self):
        if self.action == "list":
            return follow_up_rows()
        return follow_up_rows().prefetch_related("events__by", "events__photo")

    def get_serializer_class(self):
        return FollowUpDetailSerializer if self.action == "retrieve" else super().get_serializer_class()

    def shown(self, follow_up: FollowUp) -> dict:
        return FollowUpDetailSerializer(
            self.base_queryset().get(pk=follow_up.pk), context=self.get_serializer_context()
        ).data

    @extend_schema(request={"multipart/form-data": FollowUpCorrectSerializer}, responses=FollowUpDetailSerializer)
    @action(detail=True, methods=["post"], filterset_class=None)
    def correct(self, request, pk=None):
        if refusal := upload_too_large(request):
            return Response({"photo": [refusal]}, status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE)
        follow_up = self.get_object()
        correction = FollowUpCorrectSerializer(data=request.data)
        correction.is_valid(raise_exception=True)
        follow_up = follow_up_correct(follow_up_id=follow_up.pk, user=request.user, **correction.validated_data)
        return Response(self.shown(follow_up))

    @extend_schema(request=FollowUpReviewSerializer, responses=FollowUpDetailSerializer)
    @action(detail=True, methods=["post"], filterset_class=None)
    def review(self, request, pk=None):
        follow_up = self.get_object()
        decision = FollowUpReviewSerializer(data=request.data)
        decision.is_valid(raise_exception=True)
        follow_up = follow_up_review(follow_up_id=follow_up.pk, user=request.user, **decision.validated_data)
        return Response(self.shown(follow_up))
