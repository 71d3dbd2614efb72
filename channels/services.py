"""Writes for leads."""

from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from channels.models import Lead, LeadOutcome


@transaction.atomic
def lead_follow_up(*, lead: Lead, first_contact_at: datetime | None = None, outcome: str | None = None) -> Lead:
    """Record the dealer's first contact and the lead's outcome. "Won" is set by the sale it converts into."""
    if outcome == LeadOutcome.WON and lead.converted_sale_id is None:
        raise ValidationError({"outcome": _("A lead is won by recording the sale it converted into.")})
    if first_contact_at is not None:
        lead.first_contact_at = first_contact_at
    if outcome is not None:
        lead.outcome = outcome
    lead.full_clean()
    lead.save()
    return lead
