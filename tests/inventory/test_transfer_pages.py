"""Transfer pages and API: both dealers see a transfer; the sender confirms or declines, the
receiver records the arrival; bad input answers 400 naming the field; the plan page runs a plan."""

import datetime as dt
from decimal import Decimal

import pytest
from rest_framework.test import APIClient

from dealerops.models import Role
from dealerops.validation import today
from inventory.models import StockStatus, StockUnit, TransferPlan, TransferStatus
from tests.factories import (
    DealerFactory,
    SaleFactory,
    StockUnitFactory,
    TransferFactory,
    UserFactory,
    VehicleModelFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def incoming(network):
    """A transfer from another dealer to the home dealer (the dealer user's)."""
    sender = DealerFactory(region=network.home_dealer.region, name="Ningbo Yinzhou 4S")
    return TransferFactory(
        stock_unit__dealer=sender, stock_unit__vin="LSVNCMNG000000001", to_dealer=network.home_dealer
    )


def api_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_the_receiving_dealer_lists_and_exports_the_transfer(network, incoming, client_for):
    client = client_for(network.dealer_user)
    page = client.get("/stock/transfers/?status=proposed")
    assert page.status_code == 200 and "LSVNCMNG000000001" in page.content.decode()
    assert "LSVNCMNG000000001" not in client.get("/stock/transfers/?status=arrived").content.decode()
    export = client.get("/stock/transfers/?export=csv")
    assert "LSVNCMNG000000001" in b"".join(export.streaming_content if export.streaming else [export.content]).decode()


def test_steps_through_the_api(network, incoming):
    sender = UserFactory(username="sender", role=Role.DEALER_USER, dealer=incoming.from_dealer)
    url = f"/api/v1/transfers/{incoming.pk}/"
    # The receiving dealer cannot confirm; the sender must give an ETA.
    assert api_for(network.dealer_user).post(url + "confirm/", {"eta": today().isoformat()}).status_code == 403
    missing = api_for(sender).post(url + "confirm/", {})
    assert missing.status_code == 400 and "eta" in missing.json()
    eta = today() + dt.timedelta(days=1)
    confirmed = api_for(sender).post(url + "confirm/", {"eta": eta.isoformat()})
    assert confirmed.status_code == 200 and confirmed.json()["status"] == "confirmed"
    assert StockUnit.objects.get(pk=incoming.stock_unit_id).status == StockStatus.IN_TRANSIT
    again = api_for(sender).post(url + "decline/")
    assert again.status_code == 400 and "status" in again.json()
    # Only the receiver (or head office) records the arrival, not in the future.
    assert api_for(sender).post(url + "arrive/", {"arrived_on": today().isoformat()}).status_code == 403
    future = api_for(network.dealer_user).post(url + "arrive/", {"arrived_on": eta.isoformat()})
    assert future.status_code == 400 and "arrived_on" in future.json()
    arrived = api_for(network.dealer_user).post(url + "arrive/", {"arrived_on": today().isoformat()})
    assert arrived.status_code == 200 and arrived.json()["status"] == TransferStatus.ARRIVED
    unit = StockUnit.objects.get(pk=incoming.stock_unit_id)
    assert (unit.status, unit.dealer_id) == (StockStatus.IN_STOCK, network.home_dealer.pk)
    listed = api_for(network.dealer_user).get("/api/v1/transfers/").json()
    assert [row["vin"] for row in listed["results"]] == ["LSVNCMNG000000001"]


def test_the_sender_declines_on_the_page(network, client_for):
    outgoing = TransferFactory(stock_unit__dealer=network.home_dealer)
    client = client_for(network.dealer_user)
    page = client.get(f"/stock/transfers/{outgoing.pk}/")
    assert page.status_code == 200 and f"/stock/transfers/{outgoing.pk}/decline/" in page.content.decode()
    assert client.post(f"/stock/transfers/{outgoing.pk}/decline/").status_code == 302
    outgoing.refresh_from_db()
    assert outgoing.status == TransferStatus.DECLINED


def test_head_office_runs_a_plan_on_the_page(network, client_for):
    model = VehicleModelFactory(series="Lavida")
    surplus = DealerFactory(latitude=Decimal("30.0"), longitude=Decimal("120.0"))
    short = DealerFactory(latitude=Decimal("30.4"), longitude=Decimal("120.0"))
    StockUnitFactory(model=model, dealer=surplus, arrived_on=today() - dt.timedelta(days=100))
    SaleFactory(dealer=short, stock_unit__model=model, sold_on=today() - dt.timedelta(days=3))
    client = client_for(network.head_office)
    assert client.get("/stock/transfer-plans/").status_code == 200
    form = {"model": model.pk, "max_hours": "2", "cost_per_km": "10.00", "handling_cost": "200.00"}
    response = client.post("/stock/transfer-plans/", form, follow=True)
    plan = TransferPlan.objects.get()
    assert (plan.units, plan.total_cost, plan.greedy_cost) == (1, Decimal("778.00"), Decimal("778.00"))
    page = response.content.decode()
    assert "57.8" in page and "778.00" in page and surplus.name in page
    assert client_for(network.dealer_user).get("/stock/transfer-plans/").status_code == 403
