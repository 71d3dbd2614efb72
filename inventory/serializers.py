from rest_framework import serializers

from customers.models import Customer
from customers.serializers import CustomerSummarySerializer
from dealerops.api import DealerEntrySerializer, ScopedPrimaryKeyField
from finance.models import ENTRY_STATUS_CHOICES, MAX_TERM_MONTHS, MIN_TERM_MONTHS, CreditGrade, Lender, LoanStatus
from finance.services.loans import LoanTerms, loan_sale_record
from inventory.alerts import stock_alert_rule_create
from inventory.models import (
    COLOUR_MAX_LENGTH,
    Forecast,
    Payment,
    Sale,
    StockAlert,
    StockAlertRule,
    StockUnit,
    VehicleModel,
    vin_validator,
)
from inventory.services import stock_arrival_record


class VehicleModelSerializer(serializers.ModelSerializer):
    class Meta:
        model = VehicleModel
        fields = [
            "id",
            "code",
            "brand",
            "series",
            "trim",
            "powertrain",
            "msrp",
            "guide_price_floor",
            "dealer_invoice_cost",
            "launch_date",
        ]


class StockUnitSerializer(serializers.ModelSerializer):
    class Meta:
        model = StockUnit
        fields = ["id", "vin", "model", "colour", "dealer", "status", "ordered_on", "eta", "arrived_on"]


class StockArrivalSerializer(DealerEntrySerializer):
    vin = serializers.CharField(max_length=17, min_length=17, validators=[vin_validator])
    model = serializers.PrimaryKeyRelatedField(queryset=VehicleModel.objects.all())
    arrived_on = serializers.DateField()
    ordered_on = serializers.DateField(required=False, allow_null=True)
    colour = serializers.CharField(max_length=COLOUR_MAX_LENGTH, required=False, allow_blank=True, default="")

    def create(self, validated_data) -> StockUnit:
        return stock_arrival_record(**validated_data)


class SaleSerializer(serializers.ModelSerializer):
    vin = serializers.CharField(source="stock_unit.vin", read_only=True)
    customer = CustomerSummarySerializer(read_only=True)

    class Meta:
        model = Sale
        fields = [
            "id",
            "stock_unit",
            "vin",
            "dealer",
            "customer",
            "salesperson",
            "sold_on",
            "transaction_price",
            "payment",
            "registered_city",
            "recorded_at",
        ]


class LoanTermsSerializer(serializers.Serializer):
    reference = serializers.CharField(max_length=32)
    lender = serializers.PrimaryKeyRelatedField(queryset=Lender.objects.all())
    down_payment = serializers.DecimalField(max_digits=12, decimal_places=2, min_value=0)
    annual_rate = serializers.DecimalField(max_digits=7, decimal_places=6)
    buy_rate = serializers.DecimalField(max_digits=7, decimal_places=6, required=False, allow_null=True)
    term_months = serializers.IntegerField(min_value=MIN_TERM_MONTHS, max_value=MAX_TERM_MONTHS)
    credit_grade = serializers.ChoiceField(choices=CreditGrade.choices)
    applied_on = serializers.DateField()
    status = serializers.ChoiceField(choices=ENTRY_STATUS_CHOICES, default=LoanStatus.APPLIED)
    disbursed_on = serializers.DateField(required=False, allow_null=True)


class SaleEntrySerializer(DealerEntrySerializer):
    """A sale of a unit in stock; ``loan`` is required exactly when payment is "loan"."""

    stock_unit = ScopedPrimaryKeyField(model=StockUnit)
    customer = ScopedPrimaryKeyField(model=Customer)
    salesperson = serializers.CharField(max_length=64)
    sold_on = serializers.DateField()
    transaction_price = serializers.DecimalField(max_digits=12, decimal_places=2)
    payment = serializers.ChoiceField(choices=Payment.choices)
    registered_city = serializers.CharField(max_length=32)
    loan = LoanTermsSerializer(required=False, allow_null=True)

    def create(self, validated_data) -> Sale:
        loan = validated_data.pop("loan", None)
        terms = LoanTerms(**loan) if loan else None
        return loan_sale_record(loan_terms=terms, entered_by=self.context["request"].user, **validated_data)


class ForecastSerializer(serializers.ModelSerializer):
    """A forecast row: expected units (a float: a rate, not a count) of a model at a dealer in
    a target week, with its 80 % interval where the method gives one."""

    week = serializers.DateField(source="run.week", read_only=True)

    class Meta:
        model = Forecast
        fields = ["id", "week", "dealer", "model", "target_week", "units", "lo", "hi", "method", "series_class"]


class StockAlertRuleSerializer(serializers.ModelSerializer):
    class Meta:
        model = StockAlertRule
        fields = ["id", "name", "kind", "threshold", "powertrain", "msrp_from", "msrp_below", "active"]


class StockAlertRuleWriteSerializer(serializers.ModelSerializer):
    """Head office's new rule; the model's validators name the field (a negative threshold: ``threshold``)."""

    class Meta:
        model = StockAlertRule
        fields = ["name", "kind", "threshold", "powertrain", "msrp_from", "msrp_below", "active"]

    def create(self, validated_data):
        return stock_alert_rule_create(**validated_data)


class StockAlertSerializer(serializers.ModelSerializer):
    rule_name = serializers.CharField(source="rule.name", read_only=True)
    kind = serializers.CharField(source="rule.kind", read_only=True)

    class Meta:
        model = StockAlert
        fields = [
            "id",
            "dealer",
            "model",
            "rule",
            "rule_name",
            "kind",
            "metric_value",
            "threshold",
            "status",
            "opened_at",
            "updated_at",
            "acknowledged_at",
            "acknowledged_by",
            "resolved_at",
            "resolved_by",
        ]
