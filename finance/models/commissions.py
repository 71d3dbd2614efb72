"""The loan-commission ledger: lenders' commission policies (versioned), accounting periods and
the append-only ledger of what each loan earned, lost, and what the lender paid.

The database holds the ledger's rules, not only the services: entries are never updated or
deleted, nothing is written into a closed period, a closed period never reopens, a loan
accrues once and is clawed back once, and a lender's policy versions never overlap in time.
"""

from decimal import Decimal

import pgtrigger
from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Now
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from channels.models import Dealer, TimeStamped
from dealerops.indexes import search_index, sort_indexes
from finance.models.loans import RATE, CreditGrade, Lender, Loan

MONEY = {"max_digits": 12, "decimal_places": 2}
SHARE = {"max_digits": 7, "decimal_places": 6}  # 0.010000 = 1 %
SHARE_VALIDATORS = [MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("1"))]


class CommissionBasis(models.TextChoices):
    RATE_BASED = "rate_based", _("Principal × annual rate × ratio")
    PRINCIPAL_BASED = "principal_based", _("Principal × ratio")
    FLAT = "flat", _("Fixed amount per loan")
    RESERVE = "reserve", _("Dealer reserve: share of the interest above the buy rate")


class TermBand(models.TextChoices):
    UP_TO_12 = "6_12", _("Up to 12 months")
    FROM_13_TO_24 = "13_24", _("13–24 months")
    FROM_25_TO_36 = "25_36", _("25–36 months")
    FROM_37_TO_60 = "37_60", _("37–60 months")

    @classmethod
    def of(cls, term_months: int) -> "TermBand":
        for band in cls:
            low, high = (int(bound) for bound in band.value.split("_"))
            if low <= term_months <= high:
                return band
        raise ValueError(f"no term band for {term_months} months")


class CommissionPolicy(TimeStamped):
    """What a lender pays dealers per loan, from ``effective_from`` to ``effective_to``
    (inclusive; open-ended when empty). A loan is paid by the version in force on its
    disbursement day. ``ratio`` is the commission ratio, or the dealer's share of the reserve
    for the reserve basis; ``amount`` is the fixed amount of the flat basis."""

    lender = models.ForeignKey(
        Lender, verbose_name=_("lender"), on_delete=models.PROTECT, related_name="commission_policies"
    )
    version = models.PositiveIntegerField(_("version"))
    basis = models.CharField(_("basis"), max_length=16, choices=CommissionBasis.choices)
    ratio = models.DecimalField(_("ratio"), **SHARE, null=True, blank=True, validators=SHARE_VALIDATORS)
    amount = models.DecimalField(_("amount per loan"), **MONEY, null=True, blank=True)
    max_markup = models.DecimalField(
        _("maximum mark-up over the buy rate"),
        **RATE,
        null=True,
        blank=True,
        help_text=_("Reserve basis: 0.020000 caps the mark-up at 2 points."),
    )
    cap_per_loan = models.DecimalField(_("cap per loan"), **MONEY, null=True, blank=True)
    min_principal = models.DecimalField(_("minimum principal"), **MONEY, null=True, blank=True)
    effective_from = models.DateField(_("effective from"))
    effective_to = models.DateField(_("effective to"), null=True, blank=True)
    note = models.TextField(_("note"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("created by"), null=True, blank=True, on_delete=models.SET_NULL
    )

    class Meta:
        ordering = ["lender__code", "-version"]
        verbose_name = _("commission policy")
        verbose_name_plural = _("commission policies")
        constraints = [
            models.UniqueConstraint(fields=["lender", "version"], name="policy_one_version_number_per_lender"),
            models.CheckConstraint(
                name="policy_ratio_0_to_100_percent",
                condition=Q(ratio__isnull=True) | Q(ratio__gte=0, ratio__lte=1),
                violation_error_message=_("The ratio must lie between 0 and 100 %."),
            ),
            models.CheckConstraint(
                name="policy_money_not_negative",
                condition=(Q(amount__isnull=True) | Q(amount__gte=0))
                & (Q(cap_per_loan__isnull=True) | Q(cap_per_loan__gte=0))
                & (Q(min_principal__isnull=True) | Q(min_principal__gte=0))
                & (Q(max_markup__isnull=True) | Q(max_markup__gte=0, max_markup__lt=1)),
                violation_error_message=_("Amounts, caps, minimum principal and mark-up cannot be negative."),
            ),
            models.CheckConstraint(
                name="policy_basis_has_its_figures",
                condition=(Q(basis=CommissionBasis.FLAT) & Q(amount__isnull=False))
                | (Q(basis__in=[CommissionBasis.RATE_BASED, CommissionBasis.PRINCIPAL_BASED]) & Q(ratio__isnull=False))
                | (Q(basis=CommissionBasis.RESERVE) & Q(ratio__isnull=False, max_markup__isnull=False)),
                violation_error_message=_(
                    "A flat policy needs an amount; a rate- or principal-based one a ratio; "
                    "a reserve policy the dealer's share and the maximum mark-up."
                ),
            ),
            models.CheckConstraint(
                name="policy_dates_in_order",
                condition=Q(effective_to__isnull=True) | Q(effective_to__gte=F("effective_from")),
                violation_error_message=_("A policy cannot end before it starts."),
            ),
        ]
        triggers = [
            # A row trigger holding the lender's row lock, so two concurrent versions cannot both pass.
            pgtrigger.Trigger(
                name="policy_versions_never_overlap",
                when=pgtrigger.Before,
                operation=pgtrigger.Insert | pgtrigger.Update,
                func=pgtrigger.Func(
                    """
                    PERFORM 1 FROM finance_lender WHERE id = NEW.lender_id FOR UPDATE;
                    IF EXISTS (
                      SELECT 1 FROM finance_commissionpolicy p
                      WHERE p.lender_id = NEW.lender_id AND p.id <> NEW.id
                        AND daterange(p.effective_from, p.effective_to, '[]')
                            && daterange(NEW.effective_from, NEW.effective_to, '[]')
                    ) THEN
                      RAISE EXCEPTION 'commission policy versions of lender % overlap in time', NEW.lender_id
                        USING ERRCODE = '23P01';
                    END IF;
                    RETURN NEW;
                    """
                ),
            ),
            # What was posted under a version stays explained by it: its figures are frozen once
            # used, and its end cannot move before a loan it already paid.
            pgtrigger.Trigger(
                name="policy_frozen_once_used",
                when=pgtrigger.Before,
                operation=pgtrigger.Update,
                func=pgtrigger.Func(
                    """
                    IF (NEW.basis, NEW.ratio, NEW.amount, NEW.max_markup, NEW.cap_per_loan, NEW.min_principal,
                        NEW.effective_from, NEW.lender_id)
                       IS DISTINCT FROM
                       (OLD.basis, OLD.ratio, OLD.amount, OLD.max_markup, OLD.cap_per_loan, OLD.min_principal,
                        OLD.effective_from, OLD.lender_id)
                       AND EXISTS (SELECT 1 FROM finance_commissionentry e WHERE e.policy_id = OLD.id) THEN
                      RAISE EXCEPTION 'commission policy % was used for posting: create a new version', OLD.id
                        USING ERRCODE = '23514';
                    END IF;
                    IF NEW.effective_to IS NOT NULL AND EXISTS (
                      SELECT 1 FROM finance_commissionentry e
                      WHERE e.policy_id = OLD.id AND e.kind = 'accrual' AND e.event_on > NEW.effective_to
                    ) THEN
                      RAISE EXCEPTION 'commission policy % already paid loans disbursed after %', OLD.id,
                        NEW.effective_to USING ERRCODE = '23514';
                    END IF;
                    RETURN NEW;
                    """
                ),
            ),
            # Loans disbursed earlier may be due an accrual once a version covers them: queue the
            # days a version newly covers for the nightly posting (PostingCandidate). Its rates
            # only change amounts, computed at posting; a shorter range makes nothing due.
            pgtrigger.Trigger(
                name="policy_queues_its_loans_for_posting",
                when=pgtrigger.After,
                operation=pgtrigger.Insert | pgtrigger.Update,
                func=pgtrigger.Func(
                    """
                    IF TG_OP = 'INSERT' THEN
                      INSERT INTO finance_postingcandidate (lender_id, disbursed_from, disbursed_to)
                      VALUES (NEW.lender_id, NEW.effective_from, NEW.effective_to);
                    ELSIF (OLD.lender_id, OLD.basis, OLD.min_principal)
                          IS DISTINCT FROM (NEW.lender_id, NEW.basis, NEW.min_principal) THEN
                      INSERT INTO finance_postingcandidate (lender_id, disbursed_from, disbursed_to)
                      VALUES (NEW.lender_id, NEW.effective_from, NEW.effective_to);
                    ELSE
                      IF NEW.effective_from < OLD.effective_from THEN
                        INSERT INTO finance_postingcandidate (lender_id, disbursed_from, disbursed_to)
                        VALUES (NEW.lender_id, NEW.effective_from, OLD.effective_from - 1);
                      END IF;
                      IF OLD.effective_to IS NOT NULL
                         AND (NEW.effective_to IS NULL OR NEW.effective_to > OLD.effective_to) THEN
                        INSERT INTO finance_postingcandidate (lender_id, disbursed_from, disbursed_to)
                        VALUES (NEW.lender_id, OLD.effective_to + 1, NEW.effective_to);
                      END IF;
                    END IF;
                    RETURN NULL;
                    """
                ),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.lender} v{self.version}"

    def get_absolute_url(self) -> str:
        return reverse("finance:policy-detail", args=[self.pk])


class CommissionTier(models.Model):
    """Overrides the policy's ratio (or flat amount) for a credit grade, a term band, or both.
    The most specific matching tier wins: grade and band, then grade, then band."""

    policy = models.ForeignKey(
        CommissionPolicy, verbose_name=_("policy"), on_delete=models.CASCADE, related_name="tiers"
    )
    credit_grade = models.CharField(_("credit grade"), max_length=1, choices=CreditGrade.choices, blank=True)
    term_band = models.CharField(_("term band"), max_length=8, choices=TermBand.choices, blank=True)
    ratio = models.DecimalField(_("ratio"), **SHARE, null=True, blank=True, validators=SHARE_VALIDATORS)
    amount = models.DecimalField(_("amount per loan"), **MONEY, null=True, blank=True)

    class Meta:
        ordering = ["policy", "credit_grade", "term_band"]
        verbose_name = _("commission tier")
        verbose_name_plural = _("commission tiers")
        constraints = [
            models.UniqueConstraint(
                fields=["policy", "credit_grade", "term_band"],
                name="tier_one_per_grade_and_band",
                violation_error_message=_("This policy already has a tier for that credit grade and term band."),
            ),
            models.CheckConstraint(
                name="tier_names_a_grade_or_band",
                condition=~Q(credit_grade="", term_band=""),
                violation_error_message=_("A tier applies to a credit grade, a term band, or both."),
            ),
            models.CheckConstraint(
                name="tier_has_exactly_one_figure",
                condition=Q(ratio__isnull=False, amount__isnull=True, ratio__gte=0, ratio__lte=1)
                | Q(ratio__isnull=True, amount__isnull=False, amount__gte=0),
                violation_error_message=_("A tier sets either a ratio (0–100 %) or an amount, not both."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.policy} {self.credit_grade or '*'}/{self.term_band or '*'}"


class ClawbackStep(models.Model):
    """``share`` of a loan's accrued commission is taken back when it is paid off early or
    defaults within ``within_days`` of disbursement; the shortest matching window applies."""

    policy = models.ForeignKey(
        CommissionPolicy, verbose_name=_("policy"), on_delete=models.CASCADE, related_name="clawback_steps"
    )
    within_days = models.PositiveIntegerField(_("within days"), validators=[MinValueValidator(1)])
    share = models.DecimalField(_("share clawed back"), **SHARE, validators=SHARE_VALIDATORS)

    class Meta:
        ordering = ["policy", "within_days"]
        verbose_name = _("clawback step")
        verbose_name_plural = _("clawback steps")
        constraints = [
            models.UniqueConstraint(fields=["policy", "within_days"], name="clawback_one_step_per_window"),
            models.CheckConstraint(
                name="clawback_share_0_to_100_percent",
                condition=Q(share__gt=0, share__lte=1, within_days__gte=1),
                violation_error_message=_("A clawback share lies above 0 and up to 100 %, over at least one day."),
            ),
        ]
        triggers = [
            # A new or changed window may make clawbacks due on loans the policy already paid.
            pgtrigger.Trigger(
                name="clawback_step_queues_its_loans_for_posting",
                when=pgtrigger.After,
                operation=pgtrigger.Insert | pgtrigger.Update,
                func=pgtrigger.Func(
                    """
                    INSERT INTO finance_postingcandidate (lender_id, disbursed_from, disbursed_to)
                    SELECT lender_id, effective_from, effective_to FROM finance_commissionpolicy
                    WHERE id = NEW.policy_id;
                    RETURN NULL;
                    """
                ),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.share:%} within {self.within_days} days"


class PeriodStatus(models.TextChoices):
    OPEN = "open", _("Open")
    CLOSED = "closed", _("Closed")


class CommissionPeriod(models.Model):
    """An accounting month of the ledger. Once closed it never changes again."""

    month = models.DateField(_("month"), unique=True, help_text=_("The first day of the month."))
    status = models.CharField(_("status"), max_length=8, choices=PeriodStatus.choices, default=PeriodStatus.OPEN)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("closed by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        ordering = ["-month"]
        verbose_name = _("commission period")
        verbose_name_plural = _("commission periods")
        constraints = [
            models.CheckConstraint(
                name="period_starts_on_the_first",
                condition=Q(month__day=1),
                violation_error_message=_("A period is named by the first day of its month."),
            ),
            models.CheckConstraint(
                name="period_closure_recorded",
                condition=Q(status=PeriodStatus.OPEN, closed_at__isnull=True)
                | Q(status=PeriodStatus.CLOSED, closed_at__isnull=False),
                violation_error_message=_("A closed period records when it was closed."),
            ),
        ]
        triggers = [
            pgtrigger.Protect(
                name="period_closed_is_final",
                operation=pgtrigger.Update | pgtrigger.Delete,
                condition=pgtrigger.Q(old__status=PeriodStatus.CLOSED),
            ),
        ]

    def __str__(self) -> str:
        return self.month.strftime("%Y-%m")

    def get_absolute_url(self) -> str:
        return reverse("finance:period-detail", args=[self.pk])

    @property
    def is_open(self) -> bool:
        return self.status == PeriodStatus.OPEN


class EntryKind(models.TextChoices):
    ACCRUAL = "accrual", _("Accrual")
    CLAWBACK = "clawback", _("Clawback")
    ADJUSTMENT = "adjustment", _("Adjustment")
    RECEIPT = "receipt", _("Receipt")


class AdjustmentReason(models.TextChoices):
    LENDER_CORRECTION = "lender_correction", _("Lender corrected its figures")
    POLICY_EXCEPTION = "policy_exception", _("Exception to the policy agreed with the lender")
    DATA_ERROR = "data_error", _("Loan data entered wrongly")
    VOLUME_BONUS = "volume_bonus", _("Volume bonus")
    DISPUTE_SETTLED = "dispute_settled", _("Dispute settled")
    OTHER = "other", _("Other")


class CommissionEntry(models.Model):
    """One line of the ledger. Accruals are positive, clawbacks negative, receipts (money
    received from the lender) positive; adjustments either. ``period`` is where the entry is
    booked; ``event_on`` the day it happened, which for a late event lies in an earlier,
    closed period. The loan's figures at posting are copied so an entry explains itself."""

    kind = models.CharField(_("kind"), max_length=16, choices=EntryKind.choices)
    # Indexed by (period, dealer) and (period, lender) below.
    period = models.ForeignKey(
        CommissionPeriod, verbose_name=_("period"), on_delete=models.PROTECT, related_name="entries", db_index=False
    )
    event_on = models.DateField(_("event date"))
    loan = models.ForeignKey(
        Loan, verbose_name=_("loan"), null=True, blank=True, on_delete=models.PROTECT, related_name="commission_entries"
    )
    # Indexed by (dealer, period) below.
    dealer = models.ForeignKey(
        Dealer, verbose_name=_("dealer"), on_delete=models.PROTECT, related_name="commission_entries", db_index=False
    )
    # Indexed by (lender, period) below.
    lender = models.ForeignKey(
        Lender, verbose_name=_("lender"), on_delete=models.PROTECT, related_name="commission_entries", db_index=False
    )
    policy = models.ForeignKey(
        CommissionPolicy, verbose_name=_("policy"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    amount = models.DecimalField(_("amount"), **MONEY)
    # The figures it was computed from.
    basis = models.CharField(_("basis"), max_length=16, choices=CommissionBasis.choices, blank=True)
    principal = models.DecimalField(_("principal"), **MONEY, null=True, blank=True)
    annual_rate = models.DecimalField(_("annual rate"), **RATE, null=True, blank=True)
    buy_rate = models.DecimalField(_("lender buy rate"), **RATE, null=True, blank=True)
    term_months = models.PositiveSmallIntegerField(_("term (months)"), null=True, blank=True)
    credit_grade = models.CharField(_("credit grade"), max_length=1, blank=True)
    ratio = models.DecimalField(_("ratio applied"), **SHARE, null=True, blank=True)
    capped = models.BooleanField(_("capped"), default=False)
    clawback_share = models.DecimalField(_("share clawed back"), **SHARE, null=True, blank=True)
    days_on_book = models.PositiveIntegerField(_("days from disbursement"), null=True, blank=True)
    # Few entries have one: indexed where set (below).
    original = models.ForeignKey(
        "self",
        verbose_name=_("original entry"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="follow_ups",
        help_text=_("The accrual a clawback takes back."),
        db_index=False,
    )
    reason = models.CharField(_("reason"), max_length=24, choices=AdjustmentReason.choices, blank=True)
    note = models.TextField(_("note"), blank=True)
    statement_reference = models.CharField(_("statement reference"), max_length=64, blank=True)
    # Not indexed: nothing reads entries by run, and job runs are kept for good.
    job_run = models.ForeignKey(
        "dealerops.JobRun",
        verbose_name=_("job run"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    # Only adjustments and receipts have one: indexed where set (below).
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("entered by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    created_at = models.DateTimeField(_("posted at"), auto_now_add=True)

    class Meta:
        ordering = ["-period__month", "-id"]
        verbose_name = _("commission entry")
        verbose_name_plural = _("commission entries")
        # Every index is upkeep on each posted row: these serve the ledger's pages, reports and
        # the keys' ON DELETE checks, and no two cover the same leading column.
        indexes = [
            models.Index(fields=["period", "dealer"]),
            models.Index(fields=["dealer", "period"]),
            models.Index(fields=["lender", "period"]),
            # The ledger page's sorts (its default: newest event first) and search.
            *sort_indexes("dealer", "event_on", "amount"),
            models.Index(fields=["dealer", "id"]),
            search_index("finance_commissionentry", "note"),
            search_index("finance_commissionentry", "statement_reference"),
            models.Index(fields=["original"], condition=Q(original__isnull=False), name="entry_original_where_set"),
            models.Index(
                fields=["created_by"], condition=Q(created_by__isnull=False), name="entry_entered_by_where_set"
            ),
        ]
        constraints = [
            # The keys that make the nightly posting idempotent (ON CONFLICT DO NOTHING).
            models.UniqueConstraint(fields=["loan"], condition=Q(kind="accrual"), name="entry_one_accrual_per_loan"),
            models.UniqueConstraint(fields=["loan"], condition=Q(kind="clawback"), name="entry_one_clawback_per_loan"),
            models.UniqueConstraint(
                fields=["lender", "statement_reference", "loan"],
                condition=Q(kind="receipt"),
                name="entry_one_receipt_per_statement_line",
                violation_error_message=_("This statement line was already received."),
            ),
            models.CheckConstraint(
                name="entry_sign_follows_kind",
                condition=Q(kind="accrual", amount__gte=0)
                | Q(kind="clawback", amount__lt=0)
                | Q(kind="receipt", amount__gt=0)
                | (Q(kind="adjustment") & ~Q(amount=0)),
                violation_error_message=_(
                    "Accruals are positive, clawbacks negative, receipts positive; an adjustment is not zero."
                ),
            ),
            models.CheckConstraint(
                name="entry_loan_postings_name_their_loan",
                condition=~Q(kind__in=["accrual", "clawback"]) | Q(loan__isnull=False, policy__isnull=False),
                violation_error_message=_("Accruals and clawbacks name their loan and policy."),
            ),
            models.CheckConstraint(
                name="entry_adjustment_has_a_reason",
                condition=~Q(kind="adjustment") | (~Q(reason="") & ~Q(note="")),
                violation_error_message=_("An adjustment needs a reason and an explanation."),
            ),
            models.CheckConstraint(
                name="entry_receipt_names_its_statement",
                condition=~Q(kind="receipt") | ~Q(statement_reference=""),
                violation_error_message=_("A receipt names the lender statement it comes from."),
            ),
        ]
        triggers = [
            pgtrigger.Protect(name="entry_append_only", operation=pgtrigger.Update | pgtrigger.Delete),
            # One check per statement (not per row), so a posting of millions of rows stays fast.
            pgtrigger.Trigger(
                name="entry_not_into_closed_period",
                when=pgtrigger.After,
                operation=pgtrigger.Insert,
                level=pgtrigger.Statement,
                referencing=pgtrigger.Referencing(new="new_entries"),
                func=pgtrigger.Func(
                    """
                    IF EXISTS (
                      SELECT 1 FROM new_entries e JOIN finance_commissionperiod p ON p.id = e.period_id
                      WHERE p.status = 'closed'
                    ) THEN
                      RAISE EXCEPTION 'commission entries cannot be posted into a closed period'
                        USING ERRCODE = '23514';
                    END IF;
                    RETURN NULL;
                    """
                ),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.amount} ({self.period})"

    def get_absolute_url(self) -> str:
        return reverse("finance:entry-detail", args=[self.pk])


class PostingCandidate(models.Model):
    """What the next nightly posting must look at: a loan, or a lender's loans disbursed in a
    date range (a policy version or clawback step that now covers them). Triggers write one
    whenever a loan, a policy version or a clawback step changes in a way that can make an
    accrual or a clawback due (a loan is queued by a trigger on its table, so the data hub's
    bulk imports queue theirs too); the posting deletes the ones it sees, in its own
    transaction, and reads only those loans instead of anti-joining every loan with the
    ledger. Writers only ever insert here (duplicates are fine), so they never wait for a
    posting, nor it for them. No foreign keys: a queued loan may be deleted meanwhile."""

    loan = models.ForeignKey(
        Loan,
        verbose_name=_("loan"),
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        db_index=False,
        related_name="+",
    )
    lender = models.ForeignKey(
        Lender,
        verbose_name=_("lender"),
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        db_index=False,
        related_name="+",
    )
    disbursed_from = models.DateField(_("disbursed from"), null=True, blank=True)
    disbursed_to = models.DateField(_("disbursed up to"), null=True, blank=True)
    queued_at = models.DateTimeField(_("queued at"), db_default=Now())

    class Meta:
        verbose_name = _("posting candidate")
        verbose_name_plural = _("posting candidates")
        constraints = [
            models.CheckConstraint(
                name="candidate_is_a_loan_or_a_range",
                condition=Q(loan__isnull=False, lender__isnull=True, disbursed_from__isnull=True)
                | Q(loan__isnull=True, lender__isnull=False, disbursed_from__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        if self.loan_id is not None:
            return f"loan {self.loan_id}"
        return f"lender {self.lender_id} {self.disbursed_from}..{self.disbursed_to or ''}"
