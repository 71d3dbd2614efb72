"""The planning maths fed from the tables: which outlets count and how attractive each is,
which buyers the decay is fitted to, and the year's capacity on cells."""

import datetime as dt
from decimal import Decimal

import numpy as np
import pytest

from channels.models import DealerStatus
from channels.planning.selectors import active_outlets, decay_fit, demand_cells
from tests.factories import (
    CityMarketFactory,
    CustomerFactory,
    DealerFactory,
    HealthScoreFactory,
    HealthWeightsFactory,
    SaleFactory,
)


@pytest.mark.django_db
def test_active_outlets_draw_by_their_staff_and_latest_health(network):
    weights = HealthWeightsFactory()
    HealthScoreFactory(
        dealer=network.home_dealer, weights=weights, month=dt.date(2026, 9, 1), composite=Decimal("20"), rating="D"
    )
    HealthScoreFactory(dealer=network.home_dealer, weights=weights, month=dt.date(2026, 10, 1), composite=Decimal("80"))
    unstaffed = DealerFactory(region=network.home_region, sales_headcount=0)
    DealerFactory(region=network.home_region, status=DealerStatus.EXITED)
    probation = DealerFactory(region=network.home_region, status=DealerStatus.PROBATION, sales_headcount=4)
    outlets = active_outlets()
    attraction = dict(zip(outlets.ids.tolist(), outlets.attraction.tolist(), strict=True))
    # 10 staff × (½ + 80 ÷ 100); 10 staff, not scored: × (½ + ½); no staff counts as one. An
    # outlet on probation still trades; an exited one does not.
    assert attraction == pytest.approx(
        {network.home_dealer.pk: 13.0, network.foreign_dealer.pk: 10.0, unstaffed.pk: 1.0, probation.pk: 4.0}
    )
    assert outlets.lat[outlets.position()[network.home_dealer.pk]] == pytest.approx(30.274084)


def bought(dealer, day: dt.date, lat: str | None, lon: str | None) -> None:
    customer = CustomerFactory(home_dealer=dealer, latitude=lat, longitude=lon)
    SaleFactory(dealer=dealer, customer=customer, sold_on=day, stock_unit__arrived_on=dt.date(2024, 1, 2))


@pytest.mark.django_db
def test_the_decay_is_fitted_to_the_buyers_of_the_period_whose_home_is_known(network):
    assert decay_fit(dt.date(2025, 1, 1), dt.date(2025, 12, 31)) is None
    near_hangzhou = [("30.30", "120.10"), ("30.20", "120.20"), ("30.35", "120.25")]
    for lat, lon in near_hangzhou:
        bought(network.home_dealer, dt.date(2025, 5, 1), lat, lon)
    bought(network.home_dealer, dt.date(2025, 5, 1), None, None)  # no coordinates
    bought(network.home_dealer, dt.date(2024, 12, 31), "30.30", "120.10")  # before the period
    fit = decay_fit(dt.date(2025, 1, 1), dt.date(2025, 12, 31))
    assert (fit.choices, fit.beyond_reach) == (3, 0)
    # The fixture's two dealers stand at the same spot with the same attraction: each choice
    # had a chance of ½ whatever the decay.
    assert fit.log_likelihood == pytest.approx(3 * np.log(0.5))
    assert fit.flat_log_likelihood == pytest.approx(3 * np.log(0.5))


@pytest.mark.django_db
def test_the_years_capacity_lies_on_the_cells_of_its_cities(network):
    CityMarketFactory(region=network.home_region, year=2025, households=1_000)  # 46 cars
    CityMarketFactory(
        region=network.home_region, year=2025, households=2_000, latitude="31.230400", longitude="121.473700"
    )
    CityMarketFactory(region=network.home_region, year=2024, households=9_000)
    cells = demand_cells(2025)
    assert cells.capacity.sum() == pytest.approx(46 + 92)
    assert len(cells.h3) == len(set(cells.h3)) > 2
    assert np.all(cells.capacity > 0)
