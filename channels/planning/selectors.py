"""Reads for the planning pages, jobs and bench: the tables as the planning maths' arrays."""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import numpy as np
from django.db.models import OuterRef, QuerySet, Subquery
from django.db.models.functions import Mod

from channels.models import CityMarket, Dealer, DealerStatus, HealthScore
from channels.planning.capacity import DEFAULT_MODEL, Capacity, CapacityModel, market_capacity, penetration
from channels.planning.geometry import Cells, spread_over_cells
from channels.planning.huff import DEFAULT_HUFF, DecayFit, HuffModel, fit_decay
from dealerops.pagination import estimated_count
from inventory.models import Sale


@dataclass(frozen=True)
class MarketFigures:
    capacity: Capacity
    units_sold: int  # our network's sales registered in the city that year
    penetration: Decimal | None
    model: CapacityModel


def city_market_figures(market: CityMarket, model: CapacityModel = DEFAULT_MODEL) -> MarketFigures:
    """A city's capacity and our penetration. The units sold are the whole network's (a market
    fact, a count rather than records: a regional manager sees it for their region's cities
    whichever region's dealer sold the car)."""
    capacity = market_capacity(market, model)
    sold = Sale.objects.filter(registered_city=market.city, sold_on__year=market.year).count()
    return MarketFigures(capacity, sold, penetration(sold, capacity.units), model)


@dataclass(frozen=True)
class Outlets:
    """The active outlets as arrays, in one order: what the planning maths reads."""

    ids: np.ndarray
    lat: np.ndarray
    lon: np.ndarray
    attraction: np.ndarray

    def position(self) -> dict[int, int]:
        return {int(pk): n for n, pk in enumerate(self.ids)}


def active_outlets() -> Outlets:
    """Active outlets with their attraction: sales staff (at least one) × (½ + the latest
    health composite ÷ 100), so a healthy store draws up to three times a failing one of its
    size; an outlet not yet scored counts as average (50)."""
    latest = HealthScore.objects.filter(dealer=OuterRef("pk"), composite__isnull=False).order_by("-month")
    rows = list(
        Dealer.objects.filter(status=DealerStatus.ACTIVE)
        .annotate(composite=Subquery(latest.values("composite")[:1]))
        .order_by("pk")
        .values_list("pk", "latitude", "longitude", "sales_headcount", "composite")
    )
    staff = np.array([row[3] for row in rows], dtype=float)
    composite = np.array([50.0 if row[4] is None else float(row[4]) for row in rows])
    return Outlets(
        ids=np.array([row[0] for row in rows], dtype=np.int64),
        lat=np.array([float(row[1]) for row in rows]),
        lon=np.array([float(row[2]) for row in rows]),
        attraction=np.maximum(staff, 1.0) * (0.5 + composite / 100),
    )


def demand_cells(year: int) -> Cells:
    """The year's city capacities spread over their cells."""
    markets = list(CityMarket.objects.filter(year=year).values_list("latitude", "longitude", "capacity_units"))
    return spread_over_cells(
        [float(row[0]) for row in markets], [float(row[1]) for row in markets], [float(row[2]) for row in markets]
    )


def sampled_buyers(first: date, last: date, sample: int) -> QuerySet[Sale]:
    """About ``sample`` of the sales of ``first``..``last`` to buyers whose home is known, at
    active outlets: every n-th sale by key."""
    sales = Sale.objects.filter(
        sold_on__range=(first, last), customer__latitude__isnull=False, dealer__status=DealerStatus.ACTIVE
    )
    step = max(1, estimated_count(sales) // sample)
    return sales.alias(bucket=Mod("pk", step)).filter(bucket=0) if step > 1 else sales


def decay_fit(first: date, last: date, model: HuffModel = DEFAULT_HUFF, *, sample: int = 20_000) -> DecayFit | None:
    """The distance decay fitted to the buyers of ``first``..``last`` whose home is known and
    the outlets they bought at; None when no buyer has coordinates. About ``sample`` buyers,
    every n-th sale: millions of buyers with their outlets within reach would not fit in
    memory, and on the national dataset 20,000 give the exponent of 48,000 within 0.02
    (1.049 against 1.038) in 0.5 GB instead of 0.9."""
    outlets = active_outlets()
    position = outlets.position()
    buyers = list(
        sampled_buyers(first, last, sample).values_list("customer__latitude", "customer__longitude", "dealer_id")
    )
    if not buyers:
        return None
    lat = np.array([float(row[0]) for row in buyers])
    lon = np.array([float(row[1]) for row in buyers])
    chosen = np.array([position[row[2]] for row in buyers], dtype=np.int64)
    return fit_decay(lat, lon, chosen, outlets.lat, outlets.lon, outlets.attraction, model)
