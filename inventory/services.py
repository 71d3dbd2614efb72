"""Writes for stock and sales. Each service validates, then writes in one transaction."""

from datetime import date
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from channels.models import Dealer
from customers.models import Customer
from dealerops.validation import ensure_not_future
from inventory.models import Sale, StockStatus, StockUnit, VehicleModel


@transaction.atomic
def stock_arrival_record(
    *,
    dealer: Dealer,
    vin: str,
    model: VehicleModel,
    arrived_on: date,
    ordered_on: date | None = None,
    colour: str = "",
) -> StockUnit:
    """Record that a vehicle arrived at ``dealer``.

    A unit the dealer already has on order or in transit is marked in stock; an unknown VIN
    is registered as a new unit in stock. A VIN held by another dealer, or already in stock,
    sold or transferred, is refused. ``colour``, when given, is the colour that arrived (it
    replaces one recorded with the order); left empty, an ordered unit keeps its own.
    """
    vin = vin.strip().upper()
    colour = colour.strip()
    ensure_not_future(arrived_on=arrived_on, ordered_on=ordered_on)
    unit = StockUnit.objects.select_for_update().filter(vin=vin).first()
    if unit is None:
        unit = StockUnit(vin=vin, model=model, dealer=dealer, ordered_on=ordered_on or arrived_on)
    elif unit.dealer_id != dealer.pk:
        raise ValidationError({"vin": _("This VIN belongs to another dealer's stock.")})
    elif unit.status not in (StockStatus.ORDERED, StockStatus.IN_TRANSIT):
        raise ValidationError(
            {"vin": _("This unit has already arrived (status: %(status)s).") % {"status": unit.get_status_display()}}
        )
    elif unit.model_id != model.pk:
        raise ValidationError({"model": _("This VIN was ordered as %(model)s.") % {"model": unit.model}})
    unit.status = StockStatus.IN_STOCK
    unit.arrived_on = arrived_on
    unit.colour = colour or unit.colour
    unit.full_clean()
    unit.save()
    return unit


@transaction.atomic
def sale_record(
    *,
    dealer: Dealer,
    stock_unit: StockUnit,
    customer: Customer,
    salesperson: str,
    sold_on: date,
    transaction_price: Decimal,
    payment: str,
    registered_city: str,
) -> Sale:
    """Sell one unit in stock: the sale is created and the unit leaves stock."""
    ensure_not_future(sold_on=sold_on)
    unit = StockUnit.objects.select_for_update().get(pk=stock_unit.pk)
    errors: dict[str, str] = {}
    if unit.dealer_id != dealer.pk:
        errors["stock_unit"] = _("This unit is in another dealer's stock.")
    elif unit.status != StockStatus.IN_STOCK:
        errors["stock_unit"] = _("This unit is not in stock (status: %(status)s).") % {
            "status": unit.get_status_display()
        }
    elif sold_on < unit.arrived_on:
        errors["sold_on"] = _("The sale date is before the unit arrived (%(date)s).") % {"date": unit.arrived_on}
    if customer.home_dealer_id != dealer.pk:
        errors["customer"] = _("The customer belongs to another dealer.")
    if errors:
        raise ValidationError(errors)
    sale = Sale(
        stock_unit=unit,
        dealer=dealer,
        customer=customer,
        salesperson=salesperson,
        sold_on=sold_on,
        transaction_price=transaction_price,
        payment=payment,
        registered_city=registered_city,
    )
    sale.full_clean()
    sale.save()
    unit.status = StockStatus.SOLD
    unit.save(update_fields=["status", "updated_at"])
    return sale
