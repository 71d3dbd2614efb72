from rest_framework import serializers

from channels.models import Dealer, HealthMetricScore, HealthScore, Lead, LeadOutcome, Region
from channels.services import lead_follow_up


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
        ]


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
