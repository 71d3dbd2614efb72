"""/api/v1/stock-alerts/ and /api/v1/stock-alert-rules/: scoped like the pages, filtered,
with the acknowledge / resolve steps; a bad rule answers 400 naming its field."""

import datetime as dt

import pytest
from rest_framework.test import APIClient

from dealerops.validation import today
from inventory.alerts import stock_alerts_run
from inventory.models import AlertKind, StockAlertRule
from tests.factories import StockUnitFactory

pytestmark = pytest.mark.django_db


def api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.fixture
def alerts(network):
    StockAlertRule.objects.create(name="Aged stock", kind=AlertKind.AGED_UNITS, threshold=0)
    for dealer in (network.home_dealer, network.foreign_dealer):
        StockUnitFactory(
            dealer=dealer, arrived_on=today() - dt.timedelta(days=100), ordered_on=today() - dt.timedelta(days=110)
        )
    stock_alerts_run(as_of=today())


def test_a_dealer_user_lists_only_its_own_alerts_and_filters_them(network, alerts):
    rows = api(network.dealer_user).get("/api/v1/stock-alerts/", {"status": "open", "kind": "aged_units"}).json()
    assert [row["dealer"] for row in rows["results"]] == [network.home_dealer.pk]
    assert rows["results"][0]["rule_name"] == "Aged stock"
    assert api(network.dealer_user).get("/api/v1/stock-alerts/", {"status": "resolved"}).json()["results"] == []
    assert api(network.finance_user).get("/api/v1/stock-alerts/").status_code == 403
    assert api(network.head_office).get("/api/v1/stock-alerts/").json()["results"].__len__() == 2


def test_acknowledge_then_resolve_and_a_wrong_step_names_the_status(network, alerts):
    client = api(network.dealer_user)
    (own,) = client.get("/api/v1/stock-alerts/").json()["results"]
    foreign = api(network.head_office).get("/api/v1/stock-alerts/", {"dealer": network.foreign_dealer.pk}).json()
    assert client.post(f"/api/v1/stock-alerts/{foreign['results'][0]['id']}/acknowledge/").status_code == 404
    acknowledged = client.post(f"/api/v1/stock-alerts/{own['id']}/acknowledge/")
    assert acknowledged.status_code == 200 and acknowledged.json()["status"] == "acknowledged"
    assert acknowledged.json()["acknowledged_by"] == network.dealer_user.pk
    again = client.post(f"/api/v1/stock-alerts/{own['id']}/acknowledge/")
    assert again.status_code == 400 and "status" in again.json()
    resolved = client.post(f"/api/v1/stock-alerts/{own['id']}/resolve/")
    assert resolved.json()["status"] == "resolved" and resolved.json()["resolved_at"]


def test_head_office_adds_a_rule_and_a_negative_threshold_names_the_field(network):
    client = api(network.head_office)
    bad = client.post("/api/v1/stock-alert-rules/", {"name": "Wrong", "kind": "aged_units", "threshold": "-1"})
    assert bad.status_code == 400 and "threshold" in bad.json()
    good = client.post("/api/v1/stock-alert-rules/", {"name": "BEV deep", "kind": "overstock_days_supply",
                                                      "threshold": "90", "powertrain": "bev"})  # fmt: skip
    assert good.status_code == 201 and good.json()["threshold"] == "90.00"
    refused = api(network.dealer_user).post("/api/v1/stock-alert-rules/", {"name": "Mine", "kind": "aged_units",
                                                                            "threshold": "1"})  # fmt: skip
    assert refused.status_code == 403
