from django.conf import settings
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from datahub.kinds import SPECS
from datahub.models import ImportBatch, ImportKind, ImportRow, SourceKind
from datahub.services import import_batch_upload
from dealerops.api import DealerEntrySerializer


class ImportBatchSerializer(serializers.ModelSerializer):
    class Meta:
        model = ImportBatch
        fields = [
            "id",
            "dealer",
            "kind",
            "source",
            "system_name",
            "file_name",
            "status",
            "columns",
            "file_headers",
            "file_errors",
            "error",
            "rows_total",
            "rows_checked",
            "rows_create",
            "rows_update",
            "rows_unchanged",
            "rows_error",
            "created_by",
            "created_at",
            "confirmed_by",
            "confirmed_at",
            "finished_at",
        ]
        read_only_fields = fields


class ImportRowSerializer(serializers.ModelSerializer):
    errors = serializers.ListField(
        child=serializers.ListField(child=serializers.CharField(), min_length=2, max_length=2),
        help_text="[column, message] pairs.",
        read_only=True,
    )

    class Meta:
        model = ImportRow
        fields = ["row_number", "action", "natural_key", "object_id", "errors"]


class ImportUploadSerializer(DealerEntrySerializer):
    """multipart/form-data: the dealer (a dealer user's own by default), what the file holds,
    where it comes from, and the file."""

    kind = serializers.ChoiceField(choices=ImportKind.choices)
    source = serializers.ChoiceField(choices=SourceKind.choices)
    system_name = serializers.CharField(max_length=64)
    file = serializers.FileField()

    def validate_kind(self, kind: str) -> str:
        if kind not in SPECS:
            raise serializers.ValidationError(_("Files of this kind cannot be imported yet."))
        return kind

    def validate_file(self, upload):
        if upload.size > settings.IMPORT_MAX_BYTES:
            raise serializers.ValidationError(
                _("The file is %(size)s KB; imports up to %(limit)s KB are accepted.")
                % {"size": upload.size // 1024, "limit": settings.IMPORT_MAX_BYTES // 1024}
            )
        return upload

    def save(self, **kwargs) -> ImportBatch:
        upload = self.validated_data["file"]
        return import_batch_upload(
            user=self.context["request"].user,
            dealer=self.validated_data["dealer"],
            kind=self.validated_data["kind"],
            source=self.validated_data["source"],
            system_name=self.validated_data["system_name"],
            file_name=upload.name,
            content=upload.read(),
        )


class ImportMappingSerializer(serializers.Serializer):
    columns = serializers.DictField(
        child=serializers.CharField(allow_blank=True), help_text="Field name to the file's header text."
    )
