"""Sales with their stock units, customers and loans, plus the stock still on hand.

Sale *i* (id i + 1) sells stock unit i + 1; units on hand or on the way take the ids after the
sold ones. Sales are numbered in date order, as a live system would number them.
"""

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from dealerops.synthetic import columns as col
from dealerops.synthetic.network import (
    CITY_NAMES,
    DAY,
    HOUR,
    Calendar,
    Dealers,
    Lenders,
    Models,
    jitter,
    nearby_cities,
)
from dealerops.synthetic.spec import NetworkSpec
from dealerops.synthetic.vocabulary import COLOURS, GIVEN_NAMES, SURNAMES

CHUNK_ROWS = 500_000
PAYMENTS = ["cash", "loan", "lease"]
CASH, LOAN, LEASE = range(3)
# Relative sales by calendar month: spring push in March, "金九银十", the year-end push.
SEASON = np.array([1.0, 1.0, 1.10, 0.98, 1.0, 1.04, 0.94, 0.96, 1.10, 1.14, 1.10, 1.24])
NEW_YEAR_DIP = 0.62
PRE_NEW_YEAR_RUSH = 1.06
MARKET_GROWTH_PER_YEAR = 0.06


def chunks_of(count: int, size: int = CHUNK_ROWS) -> Iterator[slice]:
    for start in range(0, count, size):
        yield slice(start, min(start + size, count))


def year_of(days: np.ndarray) -> np.ndarray:
    return (col.EPOCH + days).astype("datetime64[Y]").astype(np.int64) + 1970


def add_months(days: np.ndarray, months: np.ndarray) -> np.ndarray:
    """The same day of the month ``months`` later (the month's last day if it is shorter)."""
    moment = col.EPOCH + days
    month = moment.astype("datetime64[M]")
    day_of_month = (moment - month.astype("datetime64[D]")).astype(np.int64)
    target = month + months.astype("timedelta64[M]")
    target_start = target.astype("datetime64[D]")
    length = ((target + 1).astype("datetime64[D]") - target_start).astype(np.int64)
    return (target_start - col.EPOCH).astype(np.int64) + np.minimum(day_of_month, length - 1)


# -- the sales plan -----------------------------------------------------------------------------


def month_weights(calendar: Calendar) -> np.ndarray:
    """Each month's share of the window's sales: seasonality, the Chinese New Year dip (and
    the rush the month before), market growth, and only the days with data in the last month."""
    weight = SEASON[calendar.month_of_year - 1] * np.exp(MARKET_GROWTH_PER_YEAR * calendar.years_in())
    for month in range(calendar.months):
        if calendar.new_year_day(month) is not None:
            weight[month] *= NEW_YEAR_DIP
            if month > 0:
                weight[month - 1] *= PRE_NEW_YEAR_RUSH
    weight = weight * (calendar.month_end - calendar.month_start + 1) / calendar.month_days
    return weight / weight.sum()


@dataclass
class Sales:
    """Sale *i* of the plan, with the history of the unit it sold. Days are day numbers."""

    dealer: np.ndarray
    model: np.ndarray
    day: np.ndarray
    price: np.ndarray  # fen
    payment: np.ndarray
    ordered: np.ndarray
    eta: np.ndarray
    arrived: np.ndarray
    recorded: np.ndarray  # seconds
    customer: np.ndarray | None = None

    def __post_init__(self) -> None:
        # Compact storage: at national scale each of these arrays has millions of rows.
        for name in ("dealer", "model", "day", "ordered", "eta", "arrived"):
            setattr(self, name, getattr(self, name).astype(np.int32))
        self.payment = self.payment.astype(np.int8)

    @property
    def count(self) -> int:
        return len(self.day)


def plan_sales(
    rng: np.random.Generator, spec: NetworkSpec, calendar: Calendar, dealers: Dealers, models: Models
) -> Sales:
    per_month = rng.multinomial(spec.sales, month_weights(calendar))
    share = models.monthly_share(calendar)
    parts = [_sales_of_month(rng, calendar, month, int(n), dealers, models, share) for month, n in enumerate(per_month)]
    dealer, model, day = (np.concatenate(part) for part in zip(*parts, strict=True))
    order = np.argsort(day, kind="stable")
    dealer, model, day = dealer[order], model[order], day[order]
    ordered, eta, arrived = stock_history(rng, day, models.launch[model], aged_share=0.15)
    return Sales(
        dealer=dealer,
        model=model,
        day=day,
        price=_prices(rng, models, dealers, dealer, model),
        payment=_payments(rng, spec, len(day)),
        ordered=ordered,
        eta=eta,
        arrived=arrived,
        recorded=_recorded_at(rng, calendar, dealers, dealer, day),
    )


def _payments(rng: np.random.Generator, spec: NetworkSpec, count: int) -> np.ndarray:
    cash_share = 1 - spec.loan_share - spec.lease_share
    return rng.choice(3, size=count, p=[cash_share, spec.loan_share, spec.lease_share])


def _sales_of_month(rng, calendar: Calendar, month: int, count: int, dealers: Dealers, models: Models, share):
    weight = dealers.monthly_weight[month]
    dealer = rng.choice(dealers.count, size=count, p=weight / weight.sum()).astype(np.int32)
    model = rng.choice(models.count, size=count, p=share[month]).astype(np.int32)
    days, day_weight = _selling_days(calendar, month)
    # A model launched in the middle of the month sells from its launch day.
    day = np.maximum(rng.choice(days, size=count, p=day_weight), models.launch[model])
    return dealer, model, day


def _selling_days(calendar: Calendar, month: int) -> tuple[np.ndarray, np.ndarray]:
    """The month's days with data, weekends busier, the Spring Festival week nearly closed."""
    days = np.arange(calendar.month_start[month], calendar.month_end[month] + 1)
    weight = np.where((days + 3) % 7 >= 5, 1.4, 1.0)  # day 0, 1970-01-01, was a Thursday
    new_year = calendar.new_year_day(month)
    if new_year is not None:
        weight[(days >= new_year - 2) & (days <= new_year + 6)] *= 0.25
    return days, weight / weight.sum()


def _prices(rng, models: Models, dealers: Dealers, dealer: np.ndarray, model: np.ndarray) -> np.ndarray:
    """Between the guide-price floor and the MSRP, in whole hundreds of yuan; about 3 % of
    deals (more at a few dealers) go below the floor."""
    msrp, floor = models.msrp[model], models.floor[model]
    within = floor + (msrp - floor) * rng.beta(2.2, 1.6, len(model))
    below = floor * rng.uniform(0.95, 0.995, len(model))
    price = np.where(rng.random(len(model)) < dealers.below_floor_share[dealer], below, within)
    return (price // 10_000 * 10_000).astype(np.int64)


def stock_history(
    rng: np.random.Generator, until: np.ndarray, launch: np.ndarray, aged_share: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Order, planned arrival (ETA) and arrival of units that arrived by ``until``: most
    within a month or two, ``aged_share`` of them long-standing stock."""
    count = len(until)
    days_in_stock = np.where(
        rng.random(count) < aged_share, 45 + rng.exponential(70, count), rng.exponential(25, count)
    ).astype(np.int64)
    arrived = np.maximum(until - days_in_stock, np.minimum(launch, until))
    eta = arrived - rng.integers(-2, 7, count)  # deliveries run up to two days early, a week late
    ordered = np.minimum(eta - rng.integers(6, 28, count), arrived)
    return ordered, eta, arrived


def _recorded_at(rng, calendar: Calendar, dealers: Dealers, dealer: np.ndarray, day: np.ndarray) -> np.ndarray:
    """When the sale was entered: mostly within 48 hours, later at chronically late dealers."""
    count = len(day)
    late = rng.random(count) < dealers.late_share[dealer]
    delay_hours = np.where(late, rng.uniform(49, 24 * 21, count), np.minimum(rng.exponential(6, count), 47))
    signed = day * DAY + rng.integers(10 * HOUR, 20 * HOUR, count)
    return np.minimum(signed + (delay_hours * HOUR).astype(np.int64), calendar.end_of_day)


# -- customers ----------------------------------------------------------------------------------


@dataclass
class Customers:
    """Customer *j* (id j + 1): at home with the dealer of their first purchase."""

    home_dealer: np.ndarray
    city: np.ndarray
    since: np.ndarray

    @property
    def count(self) -> int:
        return len(self.home_dealer)


def assign_customers(rng: np.random.Generator, spec: NetworkSpec, dealers: Dealers, sales: Sales) -> Customers:
    """Give every sale a customer of its dealer. Each dealer's first sales bring new
    customers; the rest go to earlier customers of the same dealer (repeat buyers, fleets)."""
    order = np.lexsort((np.arange(sales.count), sales.dealer))  # by dealer, then by date
    dealer = sales.dealer[order]
    sold = np.bincount(sales.dealer, minlength=dealers.count)
    rank = np.arange(sales.count) - (np.cumsum(sold) - sold)[dealer]
    ratio = spec.customers / max(sales.count, 1)
    per_dealer = np.where(sold > 0, np.clip(np.round(sold * ratio), 1, sold), 0).astype(np.int64)
    first = np.cumsum(per_dealer) - per_dealer
    new = rank < per_dealer[dealer]
    # Loyal early customers come back most often.
    returning = (rng.random(sales.count) ** 2 * per_dealer[dealer]).astype(np.int64)
    customer = np.empty(sales.count, dtype=np.int32)
    customer[order] = first[dealer] + np.where(new, rank, returning)
    sales.customer = customer
    home_dealer = np.repeat(np.arange(dealers.count, dtype=np.int32), per_dealer)
    return Customers(
        home_dealer=home_dealer,
        city=nearby_cities(rng, dealers.city[home_dealer], elsewhere=0.15),
        since=sales.day[order][new],
    )


def customer_chunks(rng: np.random.Generator, customers: Customers) -> Iterator[dict[str, np.ndarray]]:
    for part in chunks_of(customers.count):
        ids = np.arange(part.start, part.stop) + 1
        count = len(ids)
        city = customers.city[part]
        latitude, longitude = jitter(rng, city, 0.06)
        created = customers.since[part] * DAY + rng.integers(10 * HOUR, 20 * HOUR, count)
        yield {
            "id": col.integers(ids),
            "home_dealer_id": col.integers(customers.home_dealer[part] + 1),
            "name": person_names(rng, count),
            "phone": phones(rng, ids),
            "city": col.words(CITY_NAMES, city),
            "latitude": col.coordinate(latitude),
            "longitude": col.coordinate(longitude),
            "marketing_consent": col.flags(rng.random(count) < 0.55),
            "created_at": col.timestamps(created),
            "updated_at": col.timestamps(created),
        }


def person_names(rng: np.random.Generator, count: int) -> np.ndarray:
    """A surname and a one- or two-character given name."""
    second = rng.integers(0, len(GIVEN_NAMES), count)
    return col.join(
        col.words(SURNAMES, rng.integers(0, len(SURNAMES), count)),
        col.words(GIVEN_NAMES, rng.integers(0, len(GIVEN_NAMES), count)),
        np.where(rng.random(count) < 0.6, col.words(GIVEN_NAMES, second), b""),
    )


def phones(rng: np.random.Generator, ids: np.ndarray) -> np.ndarray:
    """Mainland mobile numbers, unique: the last nine digits are a bijection of the id."""
    carrier = rng.choice(5, size=len(ids), p=[0.35, 0.2, 0.1, 0.25, 0.1])
    return col.join(b"1", col.words(list("35789"), carrier), col.digits((ids * 7_654_321 + 12_345) % 10**9, 9))


def salesperson_names(dealer: np.ndarray, staff: np.ndarray) -> np.ndarray:
    """The same dealer and staff number always name the same person (a multiplicative hash)."""
    key = (dealer.astype(np.uint64) * np.uint64(97) + staff.astype(np.uint64)) * np.uint64(2_654_435_761)
    key = key % np.uint64(2**32)
    given = (key >> np.uint64(8)) % np.uint64(len(GIVEN_NAMES))
    second = (key >> np.uint64(16)) % np.uint64(len(GIVEN_NAMES))
    return col.join(
        col.words(SURNAMES, (key % np.uint64(len(SURNAMES))).astype(np.int64)),
        col.words(GIVEN_NAMES, given.astype(np.int64)),
        np.where((key >> np.uint64(24)) & np.uint64(1), col.words(GIVEN_NAMES, second.astype(np.int64)), b""),
    )


# -- stock units --------------------------------------------------------------------------------

VIN_ALPHABET = np.frombuffer(b"0123456789ABCDEFGHJKLMNPRSTUVWXYZ", dtype=np.uint8)  # no I, O, Q
# ISO 3779 check digit: letter values and position weights.
VIN_VALUES = np.zeros(256, dtype=np.int64)
VIN_VALUES[np.frombuffer(b"0123456789", dtype=np.uint8)] = np.arange(10)
VIN_VALUES[np.frombuffer(b"ABCDEFGHJKLMNPRSTUVWXYZ", dtype=np.uint8)] = [
    1, 2, 3, 4, 5, 6, 7, 8, 1, 2, 3, 4, 5, 7, 9, 2, 3, 4, 5, 6, 7, 8, 9,
]  # fmt: skip
VIN_WEIGHTS = np.array([8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2])
MODEL_YEAR_CODES = np.frombuffer(b"ABCDEFGHJKLMNPRSTVWXY123456789", dtype=np.uint8)  # 2010, 2011, ...
WORLD_MAKER = b"LSC"  # "L": made in China


COLOUR_NAMES = [name for name, _share, _bev_share in COLOURS]
# Cumulative shares per powertrain (ICE, HEV, PHEV, BEV), each row ending at 1.
COLOUR_CUMULATIVE = np.cumsum(
    [[share for _name, share, _bev in COLOURS]] * 3 + [[bev for _name, _share, bev in COLOURS]], axis=1
)
COLOUR_CUMULATIVE[:, -1] = 1.0


def unit_fraction(unit_ids: np.ndarray, seed: int) -> np.ndarray:
    """A uniform number in [0, 1) per unit id and seed (the splitmix64 finaliser): drawn without
    the generator's random stream, so adding a column leaves every other column of a seed as it was."""
    with np.errstate(over="ignore"):
        key = np.asarray(unit_ids, dtype=np.uint64) + np.uint64((seed & 0xFFFFFF) << 40)  # ids stay below 2**40
        key *= np.uint64(0x9E3779B97F4A7C15)
        key ^= key >> np.uint64(30)
        key *= np.uint64(0xBF58476D1CE4E5B9)
        key ^= key >> np.uint64(27)
        key *= np.uint64(0x94D049BB133111EB)
        key ^= key >> np.uint64(31)
    return (key >> np.uint64(11)).astype(np.float64) / 2.0**53


def colours(unit_ids: np.ndarray, powertrain: np.ndarray, seed: int) -> np.ndarray:
    """Each unit's exterior colour, drawn with its powertrain's shares."""
    cumulative = COLOUR_CUMULATIVE[powertrain]
    index = (unit_fraction(unit_ids, seed)[:, None] >= cumulative).sum(axis=1)
    return col.words(COLOUR_NAMES, np.minimum(index, len(COLOUR_NAMES) - 1))


def _base33(values: np.ndarray, width: int) -> np.ndarray:
    remaining = np.asarray(values, dtype=np.int64).copy()
    out = np.empty((len(remaining), width), dtype=np.uint8)
    for position in range(width - 1, -1, -1):
        out[:, position] = VIN_ALPHABET[remaining % 33]
        remaining //= 33
    return out


def vins(unit_ids: np.ndarray, model: np.ndarray, powertrain: np.ndarray, ordered: np.ndarray) -> np.ndarray:
    """17-character VINs: maker, model descriptor, check digit, model year, and the unit id
    in base 33 as serial (so every unit has its own)."""
    chars = np.empty((len(unit_ids), 17), dtype=np.uint8)
    chars[:, :3] = np.frombuffer(WORLD_MAKER, dtype=np.uint8)
    chars[:, 3:6] = _base33(model, 3)
    chars[:, 6] = np.frombuffer(b"GHPE", dtype=np.uint8)[powertrain]
    chars[:, 7] = ord("1")
    chars[:, 9] = MODEL_YEAR_CODES[(year_of(ordered) - 2010) % len(MODEL_YEAR_CODES)]
    chars[:, 10:] = _base33(unit_ids, 7)
    check = (VIN_VALUES[chars] * VIN_WEIGHTS).sum(axis=1) % 11
    chars[:, 8] = np.frombuffer(b"0123456789X", dtype=np.uint8)[check]
    return chars.view("S17").ravel()


@dataclass
class StockOnHand:
    """Units not sold yet: in stock, in transit, or ordered from the factory."""

    dealer: np.ndarray
    model: np.ndarray
    status: np.ndarray  # index into UNIT_STATUSES
    ordered: np.ndarray
    eta: np.ndarray
    arrived: np.ndarray  # -1 when not arrived


UNIT_STATUSES = ["in_stock", "in_transit", "ordered", "sold"]
IN_STOCK, IN_TRANSIT, ORDERED, SOLD = range(4)


def plan_stock_on_hand(
    rng: np.random.Generator, spec: NetworkSpec, calendar: Calendar, dealers: Dealers, models: Models
) -> StockOnHand:
    counts = [spec.stock_on_hand, spec.in_transit, spec.ordered]
    total = sum(counts)
    status = np.repeat(np.arange(3), counts)
    weight = dealers.monthly_weight[-1]
    dealer = rng.choice(dealers.count, size=total, p=weight / weight.sum())
    # A flatter mix than sales: slow sellers pile up.
    mix = models.monthly_share(calendar)[-1] ** 0.6
    model = rng.choice(models.count, size=total, p=mix / mix.sum())
    end = np.full(total, calendar.end)
    ordered, eta, arrived = stock_history(rng, end, models.launch[model], aged_share=0.25)
    waiting = status != IN_STOCK
    in_transit = status == IN_TRANSIT
    ordered[waiting] = (
        calendar.end - np.where(in_transit, rng.integers(3, 25, total), rng.integers(0, 10, total))[waiting]
    )
    eta[waiting] = calendar.end + np.where(in_transit, rng.integers(1, 20, total), rng.integers(15, 45, total))[waiting]
    arrived[waiting] = -1
    return StockOnHand(dealer=dealer, model=model, status=status, ordered=ordered, eta=eta, arrived=arrived)


def stock_unit_chunks(sales: Sales, on_hand: StockOnHand, models: Models, seed: int) -> Iterator[dict[str, np.ndarray]]:
    for part in chunks_of(sales.count):
        yield _unit_columns(
            first_id=part.start + 1,
            dealer=sales.dealer[part],
            model=sales.model[part],
            status=np.full(part.stop - part.start, SOLD),
            ordered=sales.ordered[part],
            eta=sales.eta[part],
            arrived=sales.arrived[part],
            changed=sales.day[part],
            models=models,
            seed=seed,
        )
    for part in chunks_of(len(on_hand.status)):
        arrived = on_hand.arrived[part]
        yield _unit_columns(
            first_id=sales.count + part.start + 1,
            dealer=on_hand.dealer[part],
            model=on_hand.model[part],
            status=on_hand.status[part],
            ordered=on_hand.ordered[part],
            eta=on_hand.eta[part],
            arrived=arrived,
            changed=np.where(arrived >= 0, arrived, on_hand.ordered[part]),
            models=models,
            seed=seed,
        )


def _unit_columns(*, first_id, dealer, model, status, ordered, eta, arrived, changed, models: Models, seed: int):
    ids = np.arange(len(dealer)) + first_id
    return {
        "id": col.integers(ids),
        "vin": vins(ids, model, models.powertrain[model], ordered),
        "colour": colours(ids, models.powertrain[model], seed),
        "model_id": col.integers(model + 1),
        "dealer_id": col.integers(dealer + 1),
        "status": col.words(UNIT_STATUSES, status),
        "ordered_on": col.dates(ordered),
        "eta": col.dates(eta),
        "arrived_on": col.nullable(col.dates(np.maximum(arrived, ordered)), arrived >= 0),
        "created_at": col.timestamps(ordered * DAY + 9 * HOUR),
        "updated_at": col.timestamps(changed * DAY + 18 * HOUR),
    }


# -- sales and loans ----------------------------------------------------------------------------


def sale_chunks(
    rng: np.random.Generator, sales: Sales, customers: Customers, dealers: Dealers
) -> Iterator[dict[str, np.ndarray]]:
    for part in chunks_of(sales.count):
        ids = np.arange(part.start, part.stop) + 1
        dealer = sales.dealer[part]
        staff = rng.integers(0, dealers.headcount[dealer])
        recorded = col.timestamps(sales.recorded[part])
        yield {
            "id": col.integers(ids),
            "stock_unit_id": col.integers(ids),
            "dealer_id": col.integers(dealer + 1),
            "customer_id": col.integers(sales.customer[part] + 1),
            "salesperson": salesperson_names(dealer, staff),
            "sold_on": col.dates(sales.day[part]),
            "transaction_price": col.money(sales.price[part]),
            "payment": col.words(PAYMENTS, sales.payment[part]),
            "registered_city": col.words(CITY_NAMES, customers.city[sales.customer[part]]),
            "recorded_at": recorded,
            "updated_at": recorded,
        }


LOAN_STATUSES = ["applied", "approved", "disbursed", "paid_off_early", "defaulted", "matured"]
APPLIED, APPROVED, DISBURSED, PAID_OFF_EARLY, DEFAULTED, MATURED = range(6)
CREDIT_GRADES = list("ABCDE")
GRADE_MIX = [0.34, 0.36, 0.18, 0.08, 0.04]
GRADE_PREMIUM = np.array([0.0, 0.003, 0.008, 0.015, 0.025])
# Yearly default hazard by grade, once a loan is three months on the book.
GRADE_DEFAULT_HAZARD = np.array([0.005, 0.01, 0.03, 0.06, 0.12])
EARLY_PAYOFF_HAZARD = 0.08
TERMS = np.array([12, 24, 36, 48, 60])


@dataclass
class Loans:
    """Loan *k* (id k + 1) finances sale ``sale[k]``."""

    sale: np.ndarray
    lender: np.ndarray
    grade: np.ndarray
    term: np.ndarray
    rate: np.ndarray  # millionths
    buy_rate: np.ndarray  # millionths, 0 where the lender does not disclose it
    down_payment: np.ndarray  # fen
    applied: np.ndarray
    disbursed: np.ndarray  # -1 while pending
    closed: np.ndarray  # -1 while open
    status: np.ndarray

    def __post_init__(self) -> None:
        # Compact storage, as for sales.
        for name in ("sale", "rate", "buy_rate", "applied", "disbursed", "closed"):
            setattr(self, name, getattr(self, name).astype(np.int32))
        for name in ("lender", "grade", "term", "status"):
            setattr(self, name, getattr(self, name).astype(np.int8))


def plan_loans(rng: np.random.Generator, sales: Sales, lenders: Lenders, calendar: Calendar) -> Loans:
    """One loan per loan sale. Banks lend at 3.2–5.5 %, auto-finance companies at 3–7.5 % (and
    disclose their buy rate), leasing companies dearer; weaker grades pay a premium."""
    sale = np.flatnonzero(sales.payment == LOAN)
    count = len(sale)
    lender = rng.choice(len(lenders.share), size=count, p=lenders.share)
    kind = lenders.kind[lender]
    grade = rng.choice(5, size=count, p=GRADE_MIX)
    base = np.select(
        [kind == 0, kind == 1], [rng.uniform(0.032, 0.055, count), rng.uniform(0.030, 0.075, count)],
        rng.uniform(0.060, 0.085, count),
    )  # fmt: skip
    rate = (np.round(np.clip(base + GRADE_PREMIUM[grade], 0.03, 0.09) * 10_000) * 100).astype(np.int64)
    margin = (np.round(rng.uniform(0.005, 0.02, count) * 10_000) * 100).astype(np.int64)
    buy_rate = np.where(kind == 1, np.maximum(rate - margin, 10_000), 0)
    price = sales.price[sale]
    down_payment = (np.ceil(price * rng.uniform(0.2, 0.495, count) / 10_000) * 10_000).astype(np.int64)
    sold = sales.day[sale]
    term = rng.choice(TERMS, size=count, p=[0.10, 0.22, 0.40, 0.10, 0.18])
    applied = sold - rng.integers(0, 6, count)
    disbursed = sold + rng.integers(0, 8, count)
    status, closed = _loan_outcomes(rng, calendar, grade, term, disbursed)
    return Loans(
        sale=sale,
        lender=lender,
        grade=grade,
        term=term,
        rate=rate,
        buy_rate=buy_rate,
        down_payment=down_payment,
        applied=applied,
        disbursed=np.where(status <= APPROVED, -1, disbursed),
        closed=closed,
        status=status,
    )


def _loan_outcomes(rng, calendar: Calendar, grade, term, disbursed) -> tuple[np.ndarray, np.ndarray]:
    """Status and closing day: pending until disbursed, matured once the term has run, some
    defaulted (weak grades more) or paid off early in between."""
    count = len(grade)
    pending = disbursed > calendar.end
    maturity = add_months(disbursed, term)
    age = calendar.end - disbursed
    matured = ~pending & (maturity <= calendar.end)
    running = ~pending & ~matured
    defaulted = running & (age > 90) & (rng.random(count) < 1 - np.exp(-GRADE_DEFAULT_HAZARD[grade] * (age - 90) / 365))
    paid_off = (
        running & ~defaulted & (age > 30) & (rng.random(count) < 1 - np.exp(-EARLY_PAYOFF_HAZARD * (age - 30) / 365))
    )
    elapsed = rng.random(count)
    status = np.select(
        [pending, matured, defaulted, paid_off],
        [np.where(rng.random(count) < 0.6, APPROVED, APPLIED), MATURED, DEFAULTED, PAID_OFF_EARLY],
        DISBURSED,
    )
    closed = np.select(
        [matured, defaulted, paid_off],
        [maturity, disbursed + 90 + (elapsed * (age - 90)).astype(np.int64),
         disbursed + 30 + (elapsed * (age - 30)).astype(np.int64)],
        -1,
    )  # fmt: skip
    return status, closed


def loan_chunks(loans: Loans, sales: Sales) -> Iterator[dict[str, np.ndarray]]:
    for part in chunks_of(len(loans.sale)):
        ids = np.arange(part.start, part.stop) + 1
        sale = loans.sale[part]
        price, down = sales.price[sale], loans.down_payment[part]
        applied, disbursed, closed = loans.applied[part], loans.disbursed[part], loans.closed[part]
        buy_rate = loans.buy_rate[part]
        changed = np.maximum.reduce([applied, disbursed, closed])
        yield {
            "id": col.integers(ids),
            "reference": col.join(b"LN", col.digits(ids, 10)),
            "sale_id": col.integers(sale + 1),
            "dealer_id": col.integers(sales.dealer[sale] + 1),
            "lender_id": col.integers(loans.lender[part] + 1),
            "principal": col.money(price - down),
            "down_payment": col.money(down),
            "annual_rate": col.rate(loans.rate[part]),
            "buy_rate": col.nullable(col.rate(buy_rate), buy_rate > 0),
            "term_months": col.integers(loans.term[part]),
            "credit_grade": col.words(CREDIT_GRADES, loans.grade[part]),
            "status": col.words(LOAN_STATUSES, loans.status[part]),
            "applied_on": col.dates(applied),
            "disbursed_on": col.nullable(col.dates(np.maximum(disbursed, applied)), disbursed >= 0),
            "closed_on": col.nullable(col.dates(np.maximum(closed, applied)), closed >= 0),
            "created_at": col.timestamps(applied * DAY + 11 * HOUR),
            "updated_at": col.timestamps(changed * DAY + 11 * HOUR),
        }
