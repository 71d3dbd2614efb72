from rest_framework import serializers

from channels.models import Dealer, Lead, LeadOutcome, Region
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
