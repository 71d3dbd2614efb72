"""Summary tables the finance reports and the finance home read instead of millions of rows.

Each is kept exact by statement-level triggers on the table it sums (finance.summary_sql), in
the transaction that changes the rows: the commission posting, adjustments, receipts, loan
services, the data hub's imports and the nightly jobs all write through them. Where the
database's triggers were bypassed (the synthetic generator's COPY), ``summaries_rebuild``
recomputes them set-based. Nothing here is written by the ORM.

``ExposureSnapshot`` is the exception: a loan's balance depends on the day it is looked at, so
the nightly job ``finance.refresh_exposure`` stores the picture of given days, and the risk
report says when it was taken.
"""

from django.db import models

from channels.models import Dealer, Region
from finance.models.commissions import CommissionPeriod
from finance.models.loans import Lender

SUM = {"max_digits": 18, "decimal_places": 2}


class LedgerSummary(models.Model):
    """The ledger per period × dealer × lender: entries and amount of each kind."""

    period = models.ForeignKey(CommissionPeriod, on_delete=models.CASCADE, related_name="+", db_index=False)
    month = models.DateField()
    dealer = models.ForeignKey(Dealer, on_delete=models.CASCADE, related_name="+", db_index=False)
    lender = models.ForeignKey(Lender, on_delete=models.CASCADE, related_name="+", db_index=False)
    accruals = models.IntegerField(default=0)
    accrued = models.DecimalField(**SUM, default=0)
    clawbacks = models.IntegerField(default=0)
    clawed_back = models.DecimalField(**SUM, default=0)
    adjustments = models.IntegerField(default=0)
    adjusted = models.DecimalField(**SUM, default=0)
    receipts = models.IntegerField(default=0)
    received = models.DecimalField(**SUM, default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["period", "dealer", "lender"], name="ledger_summary_one_per_cell"),
        ]
        indexes = [
            models.Index(fields=["month", "dealer", "lender"], name="ledger_summary_month"),
            models.Index(fields=["dealer", "month"], name="ledger_summary_dealer"),
        ]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} dealer {self.dealer_id} lender {self.lender_id}"


class LedgerRollup(models.Model):
    """The ledger per period × region × lender: the sums of its LedgerSummary cells, and how
    many cells there are (``cells``) and hold entries of each kind (the ledger report's rows)."""

    period = models.ForeignKey(CommissionPeriod, on_delete=models.CASCADE, related_name="+", db_index=False)
    month = models.DateField()
    region = models.ForeignKey(Region, on_delete=models.CASCADE, related_name="+", db_index=False)
    lender = models.ForeignKey(Lender, on_delete=models.CASCADE, related_name="+", db_index=False)
    accruals = models.IntegerField(default=0)
    accrued = models.DecimalField(**SUM, default=0)
    clawbacks = models.IntegerField(default=0)
    clawed_back = models.DecimalField(**SUM, default=0)
    adjustments = models.IntegerField(default=0)
    adjusted = models.DecimalField(**SUM, default=0)
    receipts = models.IntegerField(default=0)
    received = models.DecimalField(**SUM, default=0)
    cells = models.IntegerField(default=0)
    accrual_cells = models.IntegerField(default=0)
    clawback_cells = models.IntegerField(default=0)
    adjustment_cells = models.IntegerField(default=0)
    receipt_cells = models.IntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["period", "region", "lender"], name="ledger_rollup_one_per_cell"),
        ]
        indexes = [models.Index(fields=["month"], name="ledger_rollup_month")]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} region {self.region_id} lender {self.lender_id}"


class ClawbackSummary(models.Model):
    """Clawbacks per period × region × lender × credit grade × term band (the risk view)."""

    period = models.ForeignKey(CommissionPeriod, on_delete=models.CASCADE, related_name="+", db_index=False)
    month = models.DateField()
    region = models.ForeignKey(Region, on_delete=models.CASCADE, related_name="+", db_index=False)
    lender = models.ForeignKey(Lender, on_delete=models.CASCADE, related_name="+", db_index=False)
    credit_grade = models.CharField(max_length=1)
    term_band = models.CharField(max_length=8)
    clawbacks = models.IntegerField(default=0)
    clawed_back = models.DecimalField(**SUM, default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["period", "region", "lender", "credit_grade", "term_band"], name="clawback_summary_one_per_cell"
            ),
        ]
        indexes = [models.Index(fields=["month"], name="clawback_summary_month")]

    def __str__(self) -> str:
        return (
            f"{self.month:%Y-%m} region {self.region_id} lender {self.lender_id} {self.credit_grade}/{self.term_band}"
        )


class DealerMonthSummary(models.Model):
    """Per month × dealer (finance penetration): sales and those paid by loan (by sale day),
    loans disbursed (by disbursement day) and the net commission booked (by ledger period)."""

    month = models.DateField()
    dealer = models.ForeignKey(Dealer, on_delete=models.CASCADE, related_name="+", db_index=False)
    sales = models.IntegerField(default=0)
    loan_sales = models.IntegerField(default=0)
    loans = models.IntegerField(default=0)
    net_commission = models.DecimalField(**SUM, default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["month", "dealer"], name="dealer_month_summary_one_per_cell")]
        indexes = [models.Index(fields=["dealer", "month"], name="dealer_month_summary_dealer")]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} dealer {self.dealer_id}"


class DisbursementSummary(models.Model):
    """Disbursed loans per disbursement month × dealer × lender: how many, their principal and
    the sum of their rates (for the average). Loans keep counting here whatever they closed as."""

    month = models.DateField()
    dealer = models.ForeignKey(Dealer, on_delete=models.CASCADE, related_name="+", db_index=False)
    lender = models.ForeignKey(Lender, on_delete=models.CASCADE, related_name="+", db_index=False)
    loans = models.IntegerField(default=0)
    principal = models.DecimalField(**SUM, default=0)
    rate_sum = models.DecimalField(max_digits=18, decimal_places=6, default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["month", "dealer", "lender"], name="disbursement_summary_one_per_cell")
        ]
        indexes = [models.Index(fields=["dealer", "month"], name="disbursement_summary_dealer")]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} dealer {self.dealer_id} lender {self.lender_id}"


class LoanOutcomeSummary(models.Model):
    """Disbursed loans per disbursement month × region × lender × credit grade × term band ×
    status × closing month (none while open): the risk view's cohorts and their outcomes."""

    month = models.DateField()
    region = models.ForeignKey(Region, on_delete=models.CASCADE, related_name="+", db_index=False)
    lender = models.ForeignKey(Lender, on_delete=models.CASCADE, related_name="+", db_index=False)
    credit_grade = models.CharField(max_length=1)
    term_band = models.CharField(max_length=8)
    status = models.CharField(max_length=16)
    closed_month = models.DateField(null=True)
    loans = models.IntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["month", "region", "lender", "credit_grade", "term_band", "status", "closed_month"],
                name="loan_outcome_summary_one_per_cell",
                nulls_distinct=False,
            )
        ]
        # The risk view's correction for a past as-of day: the cohorts' loans closed after it.
        indexes = [models.Index(fields=["closed_month"], name="loan_outcome_summary_closed")]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} region {self.region_id} lender {self.lender_id} {self.status}"


class RegionMonthSummary(models.Model):
    """DealerMonthSummary summed per month × region: the penetration report's regions and
    totals, without reading every dealer's months."""

    month = models.DateField()
    region = models.ForeignKey(Region, on_delete=models.CASCADE, related_name="+", db_index=False)
    sales = models.IntegerField(default=0)
    loan_sales = models.IntegerField(default=0)
    loans = models.IntegerField(default=0)
    net_commission = models.DecimalField(**SUM, default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["month", "region"], name="region_month_summary_one_per_cell")]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} region {self.region_id}"


class RiskSummary(models.Model):
    """The network's risk view per month × lender × credit grade × term band: loans disbursed
    in the month and how many of them closed defaulted or paid off early (whenever they
    closed), and the clawbacks booked in the month's period. A few hundred rows a year, where
    LoanOutcomeSummary holds every region and closing month."""

    month = models.DateField()
    lender = models.ForeignKey(Lender, on_delete=models.CASCADE, related_name="+", db_index=False)
    credit_grade = models.CharField(max_length=1)
    term_band = models.CharField(max_length=8)
    loans = models.IntegerField(default=0)
    defaulted = models.IntegerField(default=0)
    paid_off_early = models.IntegerField(default=0)
    clawbacks = models.IntegerField(default=0)
    clawed_back = models.DecimalField(**SUM, default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["month", "lender", "credit_grade", "term_band"], name="risk_summary_one_per_cell"
            )
        ]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} lender {self.lender_id} {self.credit_grade}/{self.term_band}"


class ExposureSnapshot(models.Model):
    """The live loans and their amortised balance on ``as_of``, as computed at ``computed_at``."""

    as_of = models.DateField(unique=True)
    computed_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.as_of}"


class ExposureFigure(models.Model):
    """One cell of a snapshot: region × lender × credit grade × term band."""

    snapshot = models.ForeignKey(ExposureSnapshot, on_delete=models.CASCADE, related_name="figures")
    region = models.ForeignKey(Region, on_delete=models.CASCADE, related_name="+", db_index=False)
    lender = models.ForeignKey(Lender, on_delete=models.CASCADE, related_name="+", db_index=False)
    credit_grade = models.CharField(max_length=1)
    term_band = models.CharField(max_length=8)
    live_loans = models.IntegerField()
    exposure = models.DecimalField(**SUM)

    def __str__(self) -> str:
        return f"{self.snapshot_id} region {self.region_id} lender {self.lender_id}"
