"""The stock pages as each role sees them: the dealer's dashboard, the region view, the unit's
ageing cost, the alerts list with its export and the acknowledge / resolve actions."""

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse

from dealerops.validation import today
from inventory.alerts import stock_alerts_run
from inventory.models import AlertKind, AlertStatus, StockAlert, StockAlertRule
from tests.factories import SaleFactory, StockUnitFactory, VehicleModelFactory


@pytest.fixture
def stock(network):
    day = today()
    model = VehicleModelFactory(brand="Hongqi", series="E-QM5", trim="Pro", dealer_invoice_cost=Decimal("146000.00"))
    aged = StockUnitFactory(
        dealer=network.home_dealer,
        model=model,
        arrived_on=day - dt.timedelta(days=100),
        ordered_on=day - dt.timedelta(days=110),
    )
    StockUnitFactory(
        dealer=network.home_dealer,
        model=model,
        arrived_on=day - dt.timedelta(days=5),
        ordered_on=day - dt.timedelta(days=9),
    )
    StockUnitFactory(
        dealer=network.foreign_dealer,
        model=model,
        arrived_on=day - dt.timedelta(days=120),
        ordered_on=day - dt.timedelta(days=130),
    )
    SaleFactory(
        dealer=network.home_dealer,
        stock_unit__model=model,
        sold_on=day,
        stock_unit__arrived_on=day - dt.timedelta(days=3),
        stock_unit__ordered_on=day - dt.timedelta(days=9),
    )
    StockAlertRule.objects.create(name="Aged stock", kind=AlertKind.AGED_UNITS, threshold=0)
    stock_alerts_run(as_of=day)
    return {"aged": aged, "model": model}


def test_a_dealer_user_sees_its_stock_dashboard_with_its_figures_and_alert(network, stock, client_for):
    page = client_for(network.dealer_user).get(reverse("inventory:stock-depth"))
    assert page.status_code == 200
    text = page.content.decode()
    assert "Hangzhou Xihu 4S" in text and "Chengdu Jinjiang 4S" not in text
    metrics = page.context["metrics"]
    assert (metrics.in_stock, metrics.aged) == (2, 1)
    # 146,000 × 4.35 % ÷ 365 = 17.40 a day: 100 days 1,740.00 + 5 days 87.00
    assert metrics.ageing_cost == Decimal("1827.00")
    assert "Aged stock" in text  # the alert on its own dashboard
    assert f"?dealer={network.home_dealer.pk}&amp;model={stock['model'].pk}&amp;status=in_stock" in text  # drill-down


def test_the_unit_page_shows_its_ageing_cost(network, stock, client_for):
    page = client_for(network.dealer_user).get(stock["aged"].get_absolute_url())
    assert page.status_code == 200
    assert page.context["ageing"].cost == Decimal("1740.00")


def test_a_manager_sees_the_region_view_and_a_dealers_dashboard_but_not_a_foreign_one(network, stock, client_for):
    client = client_for(network.regional_manager)
    page = client.get(reverse("inventory:stock-depth"), {"sort": "aged"})
    assert page.status_code == 200
    assert [row["dealer"].name for row in page.context["rows"]] == ["Hangzhou Xihu 4S"]
    assert "stock-depth-map-data" in page.content.decode()
    depth = reverse("inventory:stock-depth")
    assert client.get(depth, {"dealer": network.home_dealer.pk}).context["metrics"].in_stock == 2
    assert client.get(depth, {"dealer": network.foreign_dealer.pk}).status_code == 404
    assert client.get(depth, {"dealer": "x"}).status_code == 404


def test_finance_has_no_stock_pages(network, stock, client_for):
    client = client_for(network.finance_user)
    assert client.get(reverse("inventory:stock-depth")).status_code == 403
    assert client.get(reverse("inventory:stock-alert-list")).status_code == 403


def test_the_alerts_list_filters_exports_and_its_actions_change_the_status(network, stock, client_for):
    client = client_for(network.dealer_user)
    listing = client.get(reverse("inventory:stock-alert-list"), {"status": "open"})
    assert listing.status_code == 200 and "Chengdu Jinjiang 4S" not in listing.content.decode()
    exported = client.get(reverse("inventory:stock-alert-list"), {"export": "csv"})
    body = b"".join(exported.streaming_content).decode() if exported.streaming else exported.content.decode()
    assert "Aged stock" in body and "Chengdu" not in body
    own = StockAlert.objects.get(dealer=network.home_dealer)
    foreign = StockAlert.objects.get(dealer=network.foreign_dealer)
    assert client.post(reverse("inventory:stock-alert-acknowledge", args=[foreign.pk])).status_code == 404
    answer = client.post(reverse("inventory:stock-alert-acknowledge", args=[own.pk]))
    assert answer.status_code == 302
    own.refresh_from_db()
    assert own.status == AlertStatus.ACKNOWLEDGED and own.acknowledged_by == network.dealer_user
    client.post(reverse("inventory:stock-alert-resolve", args=[own.pk]))
    own.refresh_from_db()
    assert own.status == AlertStatus.RESOLVED
    home = client.get(reverse("home"))
    assert home.status_code == 200 and home.context["stock_alerts_live"] == 0


def test_head_office_adds_a_rule_on_its_page_and_a_negative_threshold_is_shown_on_its_field(network, client_for):
    client = client_for(network.head_office)
    url = reverse("inventory:stock-alert-rule-create")
    refused = client.post(url, {"name": "Wrong", "kind": "aged_units", "threshold": "-1", "active": "on"})
    assert refused.status_code == 200
    assert refused.context["form"].errors["threshold"]
    assert not StockAlertRule.objects.exists()
    added = client.post(
        url, {"name": "BEV deep", "kind": "overstock_days_supply", "threshold": "90", "powertrain": "bev"}
    )
    assert added.status_code == 302
    rule = StockAlertRule.objects.get()
    assert (rule.kind, rule.threshold, rule.powertrain, rule.active) == ("overstock_days_supply", 90, "bev", False)
    listing = client.get(reverse("inventory:stock-alert-rule-list"))
    assert "BEV deep" in listing.content.decode()
    assert client_for(network.dealer_user).get(url).status_code == 403
