from rest_framework import serializers

from inventory.transfers.models import Transfer


class TransferSerializer(serializers.ModelSerializer):
    vin = serializers.CharField(source="stock_unit.vin", read_only=True)

    class Meta:
        model = Transfer
        fields = [
            "id",
            "stock_unit",
            "vin",
            "from_dealer",
            "to_dealer",
            "status",
            "distance_km",
            "cost",
            "eta",
            "plan",
            "proposed_at",
            "decided_at",
            "arrived_on",
        ]
        read_only_fields = fields


class TransferStepSerializer(serializers.Serializer):
    """A step's input: ``eta`` to confirm, ``arrived_on`` for an arrival (ISO dates)."""

    eta = serializers.CharField(required=False)
    arrived_on = serializers.CharField(required=False)
