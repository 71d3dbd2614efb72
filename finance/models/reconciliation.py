"""Lender statements and their reconciliation against the commission ledger.

A statement is what a lender says it pays: one line per loan and month. Each stored line
carries the result of matching it against the ledger, so a result page can be reopened and
exported later exactly as it was computed at upload. Lines the ledger has but the statement
omits are stored too (with no row number and no statement amount).

A line is compared with what is still owed on its loan: the net commission less what the
lender already paid for the loan on its other statements, so a loan listed on two statements
is received once (see ``finance.services.reconciliation``).
"""

from django.conf import settings
from django.db import models
from django.db.models import F, Q, Value
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from finance.models.commissions import MONEY
from finance.models.loans import Lender, Loan


class MatchStatus(models.TextChoices):
    MATCHED = "matched", _("Matched")
    DIFFERS = "differs", _("Amount differs")
    # The lender's other statements already paid the loan's net commission in full.
    RECEIVED = "received", _("Already received")
    MISSING = "missing", _("In our ledger, not on the statement")
    UNKNOWN = "unknown", _("On the statement, unknown to us")


class LenderStatement(models.Model):
    """One uploaded statement of a lender; its reference is unique per lender, so the same
    statement cannot be reconciled (or received) twice."""

    lender = models.ForeignKey(Lender, verbose_name=_("lender"), on_delete=models.PROTECT, related_name="statements")
    reference = models.CharField(_("statement reference"), max_length=64)
    first_month = models.DateField(_("first month"))
    last_month = models.DateField(_("last month"))
    file_name = models.CharField(_("file name"), max_length=255)
    line_count = models.PositiveIntegerField(_("lines"))
    total_amount = models.DecimalField(_("statement total"), **MONEY)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("uploaded by"), on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("lender statement")
        verbose_name_plural = _("lender statements")
        constraints = [
            models.UniqueConstraint(
                fields=["lender", "reference"],
                name="statement_reference_unique_per_lender",
                violation_error_message=_("This lender's statement was already uploaded."),
            ),
            models.CheckConstraint(
                name="statement_months_in_order",
                condition=Q(first_month__day=1, last_month__day=1, last_month__gte=F("first_month")),
                violation_error_message=_("A statement covers whole months, first to last."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.lender} {self.reference}"

    def get_absolute_url(self) -> str:
        return reverse("finance:statement-detail", args=[self.pk])

    @property
    def months(self) -> str:
        """2026-10, or 2026-09 – 2026-10 for a statement over several months."""
        first, last = f"{self.first_month:%Y-%m}", f"{self.last_month:%Y-%m}"
        return first if first == last else f"{first} – {last}"


class StatementLine(models.Model):
    """A statement line and how it matched: ``amount`` is the lender's figure (none for a
    loan the statement omits), ``ledger_amount`` what the ledger says is still owed for the
    loan (net commission less ``received_elsewhere``, the receipts booked for it from the
    lender's other statements); both ledger figures are none for an unknown loan."""

    statement = models.ForeignKey(
        LenderStatement,
        verbose_name=_("statement"),
        on_delete=models.CASCADE,
        related_name="lines",
        db_index=False,  # covered by the (statement, status, row) index
    )
    row_number = models.PositiveIntegerField(_("row in file"), null=True, blank=True)
    loan_reference = models.CharField(_("loan reference"), max_length=32)
    month = models.DateField(_("period"))
    loan = models.ForeignKey(
        Loan, verbose_name=_("loan"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    amount = models.DecimalField(_("statement amount"), **MONEY, null=True, blank=True)
    ledger_amount = models.DecimalField(_("ledger amount"), **MONEY, null=True, blank=True)
    # None on lines matched before receipts were taken into account, and for unknown loans.
    received_elsewhere = models.DecimalField(_("received on other statements"), **MONEY, null=True, blank=True)
    difference = models.GeneratedField(
        verbose_name=_("difference"),
        expression=Coalesce(F("amount"), Value(0), output_field=models.DecimalField(**MONEY))
        - Coalesce(F("ledger_amount"), Value(0), output_field=models.DecimalField(**MONEY)),
        output_field=models.DecimalField(**MONEY),
        db_persist=True,
    )
    status = models.CharField(_("result"), max_length=8, choices=MatchStatus.choices)

    class Meta:
        ordering = ["statement", "row_number", "loan_reference"]
        verbose_name = _("statement line")
        verbose_name_plural = _("statement lines")
        indexes = [models.Index(fields=["statement", "status", "row_number"])]
        constraints = [
            models.UniqueConstraint(
                fields=["statement", "loan_reference"], name="statement_line_one_per_loan_reference"
            ),
            models.CheckConstraint(
                name="statement_line_figures_follow_status",
                condition=Q(
                    status__in=["matched", "differs", "received"], amount__isnull=False, ledger_amount__isnull=False
                )
                | Q(status="missing", amount__isnull=True, ledger_amount__isnull=False, row_number__isnull=True)
                | Q(status="unknown", amount__isnull=False, ledger_amount__isnull=True, loan__isnull=True),
                violation_error_message=_("A line's figures do not fit its match result."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.statement} {self.loan_reference} {self.month:%Y-%m}"
