"""Fixtures of the inventory tests: sales history for the weekly forecast."""

import datetime as dt

import pytest

from tests.factories import VehicleModelFactory
from tests.inventory.forecast_data import WEEK, load_sales, weekly_panel


@pytest.fixture
def forecast_history(network):
    """110 weeks of sales: at the home dealer a smooth model (6 a week) and an intermittent one
    (0.4 a week), at the foreign dealer a smooth one; and a model sold twice in the last three
    weeks (too little history to forecast)."""
    smooth, sparse, newcomer = VehicleModelFactory(), VehicleModelFactory(), VehicleModelFactory()
    panel = weekly_panel([6.0, 0.4, 6.0], last_week=WEEK - dt.timedelta(weeks=1), weeks=110, seed=11)
    series = {0: (network.home_dealer, smooth), 1: (network.home_dealer, sparse), 2: (network.foreign_dealer, smooth)}
    load_sales(panel, series)
    recent = panel[(panel["unique_id"] == 0) & (panel["ds"] >= panel["ds"].max() - 2)].assign(unique_id=3, y=[1, 0, 1])
    load_sales(recent, {3: (network.home_dealer, newcomer)}, first_vin=100_000)
    return {"smooth": smooth, "sparse": sparse, "newcomer": newcomer, "panel": panel}
