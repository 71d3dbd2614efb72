"""Lenders and the car loans dealers arrange with them."""

from decimal import Decimal

import pghistory
import pgtrigger
from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from channels.models import Dealer, TimeStamped
from dealerops.history import event_meta
from dealerops.indexes import search_index, sort_indexes


class LenderKind(models.TextChoices):
    BANK = "bank", _("Bank")
    AUTO_FINANCE = "auto_finance", _("Auto-finance company")
    INSURER_LEASING = "insurer_leasing", _("Insurer or leasing company")


class Lender(TimeStamped):
    code = models.CharField(_("code"), max_length=16, unique=True)
    name = models.CharField(_("name"), max_length=64, unique=True)
    kind = models.CharField(_("kind"), max_length=16, choices=LenderKind.choices)

    class Meta:
        ordering = ["code"]
        verbose_name = _("lender")
        verbose_name_plural = _("lenders")

    def __str__(self) -> str:
        return self.name


class CreditGrade(models.TextChoices):
    A = "A", "A"
    B = "B", "B"
    C = "C", "C"
    D = "D", "D"
    E = "E", "E"


class LoanStatus(models.TextChoices):
    APPLIED = "applied", _("Applied")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")
    DISBURSED = "disbursed", _("Disbursed")
    PAID_OFF_EARLY = "paid_off_early", _("Paid off early")
    DEFAULTED = "defaulted", _("Defaulted")
    MATURED = "matured", _("Matured")


# The statuses a new loan can be entered with; later ones come from status changes.
ENTRY_STATUS_CHOICES = [
    (status.value, status.label) for status in (LoanStatus.APPLIED, LoanStatus.APPROVED, LoanStatus.DISBURSED)
]
DISBURSED_STATUSES = [LoanStatus.DISBURSED, LoanStatus.PAID_OFF_EARLY, LoanStatus.DEFAULTED, LoanStatus.MATURED]
CLOSED_STATUSES = [LoanStatus.PAID_OFF_EARLY, LoanStatus.DEFAULTED, LoanStatus.MATURED]
# The closures that can claw a commission back (a matured loan keeps its commission).
CLAWBACK_STATUSES = [LoanStatus.PAID_OFF_EARLY, LoanStatus.DEFAULTED]
DISBURSED_STATUSES_SQL = ", ".join(f"'{status.value}'" for status in DISBURSED_STATUSES)
CLAWBACK_STATUSES_SQL = ", ".join(f"'{status.value}'" for status in CLAWBACK_STATUSES)
# The only moves a loan's status may make; anything else (defaulted -> disbursed, say) is refused.
LOAN_TRANSITIONS = [
    (LoanStatus.APPLIED, LoanStatus.APPROVED),
    (LoanStatus.APPLIED, LoanStatus.REJECTED),
    (LoanStatus.APPLIED, LoanStatus.DISBURSED),
    (LoanStatus.APPROVED, LoanStatus.REJECTED),
    (LoanStatus.APPROVED, LoanStatus.DISBURSED),
    (LoanStatus.DISBURSED, LoanStatus.PAID_OFF_EARLY),
    (LoanStatus.DISBURSED, LoanStatus.DEFAULTED),
    (LoanStatus.DISBURSED, LoanStatus.MATURED),
]
RATE = {"max_digits": 7, "decimal_places": 6}  # 0.049500 = 4.95 % a year
RATE_VALIDATORS = [MinValueValidator(Decimal("0.000001")), MaxValueValidator(Decimal("0.999999"))]

# China's auto-loan rules cap a car loan at five years.
MIN_TERM_MONTHS = 6
MAX_TERM_MONTHS = 60


def _posting_view(row: str) -> str:
    """What the commission posting reads of a loan ``row``: whether it is disbursed, when, whether
    and when it closed in a way that claws back, and the figures an accrual is computed from.
    A change to any of it may make an accrual or a clawback due (maturing a loan does not)."""
    return (
        f"({row}.status IN ({DISBURSED_STATUSES_SQL}), {row}.disbursed_on, {row}.status IN ({CLAWBACK_STATUSES_SQL}),"
        f" CASE WHEN {row}.status IN ({CLAWBACK_STATUSES_SQL}) THEN {row}.closed_on END, {row}.lender_id,"
        f" {row}.dealer_id, {row}.principal, {row}.annual_rate, {row}.buy_rate, {row}.term_months, {row}.credit_grade)"
    )


@pghistory.track(pghistory.InsertEvent(), pghistory.UpdateEvent(), pghistory.DeleteEvent(), meta=event_meta("loan"))
class Loan(TimeStamped):
    """A car loan on a loan sale. ``dealer`` repeats the sale's dealer (kept equal by a
    trigger) so ledgers and scoping filter on it without a join through sales."""

    reference = models.CharField(_("reference"), max_length=32, unique=True)
    sale = models.ForeignKey("inventory.Sale", verbose_name=_("sale"), on_delete=models.PROTECT, related_name="loans")
    dealer = models.ForeignKey(Dealer, verbose_name=_("dealer"), on_delete=models.PROTECT, related_name="loans")
    lender = models.ForeignKey(Lender, verbose_name=_("lender"), on_delete=models.PROTECT, related_name="loans")
    principal = models.DecimalField(_("principal"), max_digits=12, decimal_places=2)
    down_payment = models.DecimalField(_("down payment"), max_digits=12, decimal_places=2)
    annual_rate = models.DecimalField(
        _("annual rate"),
        **RATE,
        validators=RATE_VALIDATORS,
    )
    buy_rate = models.DecimalField(
        _("lender buy rate"),
        **RATE,
        null=True,
        blank=True,
        validators=RATE_VALIDATORS,
    )
    term_months = models.PositiveSmallIntegerField(
        _("term (months)"), validators=[MinValueValidator(MIN_TERM_MONTHS), MaxValueValidator(MAX_TERM_MONTHS)]
    )
    credit_grade = models.CharField(_("credit grade"), max_length=1, choices=CreditGrade.choices)
    status = models.CharField(_("status"), max_length=16, choices=LoanStatus.choices, default=LoanStatus.APPLIED)
    applied_on = models.DateField(_("applied on"))
    disbursed_on = models.DateField(_("disbursed on"), null=True, blank=True)
    closed_on = models.DateField(_("closed on"), null=True, blank=True)

    class Meta:
        ordering = ["-applied_on", "-id"]
        verbose_name = _("loan")
        verbose_name_plural = _("loans")
        indexes = [
            *sort_indexes("dealer", "applied_on", "disbursed_on", "principal", "annual_rate"),
            models.Index(fields=["lender", "disbursed_on"]),
            models.Index(fields=["status", "closed_on"]),
            search_index("finance_loan", "reference"),
        ]
        constraints = [
            models.CheckConstraint(
                name="loan_money_positive",
                condition=Q(principal__gt=0, down_payment__gte=0),
                violation_error_message=_("The principal must be positive and the down payment not negative."),
            ),
            models.CheckConstraint(
                name="loan_rate_between_0_and_1",
                condition=Q(annual_rate__gt=0, annual_rate__lt=1),
                violation_error_message=_("The annual rate must lie strictly between 0 and 1 (e.g. 0.0495)."),
            ),
            models.CheckConstraint(
                name="loan_buy_rate_between_0_and_1",
                condition=Q(buy_rate__isnull=True) | Q(buy_rate__gt=0, buy_rate__lt=1),
                violation_error_message=_("The buy rate must lie strictly between 0 and 1."),
            ),
            # finance.services.loans.loan_buy_rate_refusal says it with the figures, naming the field.
            models.CheckConstraint(
                name="loan_buy_rate_not_above_rate",
                condition=Q(buy_rate__isnull=True) | Q(buy_rate__lte=F("annual_rate")),
                violation_error_message=_("The lender buy rate cannot be above the loan's annual rate."),
            ),
            models.CheckConstraint(
                name="loan_term_6_to_60_months",
                condition=Q(term_months__gte=MIN_TERM_MONTHS, term_months__lte=MAX_TERM_MONTHS),
                violation_error_message=_("The term must be 6 to 60 months."),
            ),
            models.CheckConstraint(
                name="loan_disbursement_dated",
                condition=Q(status__in=DISBURSED_STATUSES, disbursed_on__isnull=False)
                | (~Q(status__in=DISBURSED_STATUSES) & Q(disbursed_on__isnull=True)),
                violation_error_message=_("A disbursed loan needs its disbursement date; an undisbursed one has none."),
            ),
            models.CheckConstraint(
                name="loan_closure_dated",
                condition=Q(status__in=CLOSED_STATUSES, closed_on__isnull=False)
                | (~Q(status__in=CLOSED_STATUSES) & Q(closed_on__isnull=True)),
                violation_error_message=_("A closed loan needs its closing date; an open one has none."),
            ),
            models.CheckConstraint(
                name="loan_dates_in_order",
                condition=(Q(disbursed_on__isnull=True) | Q(disbursed_on__gte=F("applied_on")))
                & (Q(closed_on__isnull=True) | Q(closed_on__gte=F("disbursed_on"))),
                violation_error_message=_("Dates must run applied, then disbursed, then closed."),
            ),
            # A rejected application may be followed by another one for the same sale.
            models.UniqueConstraint(
                fields=["sale"],
                condition=~Q(status="rejected"),
                name="loan_one_live_loan_per_sale",
                violation_error_message=_("This sale already has a loan."),
            ),
        ]
        triggers = [
            # Queue disbursed loans for the nightly commission posting (finance.PostingCandidate):
            # one INSERT ... SELECT per statement, so bulk imports pay once, not per row.
            pgtrigger.Trigger(
                name="loan_queued_for_posting_on_insert",
                when=pgtrigger.After,
                operation=pgtrigger.Insert,
                level=pgtrigger.Statement,
                referencing=pgtrigger.Referencing(new="new_loans"),
                func=pgtrigger.Func(
                    f"""
                    INSERT INTO finance_postingcandidate (loan_id)
                    SELECT id FROM new_loans WHERE status IN ({DISBURSED_STATUSES_SQL});
                    RETURN NULL;
                    """  # noqa: S608 - only the status constants are interpolated
                ),
            ),
            pgtrigger.Trigger(
                name="loan_queued_for_posting_on_update",
                when=pgtrigger.After,
                operation=pgtrigger.Update,
                level=pgtrigger.Statement,
                referencing=pgtrigger.Referencing(old="old_loans", new="new_loans"),
                func=pgtrigger.Func(
                    f"""
                    INSERT INTO finance_postingcandidate (loan_id)
                    SELECT n.id FROM new_loans n JOIN old_loans o ON o.id = n.id
                    WHERE n.status IN ({DISBURSED_STATUSES_SQL})
                      AND {_posting_view("o")} IS DISTINCT FROM {_posting_view("n")};
                    RETURN NULL;
                    """  # noqa: S608 - only column names and the status constants are interpolated
                ),
            ),
            pgtrigger.FSM(
                name="loan_status_moves_forward",
                field="status",
                transitions=[(old.value, new.value) for old, new in LOAN_TRANSITIONS],
            ),
            pgtrigger.Trigger(
                name="loan_matches_sale",
                when=pgtrigger.After,
                operation=pgtrigger.Insert | pgtrigger.Update,
                timing=pgtrigger.Deferred,
                func=pgtrigger.Func(
                    """
                    DECLARE s RECORD;
                    BEGIN
                      SELECT dealer_id, payment, transaction_price INTO s FROM inventory_sale WHERE id = NEW.sale_id;
                      IF s.payment <> 'loan' THEN
                        RAISE EXCEPTION 'loan % is on a sale not paid by loan', NEW.reference USING ERRCODE = '23514';
                      END IF;
                      IF s.dealer_id <> NEW.dealer_id THEN
                        RAISE EXCEPTION 'loan % names another dealer than its sale', NEW.reference
                          USING ERRCODE = '23514';
                      END IF;
                      IF NEW.status <> 'rejected' AND NEW.principal + NEW.down_payment <> s.transaction_price THEN
                        RAISE EXCEPTION 'loan %: down payment + principal differ from the sale price', NEW.reference
                          USING ERRCODE = '23514';
                      END IF;
                      RETURN NULL;
                    END;
                    """
                ),
            ),
        ]

    def __str__(self) -> str:
        return self.reference

    def get_absolute_url(self) -> str:
        return reverse("finance:loan-detail", args=[self.pk])


class ReportDecision(models.TextChoices):
    PENDING = "pending", _("Awaiting confirmation")
    CONFIRMED = "confirmed", _("Confirmed")
    REJECTED = "rejected", _("Rejected")


class LoanStatusReport(TimeStamped):
    """A dealer's report that its loan moved in a way that moves money: disbursed (an accrual),
    paid off early or defaulted (a clawback); see ``finance.services.loans.loan_move_moves_money``.
    The loan keeps its status, so the ledger posts nothing, until finance confirms the move; a
    rejected report changes nothing. At most one report per loan awaits confirmation.

    ``on`` is the day of the reported status (the disbursement, or the closing day);
    ``disbursed_on`` the disbursement day of a loan reported closed before it was disbursed
    here (a file's new loan that is already paid off, say)."""

    loan = models.ForeignKey(Loan, verbose_name=_("loan"), on_delete=models.CASCADE, related_name="status_reports")
    status = models.CharField(_("reported status"), max_length=16, choices=LoanStatus.choices)
    on = models.DateField(_("on"))
    disbursed_on = models.DateField(_("disbursed on"), null=True, blank=True)
    decision = models.CharField(
        _("decision"), max_length=16, choices=ReportDecision.choices, default=ReportDecision.PENDING
    )
    reported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("reported by"), on_delete=models.PROTECT, related_name="+"
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    note = models.CharField(_("note"), max_length=200, blank=True, default="")

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("loan status report")
        verbose_name_plural = _("loan status reports")
        constraints = [
            models.UniqueConstraint(
                fields=["loan"],
                condition=Q(decision="pending"),
                name="loan_one_pending_report",
                violation_error_message=_("This loan already has a move awaiting confirmation."),
            ),
            models.CheckConstraint(
                name="loan_report_decided_when_decided",
                condition=Q(decision="pending", decided_at__isnull=True, decided_by__isnull=True)
                | (~Q(decision="pending") & Q(decided_at__isnull=False, decided_by__isnull=False)),
                violation_error_message=_("A decided report names who decided it and when."),
            ),
            models.CheckConstraint(
                name="loan_report_moves_money",
                condition=Q(status__in=DISBURSED_STATUSES),
                violation_error_message=_("Only a move that moves money awaits confirmation."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.loan} → {self.get_status_display()} ({self.get_decision_display()})"
