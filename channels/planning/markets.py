"""Writes of the city market table, and the rules a market's row keeps (shared with its import,
``datahub.kinds.city_markets``). Every writer stores the capacity ``market_capacity`` computes
from the row's inputs, so the list sorts by the figure the city's page explains."""

from decimal import Decimal
from types import SimpleNamespace

from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.utils.translation import gettext as _

from channels.models import CHINA_LATITUDES, CHINA_LONGITUDES, CityMarket, Region
from channels.planning.capacity import market_capacity
from dealerops.formats import format_count

# The figures of a market that cannot be negative, by field.
NON_NEGATIVE = ("population", "households", "disposable_income", "vehicles_per_1000")
PEOPLE = 1000  # of "vehicles per 1,000 people": more vehicles than people is a typing error


def city_market_refusals(
    *,
    latitude: Decimal,
    longitude: Decimal,
    population: int,
    households: int,
    disposable_income: Decimal,
    vehicles_per_1000: Decimal,
    nev_share: Decimal,
) -> dict[str, str]:
    """Why a market's figures cannot be stored, by field (empty when they can): no negative
    figure, no more households than people, no more vehicles than people, a share between 0
    and 1, and a point inside the country (a swapped or mistyped coordinate would put the
    city's demand elsewhere). Used by ``city_market_save`` (the form) and the market import,
    row by row."""
    figures = {
        "population": population,
        "households": households,
        "disposable_income": disposable_income,
        "vehicles_per_1000": vehicles_per_1000,
    }
    refusals = {name: _("This cannot be negative.") for name in NON_NEGATIVE if figures[name] < 0}
    if "households" not in refusals and "population" not in refusals and households > population:
        refusals["households"] = _("%(households)s households are more than the city's %(population)s people.") % {
            "households": format_count(households),
            "population": format_count(population),
        }
    if "vehicles_per_1000" not in refusals and vehicles_per_1000 > PEOPLE:
        refusals["vehicles_per_1000"] = _("%(value)s vehicles per 1,000 people is more than one a person.") % {
            "value": vehicles_per_1000
        }
    if not Decimal(0) <= nev_share <= Decimal(1):
        refusals["nev_share"] = _("A share lies between 0 and 1 (0 to 100 per cent).")
    low, high = CHINA_LATITUDES
    if not low <= latitude <= high:
        refusals["latitude"] = _(
            "%(value)s lies outside China's latitudes (%(low)s to %(high)s°N): are latitude and longitude swapped?"
        ) % {"value": latitude, "low": low, "high": high}
    low, high = CHINA_LONGITUDES
    if not low <= longitude <= high:
        refusals["longitude"] = _(
            "%(value)s lies outside China's longitudes (%(low)s to %(high)s°E): are latitude and longitude swapped?"
        ) % {"value": longitude, "low": low, "high": high}
    return refusals


def city_market_capacity_columns(
    *, households: int, disposable_income: Decimal, vehicles_per_1000: Decimal, nev_share: Decimal
) -> dict[str, int]:
    """The stored capacity columns of a market with these inputs: ``market_capacity``'s figures."""
    capacity = market_capacity(
        SimpleNamespace(
            households=households,
            disposable_income=disposable_income,
            vehicles_per_1000=vehicles_per_1000,
            nev_share=nev_share,
        )
    )
    return {"capacity_units": capacity.units, "nev_capacity_units": capacity.nev_units}


def _taken(city: str, year: int) -> str:
    return _("%(city)s already has its market for %(year)s: change that one.") % {"city": city, "year": year}


@transaction.atomic
def city_market_save(
    *,
    market: CityMarket | None,
    region: Region,
    province: str,
    city: str,
    year: int,
    latitude: Decimal,
    longitude: Decimal,
    population: int,
    households: int,
    disposable_income: Decimal,
    vehicles_per_1000: Decimal,
    nev_share: Decimal,
) -> CityMarket:
    """Create a city's market of a year (``market`` None) or change one, with the capacity its
    inputs make. Refused by field: the rules of ``city_market_refusals``, and a second market
    for the same city and year. Audited by the model's triggers (the request names the user)."""
    figures = {
        "latitude": latitude,
        "longitude": longitude,
        "population": population,
        "households": households,
        "disposable_income": disposable_income,
        "vehicles_per_1000": vehicles_per_1000,
        "nev_share": nev_share,
    }
    refusals = city_market_refusals(**figures)
    others = CityMarket.objects.filter(city=city, year=year)
    if market is not None:
        others = others.exclude(pk=market.pk)
    if others.exists():
        refusals.setdefault("year", _taken(city, year))
    if refusals:
        raise ValidationError(refusals)
    market = CityMarket.objects.select_for_update().get(pk=market.pk) if market is not None else CityMarket()
    values = {"region": region, "province": province, "city": city, "year": year, **figures}
    values |= city_market_capacity_columns(
        households=households,
        disposable_income=disposable_income,
        vehicles_per_1000=vehicles_per_1000,
        nev_share=nev_share,
    )
    for name, value in values.items():
        setattr(market, name, value)
    market.full_clean(validate_unique=False, validate_constraints=False)  # checked above, and by the database
    try:
        with transaction.atomic():
            market.save()
    except IntegrityError:
        # Another writer stored the same city and year since the check above.
        if CityMarket.objects.filter(city=city, year=year).exclude(pk=market.pk).exists():
            raise ValidationError({"year": _taken(city, year)}) from None
        raise
    return market


# Our units sold in each market's city and year, and their share of its capacity, in one
# statement over the sales (the registered-city index serves it).
SALES_REFRESH = """
UPDATE channels_citymarket m
SET units_sold = COALESCE(s.units, 0),
    penetration = round(COALESCE(s.units, 0)::numeric / NULLIF(m.capacity_units, 0), 4)
FROM channels_citymarket c
LEFT JOIN (
  SELECT registered_city, extract(year FROM sold_on)::int AS year, count(*) AS units
  FROM inventory_sale GROUP BY 1, 2
) s ON s.registered_city = c.city AND s.year = c.year
WHERE m.id = c.id
  AND (m.units_sold IS DISTINCT FROM COALESCE(s.units, 0)
       OR m.penetration IS DISTINCT FROM round(COALESCE(s.units, 0)::numeric / NULLIF(m.capacity_units, 0), 4))
"""


def market_sales_refresh() -> int:
    """Store each market's units sold and penetration as the sales stand; returns the markets
    changed (unchanged ones are not written, so their audit trail stays quiet)."""
    with connection.cursor() as cursor:
        cursor.execute(SALES_REFRESH)
        return cursor.rowcount
