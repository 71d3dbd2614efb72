"""The ground floor of a generated network: its calendar, regions, dealers, vehicle range and
lenders, planned as numpy arrays (dealer *i* gets id i + 1, likewise for the others)."""

from dataclasses import dataclass
from datetime import date

import numpy as np

from dealerops.synthetic import columns as col
from dealerops.synthetic.cities import CITIES, REGIONS
from dealerops.synthetic.spec import NetworkSpec
from dealerops.synthetic.vocabulary import (
    AREAS,
    BRANCH_NUMERALS,
    BRANDS,
    CHINESE_NEW_YEAR,
    KIND_SUFFIXES,
    LENDERS,
    MAKER,
    POWERTRAINS,
    SERIES_NUMBERS,
    SERIES_SUFFIXES,
    TRIMS,
)

DAY = col.SECONDS_PER_DAY
HOUR = np.int64(3600)
DEALER_KINDS = ["4s", "secondary", "showroom"]
DEALER_STATUSES = ["active", "probation", "applying", "exited"]
ACTIVE, PROBATION, APPLYING, EXITED = range(4)
CITY_NAMES = [city.name for city in CITIES]
CITY_REGION = np.array([city.region for city in CITIES])
CITY_WEIGHT = np.array([city.weight for city in CITIES], dtype=float)
CITY_LATITUDE = np.array([city.latitude for city in CITIES])
CITY_LONGITUDE = np.array([city.longitude for city in CITIES])
# About 3 km of jitter around a city centre, in degrees.
JITTER_DEGREES = 0.03


def day_number(day: date) -> int:
    return int((np.datetime64(day, "D") - col.EPOCH).astype(np.int64))


@dataclass(frozen=True)
class Calendar:
    """The months of the window, as day numbers; the last month stops at ``end``."""

    end: int
    month_start: np.ndarray
    month_end: np.ndarray
    month_days: np.ndarray  # the whole month's length, also for the last, unfinished one
    month_of_year: np.ndarray
    year: np.ndarray

    @classmethod
    def ending(cls, end_date: date, months: int) -> "Calendar":
        last = np.datetime64(end_date, "M")
        firsts = np.arange(last - (months - 1), last + 1)
        starts = (firsts.astype("datetime64[D]") - col.EPOCH).astype(np.int64)
        next_starts = ((firsts + 1).astype("datetime64[D]") - col.EPOCH).astype(np.int64)
        return cls(
            end=day_number(end_date),
            month_start=starts,
            month_end=np.minimum(next_starts - 1, day_number(end_date)),
            month_days=next_starts - starts,
            month_of_year=firsts.astype(np.int64) % 12 + 1,
            year=firsts.astype(np.int64) // 12 + 1970,
        )

    @property
    def months(self) -> int:
        return len(self.month_start)

    @property
    def start(self) -> int:
        return int(self.month_start[0])

    @property
    def end_of_day(self) -> int:
        """The last second of the last day with data."""
        return (self.end + 1) * DAY - 1

    def years_in(self) -> np.ndarray:
        """Each month's distance from the window's first month, in years (trends grow with it)."""
        return np.arange(self.months) / 12

    def month_of(self, days: np.ndarray) -> np.ndarray:
        return np.searchsorted(self.month_start, days, side="right") - 1

    def new_year_day(self, month: int) -> int | None:
        """Day number of Chinese New Year if it falls in ``month`` (an index of the window)."""
        new_year = CHINESE_NEW_YEAR.get(int(self.year[month]))
        if new_year is None or new_year.month != self.month_of_year[month]:
            return None
        return day_number(new_year)


def region_columns(spec: NetworkSpec, calendar: Calendar) -> dict[str, np.ndarray]:
    count = spec.regions
    created = np.full(count, (calendar.start - 3650) * DAY + 9 * HOUR)
    return {
        "id": col.integers(np.arange(1, count + 1)),
        "code": col.words([code for code, _ in REGIONS], np.arange(count)),
        "name": col.words([name for _, name in REGIONS], np.arange(count)),
        "created_at": col.timestamps(created),
        "updated_at": col.timestamps(created),
    }


@dataclass
class Dealers:
    """Dealer *i* of the plan. ``monthly_weight[m, i]`` is its relative sales volume in month
    *m* (zero before it opened, after it exited, and while it is still applying)."""

    city: np.ndarray
    region: np.ndarray
    kind: np.ndarray
    status: np.ndarray
    parent: np.ndarray
    latitude: np.ndarray
    longitude: np.ndarray
    opened_on: np.ndarray
    monthly_weight: np.ndarray
    headcount: np.ndarray
    monthly_target: np.ndarray
    quality: np.ndarray
    late_share: np.ndarray
    below_floor_share: np.ndarray
    slowness: np.ndarray

    @property
    def count(self) -> int:
        return len(self.city)

    def trading_in(self, region: int) -> np.ndarray:
        """Dealers of ``region`` that are open for business now (for visits elsewhere)."""
        return np.flatnonzero((self.region == region) & np.isin(self.status, [ACTIVE, PROBATION]))


def plan_dealers(rng: np.random.Generator, spec: NetworkSpec, calendar: Calendar) -> Dealers:
    count = spec.dealers
    city = _dealer_cities(rng, spec)
    region = CITY_REGION[city]
    anchors = min(count, spec.regions)
    kind = rng.choice(3, size=count, p=[0.68, 0.24, 0.08])
    status = rng.choice(4, size=count, p=[0.86, 0.07, 0.03, 0.04])
    # The first dealer of each region is an active 4S store: secondary dealers need a parent.
    kind[:anchors], status[:anchors] = 0, ACTIVE
    size = (
        rng.lognormal(0.0, 0.7, count)
        * np.array([1.0, 0.3, 0.45])[kind]
        * (CITY_WEIGHT[city] / 5) ** 0.35
        * np.where(status == PROBATION, 0.65, 1.0)
    )
    first_month, last_month = _trading_months(rng, calendar, status, anchors)
    months = np.arange(calendar.months)[:, None]
    growth = rng.normal(0.0, 0.2, count)  # some dealers grow, others decline (health trends)
    trading = (months >= first_month) & (months <= last_month)
    weight = size * np.exp(growth * (calendar.years_in()[:, None] - calendar.months / 24)) * trading
    opened_on = _opening_days(rng, calendar, status, first_month)
    headcount, target = _staffing(rng, spec, weight, status)
    latitude, longitude = jitter(rng, city, JITTER_DEGREES)
    return Dealers(
        city=city,
        region=region,
        kind=kind,
        status=status,
        parent=_parents(rng, city, region, kind, status),
        latitude=latitude,
        longitude=longitude,
        opened_on=opened_on,
        monthly_weight=weight,
        headcount=headcount,
        monthly_target=target,
        quality=rng.normal(0.0, 1.0, count),
        # Most dealers enter sales within 48 hours; about one in ten is chronically late.
        late_share=np.where(rng.random(count) < 0.9, rng.beta(1, 30, count), rng.beta(4, 8, count)),
        # About 3 % of sales go below the guide-price floor, concentrated in a few dealers.
        below_floor_share=rng.beta(0.5, 16, count),
        slowness=rng.lognormal(0.0, 0.6, count),
    )


def _dealer_cities(rng: np.random.Generator, spec: NetworkSpec) -> np.ndarray:
    """Cities by market size; the first dealer of each region sits in its biggest city."""
    eligible = np.flatnonzero(CITY_REGION < spec.regions)  # noqa: SIM300 - an array compared with a count
    weights = CITY_WEIGHT[eligible]
    city = rng.choice(eligible, size=spec.dealers, p=weights / weights.sum())
    biggest = [_biggest_city(region) for region in range(spec.regions)]
    anchors = min(spec.dealers, spec.regions)
    city[:anchors] = biggest[:anchors]
    return city


def _biggest_city(region: int) -> int:
    cities = np.flatnonzero(CITY_REGION == region)  # noqa: SIM300
    return int(cities[np.argmax(CITY_WEIGHT[cities])])


def _trading_months(
    rng: np.random.Generator, calendar: Calendar, status: np.ndarray, anchors: int
) -> tuple[np.ndarray, np.ndarray]:
    """First and last month each dealer sells in: a few opened inside the window, exited
    dealers stopped part-way, applicants have not started."""
    count, months = len(status), calendar.months
    first = np.zeros(count, dtype=np.int64)
    last = np.full(count, months - 1)
    newcomer = (rng.random(count) < 0.06) & np.isin(status, [ACTIVE, PROBATION]) & (np.arange(count) >= anchors)
    first[newcomer] = rng.integers(1, max(months, 2), int(newcomer.sum()))
    exited = status == EXITED
    last[exited] = rng.integers(months // 3, months, int(exited.sum())) - 1
    first[status == APPLYING], last[status == APPLYING] = months, -1
    return first, last


def _opening_days(rng: np.random.Generator, calendar: Calendar, status: np.ndarray, first_month: np.ndarray):
    """Established dealers opened 6 months to 15 years before the window; newcomers on the
    first day of their first month; applicants have no opening date (-1)."""
    established = calendar.start - rng.integers(180, 15 * 365, len(status))
    newcomer = (first_month > 0) & (first_month < calendar.months)
    opened = np.where(newcomer, calendar.month_start[np.minimum(first_month, calendar.months - 1)], established)
    return np.where(status == APPLYING, -1, opened)


def _staffing(rng: np.random.Generator, spec: NetworkSpec, weight: np.ndarray, status: np.ndarray):
    """Sales headcount and monthly target consistent with each dealer's expected volume."""
    share = weight / np.maximum(weight.sum(axis=1, keepdims=True), 1e-12)
    months_trading = np.maximum((weight > 0).sum(axis=0), 1)
    monthly = (share * spec.sales / spec.months).sum(axis=0) / months_trading
    # Applicants plan for a small outlet.
    monthly = np.where(status == APPLYING, rng.uniform(10, 30, len(status)), monthly)
    headcount = np.maximum(2, np.round(monthly / rng.uniform(5, 9, len(status)))).astype(np.int64)
    target = np.maximum(5, np.round(monthly * rng.uniform(1.0, 1.25, len(status)) / 5) * 5).astype(np.int64)
    return headcount, target


def _parents(rng, city, region, kind, status) -> np.ndarray:
    """Each secondary dealer hangs under an open 4S store of its city, else of its region."""
    parent = np.full(len(city), -1)
    stores = (kind == 0) & np.isin(status, [ACTIVE, PROBATION])
    for town in np.unique(city[kind == 1]):
        children = np.flatnonzero((kind == 1) & (city == town))
        candidates = np.flatnonzero(stores & (city == town))
        if len(candidates) == 0:
            candidates = np.flatnonzero(stores & (region == CITY_REGION[town]))
        parent[children] = rng.choice(candidates, size=len(children))
    return parent


def dealer_names(rng: np.random.Generator, dealers: Dealers) -> list[str]:
    """Outlet names like 杭州城东晟驰4S店; a second outlet of that name becomes 杭州城东晟驰4S店（二店）."""
    area = rng.integers(0, len(AREAS), dealers.count)
    names = [
        f"{CITY_NAMES[city]}{AREAS[a]}{MAKER}{KIND_SUFFIXES[DEALER_KINDS[kind]]}"
        for city, a, kind in zip(dealers.city, area, dealers.kind, strict=True)
    ]
    seen: dict[str, int] = {}
    unique = []
    for name in names:
        repeat = seen.get(name, 0)
        seen[name] = repeat + 1
        branch = BRANCH_NUMERALS[repeat - 1] if repeat <= len(BRANCH_NUMERALS) else str(repeat + 1)
        unique.append(f"{name}（{branch}店）" if repeat else name)
    return unique


def dealer_columns(rng: np.random.Generator, dealers: Dealers, calendar: Calendar) -> dict[str, np.ndarray]:
    ids = np.arange(1, dealers.count + 1)
    opened = dealers.opened_on >= 0
    # Applicants were entered when they applied, a few weeks ago.
    created_day = np.where(opened, dealers.opened_on - 30, calendar.end - rng.integers(5, 60, dealers.count))
    created = created_day * DAY + 10 * HOUR
    return {
        "id": col.integers(ids),
        "code": col.join(b"DL", col.digits(ids, 5)),
        "name": col.words(dealer_names(rng, dealers), np.arange(dealers.count)),
        "kind": col.words(DEALER_KINDS, dealers.kind),
        "parent_id": col.nullable(col.integers(dealers.parent + 1), dealers.parent >= 0),
        "status": col.words(DEALER_STATUSES, dealers.status),
        "region_id": col.integers(dealers.region + 1),
        "province": col.words([city.province for city in CITIES], dealers.city),
        "city": col.words(CITY_NAMES, dealers.city),
        "latitude": col.coordinate(dealers.latitude),
        "longitude": col.coordinate(dealers.longitude),
        "opened_on": col.nullable(col.dates(np.where(opened, dealers.opened_on, calendar.end)), opened),
        "sales_headcount": col.integers(dealers.headcount),
        "monthly_sales_target": col.integers(dealers.monthly_target),
        "created_at": col.timestamps(created),
        "updated_at": col.timestamps(created),
    }


@dataclass
class Models:
    """The vehicle range: model *i* is trim ``i % 3`` of series ``i // 3``."""

    brand: np.ndarray
    series: list[str]
    code: list[str]
    trim: list[str]
    powertrain: np.ndarray
    msrp: np.ndarray  # fen
    floor: np.ndarray  # fen
    invoice_cost: np.ndarray  # fen
    launch: np.ndarray  # day number
    popularity: np.ndarray

    @property
    def count(self) -> int:
        return len(self.msrp)

    def monthly_share(self, calendar: Calendar) -> np.ndarray:
        """(months, models) sales mix: launched models only, BEVs gaining share every month."""
        trend_per_year = np.array([-0.35, 0.0, 0.3, 0.6])[self.powertrain]
        trend = np.exp(calendar.years_in()[:, None] * trend_per_year)
        launched = self.launch[None, :] <= calendar.month_end[:, None]
        share = self.popularity * trend * launched
        empty = share.sum(axis=1) == 0
        share[empty] = self.popularity
        return share / share.sum(axis=1, keepdims=True)


def plan_models(rng: np.random.Generator, spec: NetworkSpec, calendar: Calendar) -> Models:
    series_count = -(-spec.models // 3)
    brand = rng.choice(len(BRANDS), size=series_count, p=[brand[2] for brand in BRANDS])
    brand[: min(series_count, len(BRANDS))] = np.arange(min(series_count, len(BRANDS)))
    powertrain = np.array([rng.choice(4, p=BRANDS[b][3]) for b in brand])
    low, high = np.array([BRANDS[b][4] for b in brand]).T
    base_price = rng.uniform(low, high)
    # New-energy series are younger.
    new_energy = powertrain >= 2
    age_days = np.where(new_energy, rng.integers(60, 3 * 365, series_count), rng.integers(90, 6 * 365, series_count))
    series_names = _series_names(brand)

    series = np.arange(spec.models) // 3
    trim_index = np.arange(spec.models) % 3
    # Higher trims cost more; prices end in ...800 yuan, as Chinese list prices do.
    thousands = np.round(base_price[series] * np.array([1.0, 1.12, 1.26])[trim_index] / 1000)
    msrp = (np.clip(thousands * 1000, 101_000, 500_000) - 200).astype(np.int64) * 100
    floor = (msrp * rng.uniform(0.90, 0.95, spec.models) // 10_000 * 10_000).astype(np.int64)
    invoice = (floor * rng.uniform(0.92, 0.97, spec.models) // 10_000 * 10_000).astype(np.int64)
    model_powertrain = powertrain[series]
    return Models(
        brand=brand[series],
        series=[series_names[s] for s in series],
        code=[f"{series_names[s].replace(' ', '').upper()}-{t + 1}" for s, t in zip(series, trim_index, strict=True)],
        trim=[TRIMS[POWERTRAINS[p]][t] for p, t in zip(model_powertrain, trim_index, strict=True)],
        powertrain=model_powertrain,
        msrp=msrp,
        floor=floor,
        invoice_cost=invoice,
        launch=calendar.end - age_days[series],
        popularity=rng.lognormal(0.0, 0.7, spec.models) * np.array([1.0, 1.35, 0.55])[trim_index],
    )


def _series_names(brand: np.ndarray) -> list[str]:
    """Series names like S5 or E7 Pro: the brand's letter, a number, a suffix once the numbers run out."""
    names, used = [], [0] * len(BRANDS)
    for b in brand:
        number, round_ = SERIES_NUMBERS[used[b] % len(SERIES_NUMBERS)], used[b] // len(SERIES_NUMBERS)
        suffix = SERIES_SUFFIXES[round_] if round_ < len(SERIES_SUFFIXES) else f" {round_}"
        names.append(f"{BRANDS[b][1]}{number}{suffix}")
        used[b] += 1
    return names


def model_columns(models: Models) -> dict[str, np.ndarray]:
    created = (models.launch - 90) * DAY + 9 * HOUR
    return {
        "id": col.integers(np.arange(1, models.count + 1)),
        "code": col.words(models.code, np.arange(models.count)),
        "brand": col.words([brand[0] for brand in BRANDS], models.brand),
        "series": col.words(models.series, np.arange(models.count)),
        "trim": col.words(models.trim, np.arange(models.count)),
        "powertrain": col.words(POWERTRAINS, models.powertrain),
        "msrp": col.money(models.msrp),
        "guide_price_floor": col.money(models.floor),
        "dealer_invoice_cost": col.money(models.invoice_cost),
        "launch_date": col.dates(models.launch),
        "created_at": col.timestamps(created),
        "updated_at": col.timestamps(created),
    }


@dataclass
class Lenders:
    kind: np.ndarray  # index into LENDER_KINDS
    share: np.ndarray


LENDER_KINDS = ["bank", "auto_finance", "insurer_leasing"]


def plan_lenders(spec: NetworkSpec) -> Lenders:
    chosen = LENDERS[: spec.lenders]
    share = np.array([lender[3] for lender in chosen])
    return Lenders(kind=np.array([LENDER_KINDS.index(lender[2]) for lender in chosen]), share=share / share.sum())


def lender_columns(spec: NetworkSpec, calendar: Calendar) -> dict[str, np.ndarray]:
    count = spec.lenders
    created = np.full(count, (calendar.start - 3650) * DAY + 9 * HOUR)
    return {
        "id": col.integers(np.arange(1, count + 1)),
        "code": col.words([lender[0] for lender in LENDERS], np.arange(count)),
        "name": col.words([lender[1] for lender in LENDERS], np.arange(count)),
        "kind": col.words([lender[2] for lender in LENDERS], np.arange(count)),
        "created_at": col.timestamps(created),
        "updated_at": col.timestamps(created),
    }


def nearby_cities(rng: np.random.Generator, home: np.ndarray, elsewhere: float) -> np.ndarray:
    """``home`` cities, except a share ``elsewhere`` moved to another city of the same region."""
    city = home.copy()
    moved = rng.random(len(home)) < elsewhere
    region = CITY_REGION[home]
    for r in np.unique(region[moved]):
        picked = moved & (region == r)
        choices = np.flatnonzero(CITY_REGION == r)  # noqa: SIM300
        weights = CITY_WEIGHT[choices]
        city[picked] = rng.choice(choices, size=int(picked.sum()), p=weights / weights.sum())
    return city


def jitter(rng: np.random.Generator, city: np.ndarray, degrees: float) -> tuple[np.ndarray, np.ndarray]:
    """Coordinates a few kilometres around each city centre."""
    count = len(city)
    return (
        CITY_LATITUDE[city] + rng.normal(0, degrees, count),
        CITY_LONGITUDE[city] + rng.normal(0, degrees, count),
    )
