from rest_framework import serializers

from inventory.models import Position, PositionSource
from inventory.tracking.services import PositionIn, positions_record


class PositionSerializer(serializers.ModelSerializer):
    vin = serializers.CharField(source="stock_unit.vin", read_only=True)

    class Meta:
        model = Position
        fields = ["id", "stock_unit", "vin", "recorded_at", "latitude", "longitude", "speed_kmh", "note", "source"]


class PositionInSerializer(serializers.Serializer):
    vin = serializers.CharField(max_length=17)
    recorded_at = serializers.DateTimeField()
    latitude = serializers.DecimalField(max_digits=9, decimal_places=6)
    longitude = serializers.DecimalField(max_digits=9, decimal_places=6)
    speed_kmh = serializers.DecimalField(max_digits=5, decimal_places=1, required=False, allow_null=True)
    note = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


class PositionBatchSerializer(serializers.Serializer):
    """A carrier's or tracker gateway's batch: ``{"positions": [{vin, recorded_at, latitude,
    longitude, speed_kmh, note}, …]}``, recorded all or none; a position already recorded (the
    same unit and time) is counted as repeated and left as it was."""

    positions = PositionInSerializer(many=True, allow_empty=False, max_length=10_000)

    def create(self, validated_data):
        return positions_record(
            positions=[PositionIn(**position) for position in validated_data["positions"]], source=PositionSource.API
        )


class PositionsRecordedSerializer(serializers.Serializer):
    written = serializers.IntegerField()
    repeated = serializers.IntegerField()
