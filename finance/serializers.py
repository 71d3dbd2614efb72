from rest_framework import serializers

from dealerops.api import ScopedPrimaryKeyField
from finance.models import Lender, Loan
from finance.services.loans import LoanTerms, loan_create
from inventory.models import Sale
from inventory.serializers import LoanTermsSerializer


class LenderSerializer(serializers.ModelSerializer):
    class Meta:
        model = Lender
        fields = ["id", "code", "name", "kind"]


class LoanSerializer(serializers.ModelSerializer):
    class Meta:
        model = Loan
        fields = [
            "id",
            "reference",
            "sale",
            "dealer",
            "lender",
            "principal",
            "down_payment",
            "annual_rate",
            "buy_rate",
            "term_months",
            "credit_grade",
            "status",
            "applied_on",
            "disbursed_on",
            "closed_on",
        ]


class LoanEntrySerializer(LoanTermsSerializer):
    """A loan for an existing loan sale the user may see; the principal follows from the price."""

    sale = ScopedPrimaryKeyField(model=Sale)

    def create(self, validated_data) -> Loan:
        sale = validated_data.pop("sale")
        return loan_create(sale=sale, terms=LoanTerms(**validated_data))
