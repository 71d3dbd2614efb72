"""Versions of the lenders' commission policies."""

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max, Q
from django.utils.translation import gettext as _

from dealerops.models import User
from finance.models import (
    ClawbackStep,
    CommissionBasis,
    CommissionEntry,
    CommissionPolicy,
    CommissionTier,
    EntryKind,
    Lender,
)

ZERO, ONE = Decimal("0"), Decimal("1")


@dataclass(frozen=True)
class TierTerms:
    credit_grade: str = ""
    term_band: str = ""
    ratio: Decimal | None = None
    amount: Decimal | None = None


@dataclass(frozen=True)
class PolicyTerms:
    """A policy version as finance staff enter it. ``clawback`` maps a window in days to the
    share taken back, e.g. {90: Decimal("1"), 180: Decimal("0.5")}."""

    basis: str
    effective_from: date
    ratio: Decimal | None = None
    amount: Decimal | None = None
    max_markup: Decimal | None = None
    cap_per_loan: Decimal | None = None
    min_principal: Decimal | None = None
    effective_to: date | None = None
    tiers: list[TierTerms] = field(default_factory=list)
    clawback: dict[int, Decimal] = field(default_factory=dict)
    note: str = ""


@transaction.atomic
def policy_version_create(*, lender: Lender, terms: PolicyTerms, created_by: User | None = None) -> CommissionPolicy:
    """Add a version of ``lender``'s policy from ``terms.effective_from``. An open-ended
    earlier version is ended the day before; a version that would overlap another in any
    other way is refused, as is one starting on a day whose loans were already posted under
    the previous version (a new version never changes what was posted)."""
    Lender.objects.select_for_update().get(pk=lender.pk)  # one version change per lender at a time
    _validate_terms(terms)
    previous = (
        CommissionPolicy.objects.filter(
            lender=lender, effective_to__isnull=True, effective_from__lt=terms.effective_from
        )
        .order_by("-effective_from")
        .first()
    )
    if previous is not None:
        posted_until = CommissionEntry.objects.filter(policy=previous, kind=EntryKind.ACCRUAL).aggregate(
            last=Max("event_on")
        )["last"]
        if posted_until is not None and posted_until >= terms.effective_from:
            raise ValidationError(
                {
                    "effective_from": _(
                        "Loans disbursed up to %(day)s were already posted under version %(version)s: "
                        "start the new version after that day, or correct past loans with adjustments."
                    )
                    % {"day": posted_until.isoformat(), "version": previous.version}
                }
            )
        previous.effective_to = terms.effective_from - timedelta(days=1)
        previous.save(update_fields=["effective_to", "updated_at"])
    overlapping = CommissionPolicy.objects.filter(
        lender=lender, effective_from__lte=terms.effective_to or date.max
    ).filter(Q(effective_to__isnull=True) | Q(effective_to__gte=terms.effective_from))
    if overlapping.exists():
        clash = overlapping.first()
        raise ValidationError(
            {
                "effective_from": _("This period overlaps version %(version)s of %(lender)s (from %(start)s).")
                % {"version": clash.version, "lender": lender, "start": clash.effective_from.isoformat()}
            }
        )
    version = (CommissionPolicy.objects.filter(lender=lender).aggregate(last=Max("version"))["last"] or 0) + 1
    policy = CommissionPolicy(
        lender=lender,
        version=version,
        basis=terms.basis,
        ratio=terms.ratio,
        amount=terms.amount,
        max_markup=terms.max_markup,
        cap_per_loan=terms.cap_per_loan,
        min_principal=terms.min_principal,
        effective_from=terms.effective_from,
        effective_to=terms.effective_to,
        note=terms.note,
        created_by=created_by,
    )
    policy.full_clean()
    policy.save()
    CommissionTier.objects.bulk_create(
        CommissionTier(
            policy=policy,
            credit_grade=tier.credit_grade,
            term_band=tier.term_band,
            ratio=tier.ratio,
            amount=tier.amount,
        )
        for tier in terms.tiers
    )
    ClawbackStep.objects.bulk_create(
        ClawbackStep(policy=policy, within_days=days, share=share) for days, share in sorted(terms.clawback.items())
    )
    return policy


def _validate_terms(terms: PolicyTerms) -> None:
    errors: dict[str, str | list[ValidationError]] = {}
    flat = terms.basis == CommissionBasis.FLAT
    if terms.basis not in CommissionBasis.values:
        errors["basis"] = _("Choose a basis.")
    if flat and terms.amount is None:
        errors["amount"] = _("A flat policy needs the amount per loan.")
    if not flat and terms.ratio is None:
        errors["ratio"] = _("This basis needs a ratio.")
    if terms.ratio is not None and not ZERO <= terms.ratio <= ONE:
        errors["ratio"] = _("The ratio must lie between 0 and 100 %.")
    if terms.basis == CommissionBasis.RESERVE and terms.max_markup is None:
        errors["max_markup"] = _("A reserve policy caps the mark-up over the buy rate.")
    for name in ("amount", "cap_per_loan", "min_principal", "max_markup"):
        value = getattr(terms, name)
        if value is not None and value < ZERO:
            errors[name] = _("This cannot be negative.")
    if terms.effective_to is not None and terms.effective_to < terms.effective_from:
        errors["effective_to"] = _("A policy cannot end before it starts.")
    # One error per bad tier or step, carrying its number or window in ``params`` so a form
    # can show it next to its row.
    tier_errors: list[ValidationError] = []
    seen: set[tuple[str, str]] = set()
    for number, tier in enumerate(terms.tiers, start=1):
        key = (tier.credit_grade, tier.term_band)
        figure = tier.amount if flat else tier.ratio
        other = tier.ratio if flat else tier.amount
        if not any(key):
            problem = _("Tier %(number)s names neither a credit grade nor a term band.")
        elif key in seen:
            problem = _("Tier %(number)s repeats a credit grade and term band.")
        elif figure is None or other is not None:
            problem = _("Tier %(number)s must set the %(figure)s of this basis, and only that.")
        elif figure < ZERO or (not flat and figure > ONE):
            problem = _("Tier %(number)s: a ratio lies between 0 and 100 %%, an amount is not negative.")
        else:
            problem = None
        seen.add(key)
        if problem is not None:
            params = {"number": number, "figure": _("amount") if flat else _("ratio")}
            tier_errors.append(ValidationError(problem, code="tier", params=params))
    if tier_errors:
        errors["tiers"] = tier_errors
    step_errors = [
        ValidationError(
            _("Clawback within %(days)s days: the share lies above 0 and up to 100 %%, over at least one day."),
            code="clawback",
            params={"days": days},
        )
        for days, share in terms.clawback.items()
        if days < 1 or not ZERO < share <= ONE
    ]
    if step_errors:
        errors["clawback"] = step_errors
    if errors:
        raise ValidationError(errors)
