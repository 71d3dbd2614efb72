"""Transfer steps: propose → confirm (in transit with an ETA) → arrive (in stock at the
receiving dealer, age kept), or decline; bad input refused naming the field, nothing written."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from pghistory.models import Events

from dealerops.validation import today
from inventory.models import StockStatus, StockUnit, Transfer, TransferStatus
from inventory.transfers.services import transfer_arrive, transfer_confirm, transfer_decline, transfer_propose
from tests.factories import DealerFactory, StockUnitFactory

pytestmark = pytest.mark.django_db

TODAY = today()  # the services check dates against the real today
AGED = TODAY - dt.timedelta(days=120)


@pytest.fixture
def unit(network):
    return StockUnitFactory(dealer=network.home_dealer, arrived_on=AGED, vin="LSVTRANSFER000001")


def propose(unit, to_dealer, **kwargs):
    return transfer_propose(
        vin=unit.vin, to_dealer=to_dealer, distance_km=Decimal("182.4"), cost=Decimal("1456.5"), **kwargs
    )


def test_a_transfer_moves_the_unit_and_keeps_its_age(network, unit):
    transfer = propose(unit, network.foreign_dealer, by=network.head_office)
    assert (transfer.status, transfer.from_dealer, transfer.cost) == (
        TransferStatus.PROPOSED,
        network.home_dealer,
        Decimal("1456.50"),
    )
    transfer = transfer_confirm(transfer=transfer, eta=TODAY + dt.timedelta(days=2))
    unit.refresh_from_db()
    assert (unit.status, unit.eta, unit.dealer) == (
        StockStatus.IN_TRANSIT,
        TODAY + dt.timedelta(days=2),
        network.home_dealer,
    )
    transfer = transfer_arrive(transfer=transfer, arrived_on=TODAY)
    unit.refresh_from_db()
    assert (unit.status, unit.dealer, unit.arrived_on, unit.eta) == (
        StockStatus.IN_STOCK,
        network.foreign_dealer,
        AGED,
        None,
    )
    assert (transfer.status, transfer.arrived_on) == (TransferStatus.ARRIVED, TODAY)
    # The audit trail holds the unit's steps: inserted, sent in transit, arrived elsewhere.
    statuses = [event.pgh_data["status"] for event in Events.objects.tracks(unit).order_by("pgh_created_at", "pgh_id")]
    assert statuses == ["in_stock", "in_transit", "in_stock"]


def test_a_declined_transfer_leaves_the_unit_and_frees_it(network, unit):
    transfer = transfer_decline(transfer=propose(unit, network.foreign_dealer))
    unit.refresh_from_db()
    assert (transfer.status, unit.status, unit.dealer) == (
        TransferStatus.DECLINED,
        StockStatus.IN_STOCK,
        network.home_dealer,
    )
    assert propose(unit, network.foreign_dealer).status == TransferStatus.PROPOSED


@pytest.mark.parametrize(
    ("status", "message"),
    [(StockStatus.SOLD, "only a unit in stock"), (StockStatus.IN_TRANSIT, "only a unit in stock")],
)
def test_a_sold_or_moving_unit_is_refused(network, status, message):
    moving = StockUnitFactory(dealer=network.home_dealer, status=status)
    with pytest.raises(ValidationError) as error:
        propose(moving, network.foreign_dealer)
    assert message in error.value.message_dict["vin"][0]
    assert not Transfer.objects.exists()


def test_bad_input_names_the_field(network, unit):
    with pytest.raises(ValidationError) as error:
        transfer_propose(
            vin="LSVNOSUCHUNIT0000", to_dealer=network.foreign_dealer, distance_km=Decimal(1), cost=Decimal(1)
        )
    assert error.value.message_dict["vin"] == ["No unit has the VIN LSVNOSUCHUNIT0000."]
    with pytest.raises(ValidationError) as error:
        propose(unit, network.home_dealer)
    assert "to_dealer" in error.value.message_dict
    transfer = propose(unit, network.foreign_dealer)
    with pytest.raises(ValidationError) as error:
        propose(unit, DealerFactory())
    assert "already has a transfer under way" in error.value.message_dict["vin"][0]
    with pytest.raises(ValidationError) as error:
        transfer_arrive(transfer=transfer, arrived_on=TODAY)
    assert "status" in error.value.message_dict  # not confirmed yet: a wrong step
    with pytest.raises(ValidationError) as error:
        transfer_confirm(transfer=transfer, eta=TODAY - dt.timedelta(days=1))
    assert "eta" in error.value.message_dict
    transfer = transfer_confirm(transfer=transfer, eta=TODAY + dt.timedelta(days=1))
    with pytest.raises(ValidationError) as error:
        transfer_arrive(transfer=transfer, arrived_on=TODAY - dt.timedelta(days=1))
    assert "arrived_on" in error.value.message_dict  # before it was sent
    with pytest.raises(ValidationError) as error:
        transfer_decline(transfer=transfer)
    assert "status" in error.value.message_dict
    assert StockUnit.objects.get(pk=unit.pk).status == StockStatus.IN_TRANSIT


def test_the_database_keeps_one_open_transfer_a_unit_between_two_dealers(network, unit):
    first = propose(unit, network.foreign_dealer)
    fields = {"stock_unit": unit, "distance_km": 1, "cost": 1, "proposed_at": first.proposed_at}
    with pytest.raises(IntegrityError), transaction.atomic():
        Transfer.objects.create(from_dealer=network.home_dealer, to_dealer=DealerFactory(), **fields)
    with pytest.raises(IntegrityError), transaction.atomic():
        Transfer.objects.create(
            from_dealer=network.home_dealer, to_dealer=network.home_dealer, status=TransferStatus.DECLINED, **fields
        )


def test_the_unit_page_lists_its_transfers(network, unit, client_for):
    transfer_decline(transfer=propose(unit, network.foreign_dealer))
    response = client_for(network.dealer_user).get(unit.get_absolute_url())
    assert response.status_code == 200
    page = response.content.decode()
    assert network.foreign_dealer.name in page
    assert "182.4" in page and "1,456.50" in page
