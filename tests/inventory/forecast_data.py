"""Generated weekly demand for the forecast tests: annual seasonality, a Chinese New Year rush
and dip, smooth and intermittent series, drawn with a fixed seed; and a loader that writes it
as sales (units, stock units and a buyer) in bulk."""

import datetime as dt
import math
from decimal import Decimal

import numpy as np
import pandas as pd

from inventory.forecasting.calendar import CNY_DAYS, week_index, week_of_index, week_start
from inventory.models import Payment, Sale, StockStatus, StockUnit
from tests.factories import CustomerFactory

AS_OF = dt.date(2026, 11, 25)  # a Wednesday: the run's week begins on Monday 23 November
WEEK = dt.date(2026, 11, 23)

# Rush before the holiday, the closure, and a slow restart (multiplies the week's rate).
CNY_SHAPE = {-3: 1.3, -2: 1.5, -1: 1.2, 0: 0.3, 1: 0.5, 2: 0.8}


def seasonal_rate(ds: int) -> float:
    """The demand multiplier of a week: the year's wave (a spring low, an autumn peak) and CNY."""
    monday = week_of_index(ds)
    wave = 1 + 0.35 * math.sin(2 * math.pi * (monday.timetuple().tm_yday / 365.25 - 0.25))
    for day in CNY_DAYS.values():
        offset = ds - week_index(week_start(day))
        if offset in CNY_SHAPE:
            return wave * CNY_SHAPE[offset]
    return wave


def weekly_panel(rates: list[float], *, last_week: dt.date, weeks: int, seed: int = 7) -> pd.DataFrame:
    """One Poisson series per rate (units a week at the wave's mean): unique_id, ds, y."""
    rng = np.random.default_rng(seed)
    last = week_index(last_week)
    ds = np.arange(last - weeks + 1, last + 1)
    season = np.array([seasonal_rate(int(index)) for index in ds])
    frames = [
        pd.DataFrame({"unique_id": uid, "ds": ds, "y": rng.poisson(rate * season).astype(float)})
        for uid, rate in enumerate(rates)
    ]
    return pd.concat(frames, ignore_index=True)


def load_sales(panel: pd.DataFrame, series: dict[int, tuple], *, first_vin: int = 0) -> int:
    """Write the panel's units as sales on the Wednesday of their week; ``series`` maps a
    unique_id to its (dealer, vehicle model). Returns the number of sales."""
    customers = {}
    units, sales = [], []
    number = first_vin
    for row in panel[panel["y"] > 0].itertuples(index=False):
        dealer, model = series[row.unique_id]
        sold_on = week_of_index(row.ds) + dt.timedelta(days=2)
        customer = customers.get(dealer.pk) or customers.setdefault(dealer.pk, CustomerFactory(home_dealer=dealer))
        for _ in range(int(row.y)):
            number += 1
            unit = StockUnit(
                vin=f"LFC{number:014d}",
                model=model,
                dealer=dealer,
                status=StockStatus.SOLD,
                ordered_on=sold_on - dt.timedelta(days=40),
                arrived_on=sold_on - dt.timedelta(days=10),
            )
            units.append(unit)
            sales.append((unit, dealer, customer, sold_on))
    StockUnit.objects.bulk_create(units, batch_size=2000)
    Sale.objects.bulk_create(
        [
            Sale(
                stock_unit=unit,
                dealer=dealer,
                customer=customer,
                salesperson="Li Na",
                sold_on=sold_on,
                transaction_price=Decimal("150000.00"),
                payment=Payment.CASH,
                registered_city="Hangzhou",
            )
            for unit, dealer, customer, sold_on in sales
        ],
        batch_size=2000,
    )
    return len(sales)
