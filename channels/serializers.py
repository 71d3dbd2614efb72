from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework import serializers

from channels.models import Dealer, DealerKind, HealthMetricScore, HealthScore, Lead, LeadOutcome, LeadSource, Region
from channels.routing.services import NewLead, lead_create
from channels.services import lead_follow_up
from dealerops.models import Role
from inventory.models import VehicleModel


class RegionSerializer(serializers.ModelSerializer):
    class Meta:
        model = Region
        fields = ["id", "code", "name"]


class DealerSerializer(serializers.ModelSerializer):
    region = serializers.SlugRelatedField(slug_field="code", read_only=True)

    class Meta:
        model = Dealer
        fields = [
            "id",
            "code",
            "name",
            "kind",
            "parent",
            "status",
            "region",
            "province",
            "city",
            "latitude",
            "longitude",
            "opened_on",
            "sales_headcount",
            "monthly_sales_target",
        ]


class LeadSerializer(serializers.ModelSerializer):
    class Meta:
        model = Lead
        fields = [
            "id",
            "source",
            "customer_city",
            "customer_latitude",
            "customer_longitude",
            "model_of_interest",
            "created_at",
            "dealer",
            "assigned_at",
            "first_contact_at",
            "outcome",
            "converted_sale",
            "channel_preference",
            "online_order",
            "sla_due_at",
            "reassignments",
            "escalated_at",
        ]


class LeadCreateSerializer(serializers.Serializer):
    """A new lead: head office's is routed to the best active dealer, a dealer user's is its
    own (``channels.routing.services``); bad input answers 400 naming the field."""

    source = serializers.ChoiceField(choices=LeadSource.choices)
    customer_city = serializers.CharField(max_length=32)
    customer_latitude = serializers.DecimalField(max_digits=9, decimal_places=6, required=False, allow_null=True)
    customer_longitude = serializers.DecimalField(max_digits=9, decimal_places=6, required=False, allow_null=True)
    model_of_interest = serializers.PrimaryKeyRelatedField(
        queryset=VehicleModel.objects.all(), required=False, allow_null=True
    )
    channel_preference = serializers.ChoiceField(choices=DealerKind.choices, required=False, allow_blank=True)
    online_order = serializers.BooleanField(required=False, default=False)
    customer_name = serializers.CharField(max_length=64, required=False, allow_blank=True, default="")
    customer_phone = serializers.CharField(max_length=11, required=False, allow_blank=True, default="")
    created_at = serializers.DateTimeField(required=False)

    def validate_created_at(self, value):
        if value > timezone.now():
            raise serializers.ValidationError(_("A lead cannot come in the future."))
        return value

    def create(self, validated_data) -> Lead:
        user = self.context["request"].user
        model = validated_data.get("model_of_interest")
        return lead_create(
            lead=NewLead(
                source=validated_data["source"],
                customer_city=validated_data["customer_city"],
                created_at=validated_data.get("created_at") or timezone.now(),
                customer_latitude=validated_data.get("customer_latitude"),
                customer_longitude=validated_data.get("customer_longitude"),
                model_of_interest_id=model.pk if model else None,
                channel_preference=validated_data.get("channel_preference", ""),
                online_order=validated_data["online_order"],
                customer_name=validated_data["customer_name"],
                customer_phone=validated_data["customer_phone"],
                own_dealer_id=user.dealer_id if user.role == Role.DEALER_USER and not user.is_superuser else None,
            )
        )


class LeadFollowUpSerializer(serializers.Serializer):
    first_contact_at = serializers.DateTimeField(required=False)
    outcome = serializers.ChoiceField(choices=LeadOutcome.choices, required=False)

    def update(self, instance: Lead, validated_data) -> Lead:
        return lead_follow_up(lead=instance, **validated_data)


class HealthMetricScoreSerializer(serializers.ModelSerializer):
    class Meta:
        model = HealthMetricScore
        fields = ["metric", "value", "sample", "score", "insufficient"]


class HealthScoreSerializer(serializers.ModelSerializer):
    """A dealer's month: composite, rating, probation flag and the 12 metrics in the issue's order."""

    dealer_code = serializers.CharField(source="dealer.code", read_only=True)
    dealer_name = serializers.CharField(source="dealer.name", read_only=True)
    region = serializers.IntegerField(source="dealer.region_id", read_only=True)
    weights_version = serializers.IntegerField(source="weights.version", read_only=True)
    rating_bands_version = serializers.IntegerField(source="rating_bands.version", read_only=True)
    metrics = HealthMetricScoreSerializer(many=True, read_only=True)

    class Meta:
        model = HealthScore
        fields = [
            "id",
            "dealer",
            "dealer_code",
            "dealer_name",
            "region",
            "month",
            "weights_version",
            "rating_bands_version",
            "dealer_kind",
            "composite",
            "rating",
            "probation",
            "metrics_scored",
            "computed_at",
            "metrics",
        ]
