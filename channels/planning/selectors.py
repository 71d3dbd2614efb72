"""Reads for the planning pages, jobs and bench: the tables as the planning maths' arrays."""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import numpy as np
from django.db.models import Count, F, OuterRef, QuerySet, Subquery, Sum
from django.db.models.functions import Mod

from channels.models import (
    CityMarket,
    Dealer,
    DealerDecision,
    DealerStatus,
    HealthScore,
    OutletOverlap,
    PlanningRun,
    Recommendation,
    RecommendationKind,
    Scenario,
    ScenarioEffect,
    TradeArea,
    WhiteSpot,
)
from channels.planning.capacity import DEFAULT_MODEL, Capacity, CapacityModel, market_capacity, penetration
from channels.planning.decisions import decisions_open_to
from channels.planning.geometry import Cells, spread_over_cells
from channels.planning.huff import DEFAULT_HUFF, DecayFit, HuffModel, fit_decay
from dealerops.access import can_write, scope
from dealerops.models import JobRun, JobStatus, User
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
    composite: list[Decimal | None]  # the latest health composite, None if never scored
    rating: list[str]  # its rating ("" if never scored)

    def position(self) -> dict[int, int]:
        return {int(pk): n for n, pk in enumerate(self.ids)}


TRADING = (DealerStatus.ACTIVE, DealerStatus.PROBATION)


def active_outlets() -> Outlets:
    """The outlets that trade (active, or on probation: it still sells) with their
    attraction: sales staff (at least one) × (½ + the latest health composite ÷ 100), so a
    healthy store draws up to three times a failing one of its size; an outlet not yet scored
    counts as average (50)."""
    latest = HealthScore.objects.filter(dealer=OuterRef("pk"), composite__isnull=False).order_by("-month")
    rows = list(
        Dealer.objects.filter(status__in=TRADING)
        .annotate(composite=Subquery(latest.values("composite")[:1]), rating=Subquery(latest.values("rating")[:1]))
        .order_by("pk")
        .values_list("pk", "latitude", "longitude", "sales_headcount", "composite", "rating")
    )
    staff = np.array([row[3] for row in rows], dtype=float)
    composite = np.array([50.0 if row[4] is None else float(row[4]) for row in rows])
    return Outlets(
        ids=np.array([row[0] for row in rows], dtype=np.int64),
        lat=np.array([float(row[1]) for row in rows]),
        lon=np.array([float(row[2]) for row in rows]),
        attraction=np.maximum(staff, 1.0) * (0.5 + composite / 100),
        composite=[row[4] for row in rows],
        rating=[row[5] or "" for row in rows],
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
        sold_on__range=(first, last), customer__latitude__isnull=False, dealer__status__in=TRADING
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


PLAN_JOB = "channels.plan_network"  # the JobRun.job of a plan run (channels.planning.services)
MAP_LINKS = 300  # overlap links drawn, the largest shared demand first
MAP_SPOTS = 200  # white spots drawn, the largest first


def latest_run(user: User) -> PlanningRun | None:
    return scope(user, PlanningRun.objects.select_related("settings", "job_run__started_by")).first()


def plan_running() -> bool:
    return JobRun.objects.filter(job=PLAN_JOB, status=JobStatus.RUNNING).exists()


@dataclass(frozen=True)
class PlanningFigures:
    """What the planning page shows of a run, in the user's scope."""

    run: PlanningRun
    user: User
    counts: dict[str, int]  # recommendations by kind
    top: list[Recommendation]
    spots: list[WhiteSpot]
    overlaps: list[OutletOverlap]
    outlets: int
    demand_units: int
    capacity_units: int  # of the cities in view
    cities: int
    white_spot_units: int  # of the white spots in view

    @property
    def recommendations(self) -> int:
        return sum(self.counts.values())

    @property
    def kind_counts(self) -> list[tuple[str, str, int]]:
        """(kind, its label, count) in the cycle's order: add, optimise, eliminate."""
        return [(kind, label, self.counts.get(kind, 0)) for kind, label in RecommendationKind.choices]

    def map_rows(self) -> dict[str, list[dict]]:
        run, user = self.run, self.user
        return {
            "cities": list(
                scope(user, CityMarket.objects.filter(year=run.year)).values(
                    "city", "latitude", "longitude", "capacity_units"
                )
            ),
            "outlets": list(
                scope(user, TradeArea.objects.filter(run=run)).values(
                    "rating",
                    "demand_units",
                    name=F("dealer__name"),
                    city=F("dealer__city"),
                    latitude=F("dealer__latitude"),
                    longitude=F("dealer__longitude"),
                )
            ),
            "links": list(
                scope(user, OutletOverlap.objects.filter(run=run))
                .order_by("-shared_units")
                .values(
                    first_latitude=F("first__latitude"),
                    first_longitude=F("first__longitude"),
                    second_latitude=F("second__latitude"),
                    second_longitude=F("second__longitude"),
                )[:MAP_LINKS]
            ),
            "spots": list(
                scope(user, WhiteSpot.objects.filter(run=run))
                .order_by("rank")
                .values("near_city", "latitude", "longitude", units=F("capacity_units"))[:MAP_SPOTS]
            ),
            "sites": list(
                scope(user, Recommendation.objects.filter(run=run, kind=RecommendationKind.ADD)).values(
                    "near_city", "latitude", "longitude", "units"
                )
            ),
        }


TOP_PER_KIND = 2  # the planning page's recommendations: the largest of each kind


def planning_figures(user: User, run: PlanningRun) -> PlanningFigures:
    recommendations = scope(user, Recommendation.objects.filter(run=run))
    areas = scope(user, TradeArea.objects.filter(run=run)).aggregate(outlets=Count("pk"), units=Sum("demand_units"))
    markets = scope(user, CityMarket.objects.filter(year=run.year)).aggregate(
        cities=Count("pk"), units=Sum("capacity_units")
    )
    counts = dict(recommendations.values_list("kind").annotate(n=Count("pk")).values_list("kind", "n"))
    top = [
        recommendation
        for kind in RecommendationKind.values
        if counts.get(kind)
        for recommendation in recommendations.filter(kind=kind)
        .select_related("dealer", "other", "region")
        .order_by("-units", "pk")[:TOP_PER_KIND]
    ]
    return PlanningFigures(
        run=run,
        user=user,
        counts=counts,
        top=top,
        spots=list(scope(user, WhiteSpot.objects.filter(run=run)).select_related("region").order_by("rank")[:5]),
        overlaps=list(
            scope(user, OutletOverlap.objects.filter(run=run))
            .select_related("first", "second")
            .order_by("-shared_units")[:5]
        ),
        outlets=areas["outlets"],
        demand_units=areas["units"] or 0,
        capacity_units=markets["units"] or 0,
        cities=markets["cities"],
        white_spot_units=scope(user, WhiteSpot.objects.filter(run=run)).aggregate(units=Sum("capacity_units"))["units"]
        or 0,
    )


def scenario_effects(scenario: Scenario) -> list[ScenarioEffect]:
    """The outlets a scenario changes, the most affected first."""
    return sorted(
        scenario.effects.select_related("dealer"),
        key=lambda effect: (-(effect.share_of_closed or 0), -abs(effect.demand_change), effect.dealer_id),
    )


def dealer_network_context(user: User, dealer: Dealer) -> dict:
    """The dealer page's network part: the decisions on its place in the network, the latest
    plan's probation or exit recommendation for it, and whether the user may decide."""
    run = latest_run(user)
    pending = (
        scope(user, Recommendation)
        .filter(run=run, dealer=dealer, kind__in=[RecommendationKind.PROBATION, RecommendationKind.EXIT])
        .first()
        if run
        else None
    )
    return {
        "decisions": scope(user, DealerDecision).filter(dealer=dealer).select_related("decided_by"),
        "recommended": pending,
        "can_decide": can_write(user, DealerDecision) and bool(decisions_open_to(dealer)),
    }
