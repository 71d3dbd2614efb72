from django.conf import settings
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from datahub.kinds import SPECS
from datahub.models import NETWORK_KINDS, ImportBatch, ImportKind, ImportRow, SourceKind
from datahub.services import import_batch_upload
from dealerops.access import can_see_phone
from dealerops.api import DealerEntrySerializer
from dealerops.privacy import mask_phones_in


class ImportBatchListSerializer(serializers.ModelSerializer):
    """An import in a list: its counts and state, without the file's headers (one file could
    otherwise make every page of the list as large as itself)."""

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


class ImportBatchSerializer(ImportBatchListSerializer):
    """One import, with the file's header texts (masked like every phone for a role that may
    not see whole numbers: a file without a header row has a customer's row there)."""

    file_headers = serializers.SerializerMethodField()

    class Meta(ImportBatchListSerializer.Meta):
        fields = [*ImportBatchListSerializer.Meta.fields, "file_headers"]
        read_only_fields = fields

    def get_file_headers(self, batch: ImportBatch) -> list[str]:
        headers = batch.file_headers[: settings.UPLOAD_MAX_COLUMNS]  # files stored before the limit
        if can_see_phone(self.context["request"].user):
            return headers
        return [mask_phones_in(header) for header in headers]


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
    """multipart/form-data: the dealer (a dealer user's own by default; none for a file of the
    whole network, e.g. ``city_markets``, head office's), what the file holds, where it comes
    from, and the file."""

    kind = serializers.ChoiceField(choices=ImportKind.choices)
    source = serializers.ChoiceField(choices=SourceKind.choices)
    system_name = serializers.CharField(max_length=64)
    file = serializers.FileField()

    def validate_kind(self, kind: str) -> str:
        if kind not in SPECS:
            raise serializers.ValidationError(_("Files of this kind cannot be imported yet."))
        return kind

    def validate(self, attrs):
        if attrs.get("kind") in NETWORK_KINDS:
            # No dealer to default to: the service refuses one given, and a role that may not write the table.
            attrs.setdefault("dealer", None)
            return attrs
        return super().validate(attrs)

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
