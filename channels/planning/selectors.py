"""Reads for the planning pages."""

from dataclasses import dataclass
from decimal import Decimal

from channels.models import CityMarket
from channels.planning.capacity import DEFAULT_MODEL, Capacity, CapacityModel, market_capacity, penetration
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
