from rest_framework import serializers

from customers.models import Customer, Inquiry, ServiceVisit, phone_validator
from customers.services import customer_upsert, service_visit_record
from dealerops.access import can_see_phone
from dealerops.api import DealerEntrySerializer, ScopedPrimaryKeyField


class PhoneByRoleMixin(serializers.Serializer):
    phone = serializers.SerializerMethodField()

    def get_phone(self, customer: Customer) -> str:
        """Whole for the customer's dealer and head office; 138****1234 for everyone else."""
        return customer.phone if can_see_phone(self.context["request"].user) else customer.masked_phone


class CustomerSummarySerializer(PhoneByRoleMixin, serializers.ModelSerializer):
    class Meta:
        model = Customer
        fields = ["id", "name", "phone"]


class CustomerSerializer(PhoneByRoleMixin, serializers.ModelSerializer):
    class Meta:
        model = Customer
        fields = ["id", "home_dealer", "name", "phone", "city", "latitude", "longitude", "marketing_consent"]


class CustomerEntrySerializer(DealerEntrySerializer):
    """Creates the dealer's customer, or updates the one with the same phone."""

    name = serializers.CharField(max_length=64)
    phone = serializers.CharField(max_length=11, validators=[phone_validator])
    city = serializers.CharField(max_length=32)
    marketing_consent = serializers.BooleanField(default=False)

    def create(self, validated_data) -> Customer:
        return customer_upsert(**validated_data)


class ServiceVisitSerializer(serializers.ModelSerializer):
    class Meta:
        model = ServiceVisit
        fields = ["id", "customer", "dealer", "visited_on", "kind", "amount", "satisfaction"]


class ServiceVisitEntrySerializer(DealerEntrySerializer):
    customer = ScopedPrimaryKeyField(model=Customer)
    visited_on = serializers.DateField()
    kind = serializers.ChoiceField(choices=ServiceVisit._meta.get_field("kind").choices)
    amount = serializers.DecimalField(max_digits=12, decimal_places=2, min_value=0)
    satisfaction = serializers.IntegerField(min_value=1, max_value=5, required=False, allow_null=True)

    def create(self, validated_data) -> ServiceVisit:
        return service_visit_record(**validated_data)


class InquirySerializer(serializers.ModelSerializer):
    class Meta:
        model = Inquiry
        fields = ["id", "customer", "dealer", "kind", "category", "text", "opened_at", "status", "resolved_at"]
