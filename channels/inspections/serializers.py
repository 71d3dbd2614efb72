from django.urls import reverse
from rest_framework import serializers

from channels.inspections.models import (
    ChecklistItem,
    ChecklistTemplate,
    EvidencePhoto,
    FollowUp,
    FollowUpEvent,
    Inspection,
    InspectionResult,
)
from channels.inspections.services import Decision, inspection_schedule
from channels.models import Dealer
from dealerops.api import ScopedPrimaryKeyField


class ChecklistItemSerializer(serializers.ModelSerializer):
    class Meta:
        model = ChecklistItem
        fields = ["id", "position", "text", "criterion", "weight"]


class ChecklistTemplateSerializer(serializers.ModelSerializer):
    items = ChecklistItemSerializer(many=True, read_only=True)

    class Meta:
        model = ChecklistTemplate
        fields = ["id", "kind", "version", "title", "follow_up_days", "pass_mark", "note", "created_at", "items"]


class EvidencePhotoSerializer(serializers.ModelSerializer):
    """A photo's facts; ``url`` is its page, opened with the same sign-in as the portal."""

    url = serializers.SerializerMethodField()

    class Meta:
        model = EvidencePhoto
        fields = [
            "id",
            "url",
            "content_type",
            "size_bytes",
            "sha256",
            "gps_latitude",
            "gps_longitude",
            "gps_distance_km",
            "taken_at",
            "uploaded_at",
        ]

    def get_url(self, photo: EvidencePhoto) -> str:
        return reverse("channels:inspection-photo", args=[photo.pk])


class InspectionSerializer(serializers.ModelSerializer):
    dealer_code = serializers.CharField(source="dealer.code", read_only=True)
    dealer_name = serializers.CharField(source="dealer.name", read_only=True)
    checklist = serializers.CharField(source="template.kind", read_only=True)
    checklist_version = serializers.IntegerField(source="template.version", read_only=True)
    overdue = serializers.BooleanField(source="is_overdue", read_only=True)

    class Meta:
        model = Inspection
        fields = [
            "id",
            "dealer",
            "dealer_code",
            "dealer_name",
            "template",
            "checklist",
            "checklist_version",
            "due_on",
            "status",
            "overdue",
            "checked_in_at",
            "check_in_latitude",
            "check_in_longitude",
            "check_in_accuracy_m",
            "check_in_distance_km",
            "submitted_at",
            "score",
            "passed",
            "failed_items",
            "closed_at",
        ]


class InspectionResultSerializer(serializers.ModelSerializer):
    item_text = serializers.CharField(source="item.text", read_only=True)
    photo = EvidencePhotoSerializer(read_only=True)

    class Meta:
        model = InspectionResult
        fields = ["item", "item_text", "outcome", "note", "photo"]


class InspectionDetailSerializer(InspectionSerializer):
    """An inspection with its items' results (in the checklist's order)."""

    results = InspectionResultSerializer(many=True, read_only=True)

    class Meta(InspectionSerializer.Meta):
        fields = [*InspectionSerializer.Meta.fields, "results"]


class InspectionScheduleSerializer(serializers.Serializer):
    dealer = ScopedPrimaryKeyField(model=Dealer)
    template = serializers.PrimaryKeyRelatedField(queryset=ChecklistTemplate.objects.all())
    due_on = serializers.DateField()

    def create(self, validated_data) -> Inspection:
        return inspection_schedule(user=self.context["request"].user, **validated_data)


class CheckInSerializer(serializers.Serializer):
    latitude = serializers.DecimalField(max_digits=12, decimal_places=8)
    longitude = serializers.DecimalField(max_digits=12, decimal_places=8)
    accuracy = serializers.IntegerField(min_value=0, required=False, allow_null=True)


class InspectionSubmitSerializer(serializers.Serializer):
    """For the schema: the answers are named by item, ``item-<id>-outcome`` (pass, fail or na),
    ``item-<id>-note`` and ``item-<id>-photo`` (a file: send multipart)."""


class FollowUpEventSerializer(serializers.ModelSerializer):
    by = serializers.CharField(source="by.username", read_only=True)
    photo = EvidencePhotoSerializer(read_only=True)

    class Meta:
        model = FollowUpEvent
        fields = ["action", "by", "at", "note", "photo", "deadline"]


class FollowUpSerializer(serializers.ModelSerializer):
    dealer_name = serializers.CharField(source="dealer.name", read_only=True)
    item = serializers.IntegerField(source="result.item_id", read_only=True)
    item_text = serializers.CharField(source="result.item.text", read_only=True)
    finding = serializers.CharField(source="result.note", read_only=True)
    overdue = serializers.BooleanField(source="is_overdue", read_only=True)

    class Meta:
        model = FollowUp
        fields = [
            "id",
            "inspection",
            "dealer",
            "dealer_name",
            "item",
            "item_text",
            "finding",
            "deadline",
            "status",
            "overdue",
            "closing_note",
            "closed_at",
            "accepted_at",
        ]


class FollowUpDetailSerializer(FollowUpSerializer):
    events = FollowUpEventSerializer(many=True, read_only=True)

    class Meta(FollowUpSerializer.Meta):
        fields = [*FollowUpSerializer.Meta.fields, "events"]


class FollowUpCorrectSerializer(serializers.Serializer):
    note = serializers.CharField(max_length=1000)
    photo = serializers.FileField()


class FollowUpReviewSerializer(serializers.Serializer):
    decision = serializers.ChoiceField(choices=[Decision.ACCEPT, Decision.REOPEN])
    note = serializers.CharField(max_length=1000, required=False, allow_blank=True, default="")
    deadline = serializers.DateField(required=False, allow_null=True, default=None)
