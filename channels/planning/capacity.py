"""A city's yearly market capacity for new cars, from its households, income and how many cars
its people already own.

    purchase rate = BASE_RATE × (income ÷ REFERENCE_INCOME) ^ INCOME_ELASTICITY
                              × (SATURATION − ownership) ÷ (SATURATION − REFERENCE_OWNERSHIP)
    capacity      = households × purchase rate        (new cars a year, never below zero)
    NEV capacity  = capacity × the city's new-energy share;  ICE = capacity − NEV

The reference point is the national average: about 0.046 new passenger cars a household a
year (22.9 M retail sales in 2024 over 494 M households), at 41,314 yuan of disposable income
per capita and 250 vehicles per 1,000 people; a city buys more where incomes are higher (less
than in proportion: an elasticity of 0.8) and less as ownership nears saturation (600 per
1,000, the level of mature car markets). The figures are of the right order, not an official
forecast: the model is a documented starting point."""

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

RATE_PLACES = Decimal("0.000001")
SHARE_PLACES = Decimal("0.0001")


@dataclass(frozen=True)
class CapacityModel:
    base_rate: Decimal = Decimal("0.046")  # new cars per household a year, at the reference
    reference_income: Decimal = Decimal("41314")  # yuan of disposable income per capita
    income_elasticity: Decimal = Decimal("0.8")
    reference_ownership: Decimal = Decimal("250")  # vehicles per 1,000 people
    saturation: Decimal = Decimal("600")

    def purchase_rate(self, disposable_income: Decimal, vehicles_per_1000: Decimal) -> Decimal:
        """New cars a household buys a year (six places), zero at or beyond saturation."""
        if disposable_income <= 0 or vehicles_per_1000 >= self.saturation:
            return Decimal(0).quantize(RATE_PLACES)
        income = (disposable_income / self.reference_income) ** self.income_elasticity
        headroom = (self.saturation - vehicles_per_1000) / (self.saturation - self.reference_ownership)
        return (self.base_rate * income * headroom).quantize(RATE_PLACES, ROUND_HALF_UP)


@dataclass(frozen=True)
class Capacity:
    purchase_rate: Decimal
    units: int  # new cars a year
    nev_units: int
    ice_units: int


DEFAULT_MODEL = CapacityModel()


def market_capacity(market, model: CapacityModel = DEFAULT_MODEL) -> Capacity:
    """``market``'s capacity (a ``CityMarket`` or anything with its fields)."""
    rate = model.purchase_rate(market.disposable_income, market.vehicles_per_1000)
    units = int((market.households * rate).to_integral_value(ROUND_HALF_UP))
    nev = int((units * market.nev_share).to_integral_value(ROUND_HALF_UP))
    return Capacity(purchase_rate=rate, units=units, nev_units=nev, ice_units=units - nev)


def penetration(units_sold: int, capacity_units: int) -> Decimal | None:
    """Our share of the market (four places), None when the market has no capacity."""
    if capacity_units <= 0:
        return None
    return (Decimal(units_sold) / capacity_units).quantize(SHARE_PLACES, ROUND_HALF_UP)
