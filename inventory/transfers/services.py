"""The steps of a transfer, each one transaction: propose, confirm (the unit goes in transit
with an ETA), decline, arrive (the unit is in stock at the receiving dealer). A unit's own
``arrived_on`` is kept through a transfer, so an aged unit keeps its age. The unit is written
through the ORM, so pghistory records every step in its audit trail."""

from datetime import date, datetime
from decimal import Decimal

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from channels.models import Dealer
from dealerops.access import can_write, role_of, scope
from dealerops.models import Role
from dealerops.money import to_fen
from dealerops.validation import today
from inventory.models import StockStatus, StockUnit
from inventory.transfers.models import OPEN_STATUSES, Transfer, TransferPlan, TransferStatus

STEPS = ("confirm", "decline", "arrive")


def may_take_step(user, transfer: Transfer, step: str) -> bool:
    """Head office takes any step; the sending dealer confirms or declines, the receiving one
    records the arrival."""
    if not can_write(user, Transfer):
        return False
    if role_of(user) == Role.HEAD_OFFICE:
        return True
    dealer = transfer.to_dealer_id if step == "arrive" else transfer.from_dealer_id
    return user.dealer_id == dealer


def transfer_for_step(user, pk: int, step: str) -> Transfer:
    """The transfer ``pk`` if ``user`` sees it (DoesNotExist otherwise) and may take ``step``
    (PermissionDenied otherwise)."""
    transfer = scope(user, Transfer).get(pk=pk)
    if not may_take_step(user, transfer, step):
        raise PermissionDenied
    return transfer


def transfer_step(*, user, pk: int, step: str, data: dict) -> Transfer:
    """Take ``step`` on the transfer ``pk`` for ``user``: ``data`` holds ``eta`` (confirm) or
    ``arrived_on`` (arrive) as ISO dates; a missing or malformed one is refused naming it."""
    transfer = transfer_for_step(user, pk, step)
    if step == "decline":
        return transfer_decline(transfer=transfer, by=user)
    field = "eta" if step == "confirm" else "arrived_on"
    try:
        day = date.fromisoformat(str(data.get(field) or ""))
    except ValueError:
        raise ValidationError({field: _("Enter a date such as 2026-12-31.")}) from None
    if step == "confirm":
        return transfer_confirm(transfer=transfer, eta=day, by=user)
    return transfer_arrive(transfer=transfer, arrived_on=day, by=user)


def _locked_unit(vin: str) -> StockUnit:
    unit = StockUnit.objects.select_for_update().filter(vin=vin.strip().upper()).first()
    if unit is None:
        raise ValidationError({"vin": _("No unit has the VIN %(vin)s.") % {"vin": vin}})
    return unit


def _locked(transfer: Transfer, expected: TransferStatus) -> Transfer:
    """The transfer re-read under a lock (a stale copy must not decide), in the step expected."""
    current = Transfer.objects.select_for_update().select_related("stock_unit").get(pk=transfer.pk)
    if current.status != expected:
        raise ValidationError(
            {
                "status": _("This transfer is %(status)s: only a %(expected)s one can take this step.")
                % {"status": current.get_status_display(), "expected": TransferStatus(expected).label}
            }
        )
    return current


@transaction.atomic
def transfer_propose(
    *,
    vin: str,
    to_dealer: Dealer,
    distance_km: Decimal,
    cost: Decimal,
    by: AbstractBaseUser | None = None,
    plan: TransferPlan | None = None,
    at: datetime | None = None,
) -> Transfer:
    """Propose moving the unit ``vin`` from its dealer to ``to_dealer``. Only a unit in stock
    with no transfer under way can be proposed."""
    unit = _locked_unit(vin)
    if unit.status != StockStatus.IN_STOCK:
        raise ValidationError(
            {
                "vin": _("%(vin)s is %(status)s: only a unit in stock can be transferred.")
                % {"vin": unit.vin, "status": unit.get_status_display()}
            }
        )
    if Transfer.objects.filter(stock_unit=unit, status__in=OPEN_STATUSES).exists():
        raise ValidationError({"vin": _("%(vin)s already has a transfer under way.") % {"vin": unit.vin}})
    if to_dealer.pk == unit.dealer_id:
        raise ValidationError({"to_dealer": _("The unit is already at this dealer.")})
    if distance_km < 0:
        raise ValidationError({"distance_km": _("A distance cannot be negative.")})
    if cost < 0:
        raise ValidationError({"cost": _("A cost cannot be negative.")})
    return Transfer.objects.create(
        stock_unit=unit,
        from_dealer_id=unit.dealer_id,
        to_dealer=to_dealer,
        distance_km=Decimal(distance_km).quantize(Decimal("0.1")),
        cost=to_fen(cost),
        plan=plan,
        proposed_at=at or timezone.now(),
        proposed_by=by,
    )


@transaction.atomic
def transfer_confirm(
    *, transfer: Transfer, eta: date, by: AbstractBaseUser | None = None, at: datetime | None = None
) -> Transfer:
    """The sending dealer (or head office) confirms: the unit leaves in transit, due on ``eta``."""
    transfer = _locked(transfer, TransferStatus.PROPOSED)
    at = at or timezone.now()
    unit = StockUnit.objects.select_for_update().get(pk=transfer.stock_unit_id)
    if unit.status != StockStatus.IN_STOCK or unit.dealer_id != transfer.from_dealer_id:
        raise ValidationError({"vin": _("%(vin)s is no longer in stock at the sending dealer.") % {"vin": unit.vin}})
    if eta < timezone.localtime(at).date():
        raise ValidationError({"eta": _("The ETA cannot be before the confirmation.")})
    unit.status = StockStatus.IN_TRANSIT
    unit.eta = eta
    unit.save(update_fields=["status", "eta", "updated_at"])
    transfer.status = TransferStatus.CONFIRMED
    transfer.eta = eta
    transfer.decided_at = at
    transfer.decided_by = by
    transfer.save(update_fields=["status", "eta", "decided_at", "decided_by"])
    return transfer


@transaction.atomic
def transfer_decline(*, transfer: Transfer, by: AbstractBaseUser | None = None, at: datetime | None = None) -> Transfer:
    """The sending dealer (or head office) declines a proposed transfer; the unit stays put."""
    transfer = _locked(transfer, TransferStatus.PROPOSED)
    transfer.status = TransferStatus.DECLINED
    transfer.decided_at = at or timezone.now()
    transfer.decided_by = by
    transfer.save(update_fields=["status", "decided_at", "decided_by"])
    return transfer


@transaction.atomic
def transfer_arrive(*, transfer: Transfer, arrived_on: date, by: AbstractBaseUser | None = None) -> Transfer:
    """The receiving dealer (or head office) records the arrival: the unit is in stock there.
    Its own arrival date in the network is kept (its age runs on)."""
    transfer = _locked(transfer, TransferStatus.CONFIRMED)
    unit = StockUnit.objects.select_for_update().get(pk=transfer.stock_unit_id)
    if arrived_on > today():
        raise ValidationError({"arrived_on": _("This date is in the future.")})
    confirmed_on = timezone.localtime(transfer.decided_at).date()
    if arrived_on < confirmed_on or arrived_on < unit.ordered_on:
        raise ValidationError(
            {
                "arrived_on": _("The unit cannot arrive before it was ordered (%(ordered)s) or sent (%(sent)s).")
                % {"ordered": unit.ordered_on.isoformat(), "sent": confirmed_on.isoformat()}
            }
        )
    unit.status = StockStatus.IN_STOCK
    unit.dealer_id = transfer.to_dealer_id
    unit.eta = None
    unit.save(update_fields=["status", "dealer", "eta", "updated_at"])
    transfer.status = TransferStatus.ARRIVED
    transfer.arrived_on = arrived_on
    transfer.arrived_by = by
    transfer.save(update_fields=["status", "arrived_on", "arrived_by"])
    return transfer
