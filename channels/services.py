"""Writes for leads, and the rules a lead's follow-up keeps (shared with the leads import)."""

from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from channels.models import Lead, LeadOutcome
from inventory.models import Sale


def lead_follow_up_refusals(
    *,
    assigned_at: datetime | None,
    first_contact_at: datetime | None,
    outcome: str,
    recorded_first_contact_at: datetime | None = None,
    recorded_outcome: str | None = None,
) -> dict[str, str]:
    """Why a lead's first contact or outcome cannot be as given, by field (empty when they
    can). The recorded values are the lead's before the change (None for a new lead). These
    figures feed the health score's lead metrics, so a dealer cannot improve them after the
    fact: the first contact is recorded once, after the assignment and not in the future, and
    a lost lead stays lost. Used by ``lead_follow_up`` (the API) and the leads import."""
    refusals: dict[str, str] = {}
    if first_contact_at is not None:
        if first_contact_at > timezone.now():
            refusals["first_contact_at"] = _("The first contact cannot be in the future.")
        elif assigned_at is None:
            refusals["first_contact_at"] = _("A lead is contacted after it is assigned to a dealer.")
        elif first_contact_at < assigned_at:
            refusals["first_contact_at"] = _(
                "The first contact cannot precede the lead's assignment (%(assigned_at)s)."
            ) % {"assigned_at": timezone.localtime(assigned_at).strftime("%Y-%m-%d %H:%M")}
    if recorded_first_contact_at is not None and first_contact_at != recorded_first_contact_at:
        refusals["first_contact_at"] = _(
            "The first contact is already recorded (%(recorded)s) and cannot be changed."
        ) % {"recorded": timezone.localtime(recorded_first_contact_at).strftime("%Y-%m-%d %H:%M")}
    if recorded_outcome == LeadOutcome.LOST and outcome != LeadOutcome.LOST:
        refusals["outcome"] = _("A lost lead cannot be reopened: record a new lead instead.")
    return refusals


@transaction.atomic
def lead_follow_up(
    *,
    lead: Lead,
    first_contact_at: datetime | None = None,
    outcome: str | None = None,
    converted_vin: str | None = None,
) -> Lead:
    """Record the dealer's first contact and the lead's outcome. "Won" is set by the sale it
    converts into (``converted_vin``: the VIN of a sale of the lead's dealer). Refused when the
    lead moved to another dealer since the caller read it (an SLA re-assignment)."""
    dealer_id = lead.dealer_id
    lead = Lead.objects.select_for_update().get(pk=lead.pk)
    if lead.dealer_id != dealer_id:
        raise ValidationError(
            _("This lead was re-assigned to another dealer meanwhile: it is no longer yours to work.")
        )
    if converted_vin:
        sale = _sale_of_vin(lead, converted_vin.strip().upper())
        lead.converted_sale = sale
        outcome = LeadOutcome.WON
    if outcome == LeadOutcome.WON and lead.converted_sale_id is None:
        raise ValidationError({"outcome": _("A lead is won by recording the sale it converted into.")})
    refusals = lead_follow_up_refusals(
        assigned_at=lead.assigned_at,
        first_contact_at=first_contact_at if first_contact_at is not None else lead.first_contact_at,
        outcome=outcome if outcome is not None else lead.outcome,
        recorded_first_contact_at=lead.first_contact_at,
        recorded_outcome=lead.outcome,
    )
    if refusals:
        raise ValidationError(refusals)
    if first_contact_at is not None:
        lead.first_contact_at = first_contact_at
    if outcome is not None:
        lead.outcome = outcome
    lead.full_clean()
    lead.save()
    return lead


def _sale_of_vin(lead: Lead, vin: str) -> Sale:
    """The sale ``vin`` names, if it is the lead's dealer's and no other lead's."""
    sale = Sale.objects.filter(stock_unit__vin=vin).select_related("lead").first()
    if sale is None or sale.dealer_id != lead.dealer_id:
        raise ValidationError({"converted_vin": _("The dealer has no sale of the VIN %(vin)s.") % {"vin": vin}})
    other = getattr(sale, "lead", None)
    if other is not None and other.pk != lead.pk:
        raise ValidationError(
            {"converted_vin": _("The sale of this VIN already came from lead #%(lead)s.") % {"lead": other.pk}}
        )
    return sale
