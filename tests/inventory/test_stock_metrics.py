"""Stock depth on a hand-built dealer, every figure worked out by hand beside the assertion.

As of Sunday 15 March 2026 (31 days in March, day 15 elapsed). Dealer A (region East) holds
four units in stock, one ordered, one in transit; it sold three units in the last 45 days; its
region mate B sold one more."""

from datetime import date, timedelta
from decimal import Decimal

import pytest

from channels.models import Dealer
from inventory.models import FloorplanRate, StockStatus
from inventory.stock_metrics import dealer_metrics, stock_metrics, unit_ageing
from tests.factories import (
    DealerFactory,
    ForecastFactory,
    ForecastRunFactory,
    ForecastSeriesFactory,
    RegionFactory,
    SaleFactory,
    StockUnitFactory,
    VehicleModelFactory,
)

AS_OF = date(2026, 3, 15)


def days_ago(days: int) -> date:
    return AS_OF - timedelta(days=days)


@pytest.fixture
def shop(db):
    region = RegionFactory(code="EAST", name="East")
    a = DealerFactory(region=region, name="Dealer A")
    b = DealerFactory(region=region, name="Dealer B")
    m1 = VehicleModelFactory(dealer_invoice_cost=Decimal("170000.00"))
    m2 = VehicleModelFactory(
        dealer_invoice_cost=Decimal("100000.00"), msrp=Decimal("120000.00"), guide_price_floor=Decimal("110000.00")
    )
    units = {
        age: StockUnitFactory(dealer=a, model=model, arrived_on=days_ago(age), ordered_on=days_ago(age + 20))
        for age, model in ((10, m1), (45, m1), (100, m1), (70, m2))
    }
    StockUnitFactory(
        dealer=a, model=m1, status=StockStatus.ORDERED, arrived_on=None, ordered_on=days_ago(20), eta=days_ago(2)
    )
    StockUnitFactory(
        dealer=a,
        model=m2,
        status=StockStatus.IN_TRANSIT,
        arrived_on=None,
        ordered_on=days_ago(20),
        eta=AS_OF + timedelta(days=5),
    )
    for model, arrived, sold in (
        (m1, date(2026, 2, 1), date(2026, 3, 5)),
        (m1, date(2026, 2, 10), date(2026, 3, 10)),
        (m2, date(2026, 1, 1), date(2026, 2, 20)),
    ):
        SaleFactory(
            dealer=a,
            sold_on=sold,
            stock_unit__model=model,
            stock_unit__arrived_on=arrived,
            stock_unit__ordered_on=arrived - timedelta(days=10),
        )
    SaleFactory(
        dealer=b,
        sold_on=date(2026, 3, 1),
        stock_unit__model=m2,
        stock_unit__arrived_on=date(2026, 2, 1),
        stock_unit__ordered_on=date(2026, 1, 20),
    )
    return {"region": region, "a": a, "b": b, "units": units}


def test_a_dealers_stock_depth_worked_out_by_hand(shop):
    metrics = dealer_metrics(shop["a"], as_of=AS_OF)
    assert (metrics.ordered, metrics.in_transit, metrics.in_stock) == (1, 1, 4)
    assert metrics.ages == (1, 1, 1, 1)  # 10, 45, 70 and 100 days
    assert metrics.overdue == 1  # the ordered unit was due two days ago
    # Coefficient: 4 in stock ÷ (2 sold by the 15th × 31 ÷ 15) = 60 ÷ 62 = 0.9677…
    assert metrics.coefficient == Decimal("0.97")
    # Days supply: 4 ÷ (3 sold in 45 days ÷ 45) = 60.0
    assert metrics.days_supply == Decimal("60.0")
    # Stock turn: 3 sales ÷ (unit-days 10 + 45 + 100 + 70 in stock + 32 + 28 + 50 sold = 335 ÷ 365) = 3.2686…
    assert metrics.stock_turn == Decimal("3.27")
    # Mix: stock M1 3/4, M2 1/4 against the region's 90-day sales M1 2/4, M2 2/4 (B's M2 counts):
    # ½ (|0.75 − 0.5| + |0.25 − 0.5|) = 0.25
    assert metrics.mix_deviation == Decimal("0.2500")
    # Ageing at the default 4.35 %: M1 170,000 × 4.35 % ÷ 365 = 20.2603/day: 10 d 202.60, 45 d 911.71,
    # 100 d 2,026.03; M2 100,000 × 4.35 % ÷ 365 = 11.9178/day × 70 d = 834.25; together 3,974.59.
    assert metrics.ageing_cost == Decimal("3974.59")


def test_a_unit_shows_its_ageing_cost_at_the_dealers_rate_or_head_offices(shop):
    unit = shop["units"][10]
    ageing = unit_ageing(unit, as_of=AS_OF)
    assert (ageing.days, ageing.rate, ageing.per_day, ageing.cost) == (
        10,
        Decimal("4.35"),
        Decimal("20.26"),
        Decimal("202.60"),
    )
    FloorplanRate.objects.create(dealer=None, annual_rate=Decimal("6.00"))
    # 170,000 × 6 % ÷ 365 × 10 = 279.452…
    assert unit_ageing(unit, as_of=AS_OF).cost == Decimal("279.45")
    FloorplanRate.objects.create(dealer=shop["a"], annual_rate=Decimal("3.65"))
    # 170,000 × 3.65 % ÷ 365 = 17.00 a day exactly
    assert unit_ageing(unit, as_of=AS_OF).per_day == Decimal("17.00")
    # The dealer's sum at its own rate: M1 17.00/day × (10 + 45 + 100) d + M2 10.00/day × 70 d = 3,335.00
    assert dealer_metrics(shop["a"], as_of=AS_OF).ageing_cost == Decimal("3335.00")


def test_the_region_and_the_network_sum_their_dealers(shop):
    DealerFactory(name="Elsewhere")  # another region, nothing in stock
    (region,) = stock_metrics(Dealer.objects.filter(region=shop["region"]), by="region", as_of=AS_OF)
    assert region.key == shop["region"].pk and region.in_stock == 4 and region.sales_month == 3
    # 4 ÷ (3 × 31 ÷ 15) = 0.645…
    assert region.coefficient == Decimal("0.65")
    assert region.mix_deviation == Decimal("0.2500")
    (network,) = stock_metrics(Dealer.objects.all(), by="network", as_of=AS_OF)
    assert (network.key, network.in_stock, network.sales_supply) == (0, 4, 4)
    dealers = stock_metrics(Dealer.objects.all(), by="dealer", as_of=AS_OF)
    assert len(dealers) == 3
    b = next(row for row in dealers if row.key == shop["b"].pk)
    assert (b.in_stock, b.coefficient, b.days_supply, b.mix_deviation) == (0, Decimal("0.00"), Decimal("0.0"), None)


def test_the_forward_coefficient_divides_stock_and_in_transit_by_the_next_30_days_forecast(shop):
    assert dealer_metrics(shop["a"], as_of=AS_OF).forward_coefficient is None  # no forecast yet
    series = ForecastSeriesFactory(run=ForecastRunFactory(week=date(2026, 3, 9)), dealer=shop["a"])
    # The 30 days after Sunday 15 March: 16 March to 14 April. The weeks of 16, 23, 30 March and
    # 6 April count whole; that of 13 April for its 13th and 14th, 2 of 7 days; that of 9 March
    # (already past) not at all.
    for monday, units in ((date(2026, 3, 9), 50.0), (date(2026, 3, 16), 1.5), (date(2026, 3, 23), 1.5),
                          (date(2026, 3, 30), 1.5), (date(2026, 4, 6), 1.5), (date(2026, 4, 13), 3.5)):  # fmt: skip
        ForecastFactory(series=series, target_week=monday, units=units, lo=0.0, hi=units * 2)
    metrics = dealer_metrics(shop["a"], as_of=AS_OF)
    # Forecast: 4 × 1.5 + 3.5 × 2 / 7 = 7.0 units; (4 in stock + 1 in transit) ÷ 7.0 = 0.714…
    assert metrics.forecast_30 == Decimal("7.0")
    assert metrics.forward_coefficient == Decimal("0.71")
