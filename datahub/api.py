"""/api/v1/imports/: the same services, scope and FilterSet as the import pages."""

from django.db import transaction
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response

from datahub.dispatch import import_check_start, import_write_start
from datahub.filtersets import ImportBatchFilterSet
from datahub.models import ImportBatch, ImportRow, RowAction
from datahub.serializers import (
    ImportBatchListSerializer,
    ImportBatchSerializer,
    ImportMappingSerializer,
    ImportRowSerializer,
    ImportUploadSerializer,
)
from datahub.services import import_batch_confirm, import_batch_remap, import_upload_refusal
from dealerops.access import scope
from dealerops.api import ScopedViewSet


class ImportBatchViewSet(ScopedViewSet):
    """Imports of dealers' DMS/CRM files, and head office's files of the whole network
    (``city_markets``: no dealer). POST (multipart: file, dealer, kind, source,
    system_name) stores and checks one (nothing is written); ``rows/`` lists the checked rows
    (``?action=error`` for the errors by column); POST ``mapping/`` checks again with other
    columns; POST ``confirm/`` writes a file that has no errors."""

    model = ImportBatch
    serializer_class = ImportBatchSerializer
    filterset_class = ImportBatchFilterSet
    parser_classes = [MultiPartParser, FormParser, JSONParser]

    def base_queryset(self):
        if self.action == "list":
            return ImportBatch.objects.defer("content", "file_headers")
        return ImportBatch.objects.defer("content")

    def get_serializer_class(self):
        return ImportBatchListSerializer if self.action == "list" else super().get_serializer_class()

    @extend_schema(request=ImportUploadSerializer, responses={201: ImportBatchSerializer})
    def create(self, request, *args, **kwargs):
        """Upload and check a file; a refused upload answers 400 naming its fields."""
        if refusal := import_upload_refusal(request):
            return Response({"file": [refusal]}, status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE)
        upload = ImportUploadSerializer(data=request.data, context=self.get_serializer_context())
        upload.is_valid(raise_exception=True)
        with transaction.atomic():
            batch = upload.save()
            import_check_start(batch)
        return Response(self.shown(batch), status=status.HTTP_201_CREATED)

    def shown(self, batch: ImportBatch) -> dict:
        return ImportBatchSerializer(self.get_queryset().get(pk=batch.pk), context=self.get_serializer_context()).data

    @extend_schema(
        parameters=[OpenApiParameter("action", enum=RowAction.values)],
        responses=ImportRowSerializer(many=True),
    )
    @action(detail=True, methods=["get"], filterset_class=None)
    def rows(self, request, pk=None):
        batch = self.get_object()
        rows = scope(request.user, ImportRow).filter(batch=batch).order_by("row_number")
        wanted = request.query_params.get("action")
        if wanted:
            if wanted not in RowAction.values:
                raise serializers.ValidationError({"action": _("Choose one of: %s.") % ", ".join(RowAction.values)})
            rows = rows.filter(action=wanted)
        page = self.paginate_queryset(rows)
        return self.get_paginated_response(ImportRowSerializer(page, many=True).data)

    @extend_schema(request=ImportMappingSerializer, responses=ImportBatchSerializer)
    @action(detail=True, methods=["post"], filterset_class=None)
    def mapping(self, request, pk=None):
        """Check the file again with these columns (field name -> header text)."""
        batch = self.get_object()
        body = ImportMappingSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        batch = import_batch_remap(batch=batch, user=request.user, columns=body.validated_data["columns"])
        import_check_start(batch)
        batch.refresh_from_db()
        return Response(self.shown(batch))

    @extend_schema(request=None, responses=ImportBatchSerializer)
    @action(detail=True, methods=["post"], filterset_class=None)
    def confirm(self, request, pk=None):
        """Write a checked file without errors, whole; a file with errors answers 400."""
        batch = self.get_object()
        with transaction.atomic():
            batch = import_batch_confirm(batch=batch, user=request.user)
            import_write_start(batch)
        return Response(self.shown(batch))
