"""Stock alerts: the nightly run opens, updates and resolves them without duplicates; users
acknowledge and resolve them within their scope; a rule refuses a negative threshold."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from dealerops.access import scope
from dealerops.models import JobRun, JobStatus
from inventory.alerts import stock_alert_acknowledge, stock_alert_resolve, stock_alerts_run
from inventory.models import AlertKind, AlertStatus, Powertrain, StockAlert, StockAlertRule, StockStatus, StockUnit
from tests.factories import LeadFactory, SaleFactory, StockUnitFactory, VehicleModelFactory

AS_OF = date(2026, 3, 15)


def rule(kind: str, threshold: str, **fields) -> StockAlertRule:
    return StockAlertRule.objects.create(
        name=fields.pop("name", kind), kind=kind, threshold=Decimal(threshold), **fields
    )


def unit(dealer, model, age: int | None = None, **fields) -> StockUnit:
    if age is None:
        return StockUnitFactory(dealer=dealer, model=model, **fields)
    return StockUnitFactory(
        dealer=dealer,
        model=model,
        arrived_on=AS_OF - timedelta(days=age),
        ordered_on=AS_OF - timedelta(days=age + 10),
        **fields,
    )


def test_an_aged_unit_opens_one_alert_a_rerun_keeps_it_and_its_sale_resolves_it(network):
    aged = rule(AlertKind.AGED_UNITS, "0")
    model = VehicleModelFactory()
    unit(network.home_dealer, model, age=120)
    run = stock_alerts_run(as_of=AS_OF)
    assert run.status == JobStatus.SUCCEEDED and run.rows == 1
    alert = StockAlert.objects.get()
    assert (alert.dealer, alert.model, alert.rule, alert.metric_value, alert.status) == (
        network.home_dealer,
        model,
        aged,
        Decimal("1.00"),
        AlertStatus.OPEN,
    )

    assert stock_alerts_run(as_of=AS_OF).rows == 0  # a re-run opens and changes nothing
    assert StockAlert.objects.count() == 1

    unit(network.home_dealer, model, age=95)
    stock_alerts_run(as_of=AS_OF)
    alert.refresh_from_db()
    assert StockAlert.objects.count() == 1 and alert.metric_value == Decimal("2.00")  # updated in place

    StockUnit.objects.filter(dealer=network.home_dealer).update(status=StockStatus.SOLD)
    assert stock_alerts_run(as_of=AS_OF).rows == 1
    alert.refresh_from_db()
    assert alert.status == AlertStatus.RESOLVED and alert.resolved_at is not None
    assert alert.resolved_by is None  # by the nightly run
    assert JobRun.objects.filter(job="inventory.stock_alerts", status=JobStatus.SUCCEEDED).count() == 4


def test_the_database_refuses_a_second_live_alert_for_the_same_dealer_model_and_rule(network):
    aged = rule(AlertKind.AGED_UNITS, "0")
    model = VehicleModelFactory()
    live = {
        "dealer": network.home_dealer,
        "model": model,
        "rule": aged,
        "threshold": 0,
        "opened_at": "2026-03-15T00:00Z",
        "updated_at": "2026-03-15T00:00Z",
    }
    StockAlert.objects.create(**live)
    with pytest.raises(IntegrityError), transaction.atomic():
        StockAlert.objects.create(**live, status=AlertStatus.ACKNOWLEDGED)
    mix = rule(AlertKind.MIX_DEVIATION, "0.3")
    StockAlert.objects.create(**{**live, "model": None, "rule": mix})
    with pytest.raises(IntegrityError), transaction.atomic():  # a dealer-wide alert (no model) too
        StockAlert.objects.create(**{**live, "model": None, "rule": mix})
    StockAlert.objects.create(**live, status=AlertStatus.RESOLVED, resolved_at="2026-03-15T00:00Z")  # history is kept


def test_overstock_stockout_overdue_and_mix_rules_by_segment(network):
    dealer = network.home_dealer
    bev = VehicleModelFactory(powertrain=Powertrain.BEV)
    ice = VehicleModelFactory(powertrain=Powertrain.ICE, msrp=Decimal("300000.00"))
    hot = VehicleModelFactory(powertrain=Powertrain.BEV)
    rule(AlertKind.OVERSTOCK_DAYS_SUPPLY, "60", powertrain=Powertrain.BEV, name="BEV overstock")
    rule(AlertKind.STOCKOUT_RISK, "10", name="Stock-out")
    rule(AlertKind.OVERDUE_IN_TRANSIT, "0", msrp_from=Decimal("250000"), name="Premium overdue")
    rule(AlertKind.MIX_DEVIATION, "0.3", name="Mix")
    for _ in range(3):  # BEV: 3 in stock, 1 sold in 45 days: 3 ÷ (1 ÷ 45) = 135 days supply > 60
        unit(dealer, bev, age=20)
    SaleFactory(
        dealer=dealer,
        stock_unit__model=bev,
        sold_on=AS_OF - timedelta(days=5),
        stock_unit__arrived_on=AS_OF - timedelta(days=30),
        stock_unit__ordered_on=AS_OF - timedelta(days=40),
    )
    # ICE (premium): stock 0 with an open lead (stock-out risk: 0 < 10), one unit in transit 3 days late.
    LeadFactory(dealer=dealer, model_of_interest=ice)
    unit(
        dealer,
        ice,
        status=StockStatus.IN_TRANSIT,
        arrived_on=None,
        ordered_on=AS_OF - timedelta(days=20),
        eta=AS_OF - timedelta(days=3),
    )
    # hot: sold twice, none left (stock-out); region's sales 1 BEV, 2 hot against stock of 3 BEV:
    # mix ½(|1 − 1/3| + |0 − 2/3|) = 0.67 > 0.3
    for days in (2, 3):
        SaleFactory(
            dealer=dealer,
            stock_unit__model=hot,
            sold_on=AS_OF - timedelta(days=days),
            stock_unit__arrived_on=AS_OF - timedelta(days=20),
            stock_unit__ordered_on=AS_OF - timedelta(days=30),
        )
    stock_alerts_run(as_of=AS_OF)
    found = {
        (alert.rule.name, alert.model_id): alert.metric_value for alert in StockAlert.objects.select_related("rule")
    }
    assert found == {
        ("BEV overstock", bev.pk): Decimal("135.00"),
        ("Stock-out", ice.pk): Decimal("0.00"),
        ("Stock-out", hot.pk): Decimal("0.00"),
        ("Premium overdue", ice.pk): Decimal("1.00"),
        ("Mix", None): Decimal("0.67"),
    }


def test_acknowledge_then_resolve_records_who_and_when_and_refuses_a_wrong_step(network):
    aged = rule(AlertKind.AGED_UNITS, "0")
    unit(network.home_dealer, VehicleModelFactory(), age=100)
    stock_alerts_run(as_of=AS_OF)
    alert = StockAlert.objects.get()
    acknowledged = stock_alert_acknowledge(alert_id=alert.pk, user=network.dealer_user)
    assert acknowledged.status == AlertStatus.ACKNOWLEDGED and acknowledged.acknowledged_by == network.dealer_user
    stock_alerts_run(as_of=AS_OF)  # the night keeps it acknowledged
    alert.refresh_from_db()
    assert alert.status == AlertStatus.ACKNOWLEDGED and alert.rule == aged
    with pytest.raises(ValidationError) as error:
        stock_alert_acknowledge(alert_id=alert.pk, user=network.regional_manager)
    assert "status" in error.value.message_dict
    resolved = stock_alert_resolve(alert_id=alert.pk, user=network.regional_manager)
    assert resolved.status == AlertStatus.RESOLVED and resolved.resolved_by == network.regional_manager
    with pytest.raises(ValidationError, match="already resolved"):
        stock_alert_resolve(alert_id=alert.pk, user=network.head_office)
    # Still past the threshold: the next night opens a new alert beside the resolved one.
    stock_alerts_run(as_of=AS_OF)
    assert list(StockAlert.objects.order_by("id").values_list("status", flat=True)) == ["resolved", "open"]


def test_a_dealer_user_never_sees_or_changes_another_dealers_alert(network):
    rule(AlertKind.AGED_UNITS, "0")
    unit(network.foreign_dealer, VehicleModelFactory(), age=100)
    stock_alerts_run(as_of=AS_OF)
    foreign = StockAlert.objects.get()
    assert not scope(network.dealer_user, StockAlert).exists()
    assert not scope(network.regional_manager, StockAlert).exists()
    assert not scope(network.finance_user, StockAlert).exists()
    with pytest.raises(StockAlert.DoesNotExist):
        stock_alert_acknowledge(alert_id=foreign.pk, user=network.dealer_user)


def test_a_negative_threshold_is_refused_naming_the_field(db):
    candidate = StockAlertRule(name="Wrong", kind=AlertKind.AGED_UNITS, threshold=Decimal("-1"))
    with pytest.raises(ValidationError) as error:
        candidate.full_clean()
    assert "threshold" in error.value.message_dict
    with pytest.raises(IntegrityError), transaction.atomic():
        candidate.save()
