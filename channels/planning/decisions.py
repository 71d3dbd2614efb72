"""Head office's decisions on an outlet's place in the network: probation, its end, exit. The
decision and the outlet's new status are written together; a dealer on probation or exited
gets no new leads (lead routing reads the status) and an exited one is no longer scored."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from channels.models import Dealer, DealerDecision, DealerStatus, DecisionKind, Recommendation, Scenario
from dealerops.access import can_write
from dealerops.models import User

# Each decision: the statuses it applies to, and the status it gives.
TRANSITIONS = {
    DecisionKind.PROBATION: ((DealerStatus.ACTIVE,), DealerStatus.PROBATION),
    DecisionKind.REINSTATE: ((DealerStatus.PROBATION,), DealerStatus.ACTIVE),
    DecisionKind.EXIT: ((DealerStatus.ACTIVE, DealerStatus.PROBATION), DealerStatus.EXITED),
}


def decisions_open_to(dealer: Dealer) -> list[str]:
    """The decisions that apply to the dealer's status now."""
    return [kind for kind, (statuses, _to) in TRANSITIONS.items() if dealer.status in statuses]


@transaction.atomic
def dealer_decide(
    *,
    dealer: Dealer,
    user: User,
    kind: str,
    reason: str,
    recommendation: Recommendation | None = None,
    scenario: Scenario | None = None,
) -> DealerDecision:
    """Record the decision and change the dealer's status; refused by field when the decision
    does not apply to the status (read locked, so two decisions cannot cross) or has no reason."""
    if not can_write(user, DealerDecision):
        raise ValidationError(_("Only head office decides an outlet's place in the network."))
    dealer = Dealer.objects.select_for_update().get(pk=dealer.pk)
    errors = {}
    if kind not in TRANSITIONS:
        errors["kind"] = _("Choose a decision.")
    elif dealer.status not in TRANSITIONS[kind][0]:
        errors["kind"] = _("“%(decision)s” does not apply to a dealer that is %(status)s.") % {
            "decision": DecisionKind(kind).label,
            "status": dealer.get_status_display(),
        }
    if not reason.strip():
        errors["reason"] = _("Give the reason for the decision.")
    if recommendation is not None and recommendation.dealer_id != dealer.pk:
        errors["recommendation"] = _("The recommendation is about another outlet.")
    if errors:
        raise ValidationError(errors)
    to_status = TRANSITIONS[kind][1]
    decision = DealerDecision.objects.create(
        dealer=dealer,
        kind=kind,
        from_status=dealer.status,
        to_status=to_status,
        reason=reason.strip()[:500],
        evidence=_evidence(recommendation, scenario),
        recommendation=recommendation,
        scenario=scenario,
        decided_by=user,
        decided_at=timezone.now(),
    )
    Dealer.objects.filter(pk=dealer.pk).update(status=to_status, updated_at=timezone.now())
    return decision


def _evidence(recommendation: Recommendation | None, scenario: Scenario | None) -> str:
    parts = []
    if recommendation is not None:
        parts.append(f"{recommendation.get_kind_display()}: {recommendation.reason}")
    if scenario is not None:
        parts.append(_("What-if scenario “%(name)s”") % {"name": scenario.name})
    return " · ".join(parts)[:500]
