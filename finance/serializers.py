from django.conf import settings
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from dealerops.api import ScopedPrimaryKeyField
from finance.models import (
    LOAN_TRANSITIONS,
    ClawbackStep,
    CommissionEntry,
    CommissionPolicy,
    CommissionTier,
    Lender,
    LenderStatement,
    Loan,
    LoanStatusReport,
    StatementLine,
)
from finance.selectors import loan_pending_report
from finance.services.loans import LoanTerms, loan_create
from finance.services.reconciliation import lender_statement_upload
from inventory.models import Sale
from inventory.serializers import LoanTermsSerializer


class LenderSerializer(serializers.ModelSerializer):
    class Meta:
        model = Lender
        fields = ["id", "code", "name", "kind"]


class LoanStatusReportSerializer(serializers.ModelSerializer):
    """A dealer's reported move awaiting finance's confirmation."""

    reported_by = serializers.CharField(source="reported_by.username")
    reported_at = serializers.DateTimeField(source="created_at")

    class Meta:
        model = LoanStatusReport
        fields = ["status", "on", "reported_by", "reported_at"]


class LoanSerializer(serializers.ModelSerializer):
    awaiting_confirmation = serializers.SerializerMethodField(
        help_text="A move the dealer reported that finance has not confirmed yet (the status is unchanged until then)."
    )

    @extend_schema_field(LoanStatusReportSerializer(allow_null=True))
    def get_awaiting_confirmation(self, loan: Loan) -> dict | None:
        pending = getattr(loan, "pending_reports", None)  # prefetched by the viewset
        report = pending[0] if pending else None if pending is not None else loan_pending_report(loan)
        return LoanStatusReportSerializer(report).data if report else None

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
            "awaiting_confirmation",
        ]


class LoanEntrySerializer(LoanTermsSerializer):
    """A loan for an existing loan sale the user may see; the principal follows from the price."""

    sale = ScopedPrimaryKeyField(model=Sale)

    def create(self, validated_data) -> Loan:
        sale = validated_data.pop("sale")
        return loan_create(sale=sale, terms=LoanTerms(**validated_data), entered_by=self.context["request"].user)


class LoanStatusChangeSerializer(serializers.Serializer):
    """A loan's next status and the day it happened (disbursed, or closed)."""

    status = serializers.ChoiceField(
        choices=[(new.value, new.label) for new in dict.fromkeys(new for _, new in LOAN_TRANSITIONS)]
    )
    on = serializers.DateField(help_text="The disbursement day, or the closing day for a closed loan.")


class LoanStatusRejectSerializer(serializers.Serializer):
    note = serializers.CharField(max_length=200, required=False, allow_blank=True, help_text="Why the move is refused.")


class CommissionTierSerializer(serializers.ModelSerializer):
    class Meta:
        model = CommissionTier
        fields = ["credit_grade", "term_band", "ratio", "amount"]


class ClawbackStepSerializer(serializers.ModelSerializer):
    class Meta:
        model = ClawbackStep
        fields = ["within_days", "share"]


class CommissionPolicySerializer(serializers.ModelSerializer):
    tiers = CommissionTierSerializer(many=True, read_only=True)
    clawback_steps = ClawbackStepSerializer(many=True, read_only=True)

    class Meta:
        model = CommissionPolicy
        fields = [
            "id",
            "lender",
            "version",
            "basis",
            "ratio",
            "amount",
            "max_markup",
            "cap_per_loan",
            "min_principal",
            "effective_from",
            "effective_to",
            "tiers",
            "clawback_steps",
            "note",
        ]


class CommissionEntrySerializer(serializers.ModelSerializer):
    period = serializers.StringRelatedField(help_text="The month it is booked in, YYYY-MM.")

    class Meta:
        model = CommissionEntry
        fields = [
            "id",
            "kind",
            "period",
            "event_on",
            "loan",
            "dealer",
            "lender",
            "policy",
            "amount",
            "basis",
            "principal",
            "annual_rate",
            "buy_rate",
            "term_months",
            "credit_grade",
            "ratio",
            "capped",
            "clawback_share",
            "days_on_book",
            "original",
            "reason",
            "note",
            "statement_reference",
            "created_at",
        ]


class LedgerFiguresSerializer(serializers.Serializer):
    """Ledger sums: net = accrued + clawed back + adjusted; outstanding = net − received."""

    entries = serializers.IntegerField()
    accrued = serializers.DecimalField(max_digits=16, decimal_places=2)
    clawed_back = serializers.DecimalField(max_digits=16, decimal_places=2)
    adjusted = serializers.DecimalField(max_digits=16, decimal_places=2)
    net = serializers.DecimalField(max_digits=16, decimal_places=2)
    received = serializers.DecimalField(max_digits=16, decimal_places=2)
    outstanding = serializers.DecimalField(max_digits=16, decimal_places=2)


class LedgerTotalsSerializer(LedgerFiguresSerializer):
    """One group of a ledger summary; ``group`` holds the grouping values (ids and names)."""

    group = serializers.DictField()


class MatchTotalsSerializer(serializers.Serializer):
    """One category of a reconciliation (``status`` empty for the overall total)."""

    status = serializers.CharField()
    label = serializers.CharField()
    lines = serializers.IntegerField()
    statement_amount = serializers.DecimalField(max_digits=16, decimal_places=2)
    ledger_amount = serializers.DecimalField(max_digits=16, decimal_places=2)
    difference = serializers.DecimalField(max_digits=16, decimal_places=2)


class LenderStatementSerializer(serializers.ModelSerializer):
    class Meta:
        model = LenderStatement
        fields = [
            "id",
            "lender",
            "reference",
            "first_month",
            "last_month",
            "line_count",
            "total_amount",
            "file_name",
            "uploaded_by",
            "created_at",
        ]


class LenderStatementResultSerializer(LenderStatementSerializer):
    """A statement with its reconciliation totals per category and overall."""

    categories = MatchTotalsSerializer(many=True, read_only=True)
    total = MatchTotalsSerializer(read_only=True)

    class Meta(LenderStatementSerializer.Meta):
        fields = [*LenderStatementSerializer.Meta.fields, "categories", "total"]


class LenderStatementUploadSerializer(serializers.Serializer):
    """multipart/form-data: the lender's id, the statement's reference and the file."""

    lender = ScopedPrimaryKeyField(model=Lender)
    reference = serializers.CharField(max_length=64)
    file = serializers.FileField()

    def validate_file(self, upload):
        if upload.size > settings.LENDER_STATEMENT_MAX_BYTES:
            raise serializers.ValidationError(
                _("The file is %(size)s KB; statements up to %(limit)s KB are accepted.")
                % {"size": upload.size // 1024, "limit": settings.LENDER_STATEMENT_MAX_BYTES // 1024}
            )
        return upload

    def save(self, **kwargs) -> LenderStatement:
        upload = self.validated_data["file"]
        return lender_statement_upload(
            lender=self.validated_data["lender"],
            reference=self.validated_data["reference"],
            content=upload.read(),
            file_name=upload.name,
            uploaded_by=self.context["request"].user,
        )


class StatementLineSerializer(serializers.ModelSerializer):
    difference = serializers.DecimalField(
        max_digits=12,
        decimal_places=2,
        read_only=True,
        help_text="Statement amount minus ledger amount (what is still owed on the loan).",
    )

    class Meta:
        model = StatementLine
        fields = [
            "id",
            "status",
            "row_number",
            "loan_reference",
            "loan",
            "month",
            "amount",
            "ledger_amount",
            "difference",
            "received_elsewhere",
        ]


class ReceiptPostingRequestSerializer(serializers.Serializer):
    include_differing = serializers.BooleanField(
        default=False, help_text="Also book the lines whose amount differs, at the lender's amount."
    )


class ReceiptPostingSerializer(serializers.Serializer):
    booked = serializers.IntegerField()
    amount = serializers.DecimalField(max_digits=16, decimal_places=2)
    period = serializers.CharField()
    over_owed = serializers.IntegerField(help_text="Lines not booked: more than is still owed on their loan.")


class LedgerReportRowSerializer(serializers.Serializer):
    month = serializers.DateField()
    period = serializers.IntegerField(source="period_id")
    dealer = serializers.IntegerField(source="dealer_id")
    dealer_code = serializers.CharField()
    dealer_name = serializers.CharField(source="dealer")
    lender = serializers.IntegerField(source="lender_id")
    lender_name = serializers.CharField(source="lender")
    figures = LedgerFiguresSerializer(source="totals")


class ReportRangeSerializer(serializers.Serializer):
    first_month = serializers.DateField()
    last_month = serializers.DateField()


class LedgerReportSerializer(ReportRangeSerializer):
    """One page of rows (period × dealer × lender) and the totals of all of them."""

    count = serializers.IntegerField()
    page = serializers.IntegerField()
    pages = serializers.IntegerField()
    total = LedgerFiguresSerializer()
    results = LedgerReportRowSerializer(many=True)


class LenderPayableSerializer(serializers.Serializer):
    lender = serializers.IntegerField(source="lender_id")
    lender_name = serializers.CharField(source="lender")
    figures = LedgerFiguresSerializer(source="totals")


class PayablesReportSerializer(ReportRangeSerializer):
    total = LedgerFiguresSerializer()
    results = LenderPayableSerializer(many=True)


class PenetrationRowSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="key", allow_null=True)
    code = serializers.CharField()
    name = serializers.CharField()
    sales = serializers.IntegerField()
    loan_sales = serializers.IntegerField()
    penetration = serializers.DecimalField(
        max_digits=5, decimal_places=4, allow_null=True, help_text="Loan sales / sales, a fraction."
    )
    loans = serializers.IntegerField(help_text="Loans disbursed in the range.")
    net_commission = serializers.DecimalField(max_digits=16, decimal_places=2)
    commission_per_loan = serializers.DecimalField(max_digits=16, decimal_places=2, allow_null=True)


class PenetrationReportSerializer(ReportRangeSerializer):
    total = PenetrationRowSerializer()
    regions = PenetrationRowSerializer(many=True, help_text="Empty for dealer users, who see their dealer only.")
    dealers = PenetrationRowSerializer(many=True)


class RiskRowSerializer(serializers.Serializer):
    key = serializers.CharField()
    label = serializers.CharField()
    loans = serializers.IntegerField(help_text="Loans disbursed in the range.")
    defaulted = serializers.IntegerField()
    default_rate = serializers.DecimalField(max_digits=5, decimal_places=4, allow_null=True)
    paid_off_early = serializers.IntegerField()
    early_payoff_rate = serializers.DecimalField(max_digits=5, decimal_places=4, allow_null=True)
    clawed_back = serializers.DecimalField(max_digits=16, decimal_places=2)
    live_loans = serializers.IntegerField(help_text="Loans still running on the as-of day.")
    exposure = serializers.DecimalField(
        max_digits=16, decimal_places=2, help_text="Amortised principal outstanding of the live loans on the as-of day."
    )


class RiskReportSerializer(ReportRangeSerializer):
    as_of = serializers.DateField()
    total = RiskRowSerializer()
    by_lender = RiskRowSerializer(many=True)
    by_credit_grade = RiskRowSerializer(many=True)
    by_term_band = RiskRowSerializer(many=True)
