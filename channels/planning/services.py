"""Running the network plan: the year's demand on cells, the decay fitted to the last twelve
months' buyers, every active outlet's trade area, the overlapping pairs, the white spots and
the add / optimise / eliminate recommendations, stored as one run in one transaction.

A run only adds rows (a new ``PlanningRun`` and its children), so running it again, or after
a worker died mid-way (its transaction died with it), is safe; the oldest runs beyond
``KEEP_RUNS`` are deleted by the next run."""

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

import h3
import numpy as np
from dateutil.relativedelta import relativedelta
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Max, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from channels.models import CityMarket, Dealer, DealerStatus, HealthScore, Lead, Rating
from channels.planning.covering import maximal_covering
from channels.planning.geometry import cells_to_bytes, haversine_km, nearest, pairs_within
from channels.planning.huff import PUBLISHED_EXPONENT, HuffModel, overlaps, trade_areas, white_spots
from channels.planning.markets import market_sales_refresh
from channels.planning.models import (
    OutletOverlap,
    PlanningRun,
    PlanningSettings,
    Recommendation,
    RecommendationKind,
    RunCells,
    TradeArea,
    WhiteSpot,
)
from channels.planning.selectors import PLAN_JOB, TRADING, active_outlets, decay_fit, demand_cells
from dealerops.jobs import tracked_run
from dealerops.models import User
from dealerops.validation import day_start
from inventory.models import Sale, SalesMonth

KEEP_RUNS = 10
BUYER_DAYS = 365  # the buyers the decay is fitted to: the last year's
MIN_SITE_SHARE = 0.05  # a proposed site adds at least this share of the best site's demand
COVERING_RESOLUTION = 5  # the covering model's demand points and candidate sites (see _recommend_sites)
FALLING = Decimal("0.8")  # volume "falling": the last quarter under 80 % of the one before
EXIT_AFTER_D_MONTHS = 3  # rated D this many months running (or already on probation): exit
KM_PLACES = Decimal("0.1")
SHARE_PLACES = Decimal("0.0001")
EXPONENT_PLACES = Decimal("0.001")


def planning_settings_in_force() -> PlanningSettings:
    settings = PlanningSettings.objects.order_by("-version").first()
    if settings is None:  # the migration creates version 1: only a flushed test database lacks it
        settings = PlanningSettings.objects.create(version=1, note=_("Defaults"))
    return settings


@transaction.atomic
def planning_settings_create(*, created_by: User, note: str = "", **values) -> PlanningSettings:
    """A new version of the settings (versions are never edited); errors name the field."""
    version = PlanningSettings.objects.select_for_update().aggregate(top=Max("version"))["top"] or 0
    settings = PlanningSettings(version=version + 1, note=note, created_by=created_by, **values)
    settings.full_clean(validate_constraints=False)
    if settings.merge_threshold < settings.overlap_threshold:
        raise ValidationError({"merge_threshold": _("The merge threshold cannot be below the overlap threshold.")})
    settings.save()
    return settings


def huff_model(settings: PlanningSettings, exponent: float = PUBLISHED_EXPONENT) -> HuffModel:
    return HuffModel(exponent=exponent, detour_factor=float(settings.detour_factor), reach_km=float(settings.reach_km))


def network_plan(*, as_of: date, started_by_id: int | None = None) -> PlanningRun:
    """Compute and store the plan for the market year of ``as_of`` (the newest year the
    market table holds up to it) and the buyers of the year to ``as_of``."""
    with tracked_run(PLAN_JOB, period=as_of.isoformat(), started_by_id=started_by_id) as job:
        with transaction.atomic():
            run = _plan(as_of, job)
            job.rows = run.trade_areas.count() + run.overlaps.count() + run.white_spots.count()
            job.rows += run.recommendations.count()
        stale = PlanningRun.objects.order_by("-computed_at", "-id").values_list("pk", flat=True)[KEEP_RUNS:]
        PlanningRun.objects.filter(pk__in=list(stale)).delete()
    return run


def _plan(as_of: date, job) -> PlanningRun:
    settings = planning_settings_in_force()
    market_sales_refresh()
    year = CityMarket.objects.filter(year__lte=as_of.year).aggregate(top=Max("year"))["top"]
    if year is None:
        raise ValidationError(_("The city market table is empty: import it before planning the network."))
    first = as_of - timedelta(days=BUYER_DAYS - 1)
    fit = decay_fit(first, as_of, huff_model(settings))
    use_fit = settings.use_fitted_exponent and fit is not None
    exponent = _decimal(fit.exponent if use_fit else PUBLISHED_EXPONENT, EXPONENT_PLACES)
    model = huff_model(settings, float(exponent))
    cells = demand_cells(year)
    outlets = active_outlets()
    areas = trade_areas(cells, outlets.lat, outlets.lon, outlets.attraction, model)
    pairs = overlaps(areas, cells, strong=float(settings.strong_share), threshold=float(settings.overlap_threshold))
    spots = white_spots(cells, outlets.lat, outlets.lon, drive_km=float(settings.drive_km), model=model)
    markets = _Markets.of(year)
    run = PlanningRun.objects.create(
        job_run=job,
        settings=settings,
        year=year,
        buyers_from=first,
        buyers_to=as_of,
        exponent=exponent,
        fitted_exponent=_decimal(fit.exponent, EXPONENT_PLACES) if fit else None,
        fit_log_likelihood=fit.log_likelihood if fit else None,
        published_log_likelihood=fit.published_log_likelihood if fit else None,
        flat_log_likelihood=fit.flat_log_likelihood if fit else None,
        fit_buyers=fit.choices if fit else 0,
        fit_beyond_reach=fit.beyond_reach if fit else 0,
        outlets=len(outlets.ids),
        cells=len(cells.h3),
        capacity_units=round(float(cells.capacity.sum())),
        uncovered_units=round(areas.uncovered),
        white_spot_units=round(sum(spot.capacity for spot in spots)),
        computed_at=timezone.now(),
    )
    RunCells.objects.create(run=run, data=cells_to_bytes(cells))
    sold = dict(
        Sale.objects.filter(sold_on__range=(first, as_of), dealer_id__in=outlets.ids.tolist())
        .values("dealer_id")
        .annotate(units=Count("id"))
        .values_list("dealer_id", "units")
    )
    leads = dict(
        Lead.objects.filter(
            assigned_at__gte=day_start(first), assigned_at__lt=day_start(as_of + timedelta(days=1)),
            dealer_id__in=outlets.ids.tolist(),
        )
        .values("dealer_id")
        .annotate(n=Count("id"))
        .values_list("dealer_id", "n")
    )  # fmt: skip
    largest = np.zeros(len(outlets.ids))
    for pair in pairs:
        largest[pair.first] = max(largest[pair.first], pair.first_share)
        largest[pair.second] = max(largest[pair.second], pair.second_share)
    TradeArea.objects.bulk_create(
        TradeArea(
            run=run,
            dealer_id=int(pk),
            attraction=_decimal(outlets.attraction[n], Decimal("0.001")),
            composite=outlets.composite[n],
            rating=outlets.rating[n],
            demand_units=round(float(areas.demand[n])),
            sold_units=sold.get(int(pk), 0),
            leads=leads.get(int(pk), 0),
            capture=_decimal(sold.get(int(pk), 0) / areas.demand[n], SHARE_PLACES) if areas.demand[n] >= 1 else None,
            overlap_share=_decimal(largest[n], SHARE_PLACES),
        )
        for n, pk in enumerate(outlets.ids)
    )
    stored_pairs = _store_overlaps(run, pairs, outlets)
    stored_spots = _store_white_spots(run, spots, outlets, markets, model)
    _recommend_sites(run, settings, cells, spots, stored_spots, markets, model)
    _recommend_pairs(run, settings, stored_pairs, stored_spots)
    _recommend_exits(run, as_of)
    return run


def _decimal(value: float, places: Decimal) -> Decimal:
    return Decimal(str(float(value))).quantize(places, ROUND_HALF_UP)


@dataclass(frozen=True)
class _Markets:
    """The year's city centres, for naming a place by its nearest city and region."""

    city: list[str]
    region: np.ndarray
    lat: np.ndarray
    lon: np.ndarray

    @classmethod
    def of(cls, year: int) -> "_Markets":
        rows = list(CityMarket.objects.filter(year=year).values_list("city", "region_id", "latitude", "longitude"))
        return cls(
            city=[row[0] for row in rows],
            region=np.array([row[1] for row in rows], dtype=np.int64),
            lat=np.array([float(row[2]) for row in rows]),
            lon=np.array([float(row[3]) for row in rows]),
        )

    def nearest(self, lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
        """The index of the nearest city to each point (cities are a hundred or so: a matrix)."""
        km = haversine_km(np.asarray(lat)[:, None], np.asarray(lon)[:, None], self.lat[None, :], self.lon[None, :])
        return np.argmin(km, axis=1)


def _store_overlaps(run: PlanningRun, pairs, outlets) -> list[OutletOverlap]:
    region = dict(Dealer.objects.filter(pk__in=outlets.ids.tolist()).values_list("pk", "region_id"))
    rows = []
    for pair in pairs:
        # The outlet that shares more of its demand comes first: the pair is its problem.
        a, b, a_share, b_share = pair.first, pair.second, pair.first_share, pair.second_share
        if b_share > a_share:
            a, b, a_share, b_share = b, a, b_share, a_share
        km = haversine_km(outlets.lat[a], outlets.lon[a], outlets.lat[b], outlets.lon[b])
        first, second = int(outlets.ids[a]), int(outlets.ids[b])
        rows.append(
            OutletOverlap(
                run=run,
                region_id=region[first] if region[first] == region[second] else None,
                first_id=first,
                second_id=second,
                first_share=_decimal(a_share, SHARE_PLACES),
                second_share=_decimal(b_share, SHARE_PLACES),
                shared_units=round(pair.shared_units),
                distance_km=_decimal(km, KM_PLACES),
            )
        )
    return OutletOverlap.objects.bulk_create(rows)


def _store_white_spots(run: PlanningRun, spots, outlets, markets: _Markets, model: HuffModel) -> list[WhiteSpot]:
    if not spots:
        return []
    lat, lon = np.array([spot.lat for spot in spots]), np.array([spot.lon for spot in spots])
    city = markets.nearest(lat, lon)
    _nearest, nearest_km = nearest(lat, lon, outlets.lat, outlets.lon)
    return WhiteSpot.objects.bulk_create(
        WhiteSpot(
            run=run,
            region_id=int(markets.region[city[n]]),
            rank=n + 1,
            near_city=markets.city[city[n]],
            cells=len(spot.cells),
            capacity_units=round(spot.capacity),
            latitude=_decimal(spot.lat, Decimal("0.000001")),
            longitude=_decimal(spot.lon, Decimal("0.000001")),
            nearest_km=_decimal(model.road_km(nearest_km[n]), KM_PLACES) if len(outlets.ids) else None,
        )
        for n, spot in enumerate(spots)
    )


def _recommend_sites(run, settings, cells, spots, stored_spots, markets: _Markets, model: HuffModel) -> None:
    """New outlets where white-spot capacity is largest: the sites of the maximal covering
    model on the white spots' demand, summed to res-5 cells (252 km², ~17 km across), whose
    centres are also the candidate sites: a site names an area to look for a plot in, and the
    programme stays small enough to solve exactly in seconds (the demo network's 137,000
    white-spot cells, summed to res 6 against res-5 sites, took HiGHS 27 s; at res 5, 2.5 s
    and more demand covered)."""
    if not spots or not settings.new_sites:
        return
    position = {name: i for i, name in enumerate(cells.h3)}
    demand: dict[str, float] = {}
    members: dict[str, int] = {}  # demand cells (res 7) in each point
    spot_of: dict[str, int] = {}
    for n, spot in enumerate(spots):
        for cell in spot.cells:
            parent = h3.cell_to_parent(cell, COVERING_RESOLUTION)
            demand[parent] = demand.get(parent, 0.0) + float(cells.capacity[position[cell]])
            members[parent] = members.get(parent, 0) + 1
            spot_of.setdefault(parent, n)
    names = sorted(demand)
    points = np.array([h3.cell_to_latlng(name) for name in names])
    covers = pairs_within(
        points[:, 0], points[:, 1], points[:, 0], points[:, 1], float(settings.drive_km) / model.detour_factor
    )
    weights = np.array([demand[name] for name in names])
    solution = maximal_covering(weights, covers, len(names), settings.new_sites)
    centres = points
    city = markets.nearest(centres[:, 0], centres[:, 1])
    for site, units in zip(solution.sites, solution.covered_units, strict=True):
        if units < MIN_SITE_SHARE * solution.covered_units[0]:
            break  # the rest only mop up the edges of areas already covered
        covered = covers.origin[covers.target == site]
        ranks = sorted({stored_spots[spot_of[names[i]]].rank for i in covered})
        Recommendation.objects.create(
            run=run,
            kind=RecommendationKind.ADD,
            region_id=int(markets.region[city[site]]),
            near_city=markets.city[city[site]],
            latitude=_decimal(centres[site, 0], Decimal("0.000001")),
            longitude=_decimal(centres[site, 1], Decimal("0.000001")),
            units=round(units),
            figures={
                "covered_units": round(units),
                "cells": sum(members[names[i]] for i in covered),
                "white_spots": ranks,
                "drive_km": float(settings.drive_km),
                "optimal": solution.optimal,
            },
        )


def _recommend_pairs(run, settings, pairs: list[OutletOverlap], spots: list[WhiteSpot]) -> None:
    """Merge a pair that shares much of both outlets' demand; relocate the first outlet of a
    pair that shares much of its own only (it sits in its neighbour's area), towards the
    nearest white spot when one lies within reach."""
    dealers = Dealer.objects.in_bulk([pair.first_id for pair in pairs] + [pair.second_id for pair in pairs])
    for pair in pairs:
        first = dealers[pair.first_id]
        figures = {
            "first_share": float(pair.first_share),
            "second_share": float(pair.second_share),
            "shared_units": pair.shared_units,
            "distance_km": float(pair.distance_km),
        }
        if pair.second_share >= settings.merge_threshold:
            kind = RecommendationKind.MERGE
        elif pair.first_share >= settings.merge_threshold:
            kind = RecommendationKind.RELOCATE
            target = _nearest_spot(first, spots, float(settings.reach_km))
            if target is not None:
                figures.update(
                    target_city=target.near_city,
                    target_units=target.capacity_units,
                    target_latitude=float(target.latitude),
                    target_longitude=float(target.longitude),
                    target_rank=target.rank,
                )
        else:
            continue
        Recommendation.objects.create(
            run=run,
            kind=kind,
            region_id=pair.region_id,
            dealer=first,
            other_id=pair.second_id,
            near_city=first.city,
            latitude=first.latitude,
            longitude=first.longitude,
            units=pair.shared_units,
            share=pair.first_share,
            figures=figures,
        )


def _nearest_spot(dealer: Dealer, spots: list[WhiteSpot], within_km: float) -> WhiteSpot | None:
    if not spots:
        return None
    km = haversine_km(
        float(dealer.latitude), float(dealer.longitude),
        np.array([float(spot.latitude) for spot in spots]), np.array([float(spot.longitude) for spot in spots]),
    )  # fmt: skip
    nearest = int(np.argmin(km))
    return spots[nearest] if km[nearest] <= within_km else None


def _recommend_exits(run: PlanningRun, as_of: date) -> None:
    """Probation, or exit, for the outlets rated D in the latest complete scored month whose
    volume is falling (its three months under 80 % of the three before): exit when already on
    probation or rated D three months running."""
    # Complete months only: the month to date would always look like a fall.
    last_complete = as_of.replace(day=1) - relativedelta(months=1)
    latest = HealthScore.objects.filter(month__lte=last_complete).aggregate(top=Max("month"))["top"]
    if latest is None:
        return
    months = [latest - relativedelta(months=n) for n in range(EXIT_AFTER_D_MONTHS)]
    rated_d = (
        HealthScore.objects.filter(month__in=months, rating=Rating.D, dealer__status__in=TRADING)
        .values("dealer_id")
        .annotate(months_d=Count("month", distinct=True), last=Max("month"))
        .filter(last=latest)
    )
    d_months = {row["dealer_id"]: row["months_d"] for row in rated_d}
    if not d_months:
        return
    recent_from, before_from = latest - relativedelta(months=2), latest - relativedelta(months=5)
    volume = {
        row["dealer_id"]: row
        for row in SalesMonth.objects.filter(dealer_id__in=list(d_months), month__range=(before_from, latest))
        .values("dealer_id")
        .annotate(
            recent=Sum("units", filter=Q(month__gte=recent_from)),
            before=Sum("units", filter=Q(month__lt=recent_from)),
        )
    }
    dealers = Dealer.objects.in_bulk(list(d_months))
    for dealer_id, months_d in sorted(d_months.items()):
        recent = (volume.get(dealer_id) or {}).get("recent") or 0
        before = (volume.get(dealer_id) or {}).get("before") or 0
        if before <= 0 or Decimal(recent) >= FALLING * before:
            continue
        dealer = dealers[dealer_id]
        exit_now = dealer.status == DealerStatus.PROBATION or months_d >= EXIT_AFTER_D_MONTHS
        Recommendation.objects.create(
            run=run,
            kind=RecommendationKind.EXIT if exit_now else RecommendationKind.PROBATION,
            region_id=dealer.region_id,
            dealer=dealer,
            near_city=dealer.city,
            latitude=dealer.latitude,
            longitude=dealer.longitude,
            units=before - recent,
            share=(Decimal(before - recent) / before).quantize(SHARE_PLACES, ROUND_HALF_UP),
            figures={
                "months_rated_d": months_d,
                "latest_month": latest.isoformat(),
                "units_recent": int(recent),
                "units_before": int(before),
                "change": round((recent - before) / before, 4),
                "status": dealer.status,
            },
        )
