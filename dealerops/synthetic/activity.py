"""Leads, workshop visits, and inquiries and complaints: the activity around the sales."""

from collections.abc import Iterator

import numpy as np

from dealerops.synthetic import columns as col
from dealerops.synthetic.network import CITY_NAMES, DAY, HOUR, Calendar, Dealers, Models, jitter, nearby_cities
from dealerops.synthetic.sales import Customers, Sales, chunks_of, month_weights
from dealerops.synthetic.spec import NetworkSpec
from dealerops.synthetic.vocabulary import INQUIRY_TEXTS

LEAD_SOURCES = ["website", "app", "phone", "walk_in", "partner"]
SOURCE_MIX = [0.28, 0.24, 0.16, 0.22, 0.10]
WALK_IN = LEAD_SOURCES.index("walk_in")
LEAD_OUTCOMES = ["open", "contacted", "test_drive", "won", "lost"]
OPEN, CONTACTED, TEST_DRIVE, WON, LOST = range(5)
# One lead in about seven ends in a sale, so with three leads per sale ~45 % of sales came from a lead.
WON_LEAD_SHARE = 0.15


def lead_chunks(
    rng: np.random.Generator,
    spec: NetworkSpec,
    calendar: Calendar,
    dealers: Dealers,
    models: Models,
    sales: Sales,
    customers: Customers,
) -> Iterator[dict[str, np.ndarray]]:
    """Leads month by month, numbered in the order they came in."""
    total = round(spec.leads_per_sale * sales.count)
    won = np.flatnonzero(rng.random(sales.count) < min(1.0, WON_LEAD_SHARE * total / max(sales.count, 1)))
    won_month = calendar.month_of(sales.day[won])
    others = rng.multinomial(max(total - len(won), 0), month_weights(calendar))
    share = models.monthly_share(calendar)
    first_id = 1
    for month in range(calendar.months):
        batch = _leads_of_month(
            rng, calendar, month, won[won_month == month], int(others[month]), dealers, models, sales, customers, share
        )
        count = len(batch["created"])
        for part in chunks_of(count):
            yield _lead_columns(rng, {name: values[part] for name, values in batch.items()}, first_id + part.start)
        first_id += count


def _leads_of_month(rng, calendar, month, won_sales, others, dealers, models, sales, customers, share) -> dict:
    """The won leads of the month's sales (created days before the sale, at its dealer) and
    the month's other leads, routed to dealers by size."""
    won = len(won_sales)
    count = won + others
    is_won = np.arange(count) < won
    sold = np.concatenate([sales.day[won_sales], np.zeros(others, dtype=np.int64)])
    days = rng.integers(calendar.month_start[month], calendar.month_end[month] + 1, others)
    created = np.concatenate([sales.day[won_sales] - rng.integers(1, 41, won), days]) * DAY
    created += rng.integers(8 * HOUR, 22 * HOUR, count)
    weight = dealers.monthly_weight[month]
    dealer = np.concatenate([sales.dealer[won_sales], rng.choice(dealers.count, size=others, p=weight / weight.sum())])
    model = np.concatenate([sales.model[won_sales], rng.choice(models.count, size=others, p=share[month])])
    city = np.concatenate(
        [customers.city[sales.customer[won_sales]], nearby_cities(rng, dealers.city[dealer[won:]], elsewhere=0.2)]
    )
    source = rng.choice(len(LEAD_SOURCES), size=count, p=SOURCE_MIX)
    assigned, first_contact = _contact_times(rng, calendar, created, source, dealers.slowness[dealer])
    # A won lead was first contacted before the sale was signed.
    before_sale = np.maximum(assigned, np.minimum(first_contact, sold * DAY + 9 * HOUR))
    first_contact = np.where(is_won, before_sale, first_contact)
    # The newest leads may still wait in the routing queue; some are never called back.
    unassigned = ~is_won & (created > calendar.end_of_day - 2 * DAY) & (rng.random(count) < 0.3)
    never = ~is_won & (rng.random(count) < np.minimum(0.05 * dealers.slowness[dealer], 0.5))
    contacted = ~unassigned & ~never & (first_contact <= calendar.end_of_day)
    order = np.argsort(created, kind="stable")
    batch = {
        "created": created,
        "dealer": np.where(unassigned, -1, dealer),
        "model": np.where(~is_won & (rng.random(count) < 0.05), -1, model),
        "city": city,
        "source": source,
        "assigned": np.where(unassigned, -1, assigned),
        "first_contact": np.where(contacted, first_contact, -1),
        "outcome": _outcomes(rng, calendar, created, is_won, contacted),
        "sale": np.concatenate([won_sales, np.full(others, -1)]),
    }
    return {name: values[order] for name, values in batch.items()}


def _contact_times(rng, calendar: Calendar, created, source, slowness) -> tuple[np.ndarray, np.ndarray]:
    """Routing takes minutes; the first call back minutes to days, slower at slow dealers.
    Walk-ins are served on the spot."""
    count = len(created)
    walk_in = source == WALK_IN
    routing = np.where(walk_in, rng.integers(0, 120, count), rng.exponential(900, count).astype(np.int64))
    assigned = np.maximum(created, np.minimum(created + routing, calendar.end_of_day))
    wait = np.where(
        walk_in, rng.integers(0, 300, count), (rng.lognormal(np.log(40 * 60), 1.3, count) * slowness).astype(np.int64)
    )
    return assigned, assigned + wait


def _outcomes(rng, calendar: Calendar, created, is_won, contacted) -> np.ndarray:
    count = len(created)
    age_days = (calendar.end_of_day - created) / DAY
    recent = np.array([OPEN, CONTACTED, TEST_DRIVE, LOST])[rng.choice(4, size=count, p=[0.10, 0.45, 0.30, 0.15])]
    old = np.array([CONTACTED, TEST_DRIVE, LOST])[rng.choice(3, size=count, p=[0.15, 0.15, 0.70])]
    return np.select([is_won, ~contacted & (age_days < 21), ~contacted, age_days < 30], [WON, OPEN, LOST, recent], old)


def _lead_columns(rng: np.random.Generator, batch: dict, first_id: int) -> dict[str, np.ndarray]:
    count = len(batch["created"])
    latitude, longitude = jitter(rng, batch["city"], 0.05)
    dealer, model, sale = batch["dealer"], batch["model"], batch["sale"]
    created, assigned, first_contact = batch["created"], batch["assigned"], batch["first_contact"]
    return {
        "id": col.integers(np.arange(count) + first_id),
        "source": col.words(LEAD_SOURCES, batch["source"]),
        "customer_city": col.words(CITY_NAMES, batch["city"]),
        "customer_latitude": col.coordinate(latitude),
        "customer_longitude": col.coordinate(longitude),
        "model_of_interest_id": col.nullable(col.integers(model + 1), model >= 0),
        "created_at": col.timestamps(created),
        "dealer_id": col.nullable(col.integers(dealer + 1), dealer >= 0),
        "assigned_at": col.nullable(col.timestamps(np.where(assigned >= 0, assigned, created)), assigned >= 0),
        "first_contact_at": col.nullable(
            col.timestamps(np.where(first_contact >= 0, first_contact, created)), first_contact >= 0
        ),
        "outcome": col.words(LEAD_OUTCOMES, batch["outcome"]),
        "converted_sale_id": col.nullable(col.integers(sale + 1), sale >= 0),
    }


SERVICE_KINDS = ["maintenance", "repair", "warranty", "bodywork", "inspection"]
SERVICE_MIX = [0.55, 0.15, 0.10, 0.08, 0.12]
MEDIAN_BILL_YUAN = np.array([600, 1800, 0, 3500, 300])  # warranty work is free for the customer
FIRST_SERVICE_AFTER_DAYS = 30


def service_visit_chunks(
    rng: np.random.Generator, spec: NetworkSpec, calendar: Calendar, dealers: Dealers, sales: Sales
) -> Iterator[dict[str, np.ndarray]]:
    """Visits of past buyers, more of them the longer a car has been on the road; most at the
    selling dealer, some at another workshop of the region; satisfaction follows the
    dealer's service quality."""
    on_road = np.maximum(calendar.end - sales.day - FIRST_SERVICE_AFTER_DAYS, 0)
    cumulative = np.cumsum(on_road, dtype=np.float64)
    if not len(cumulative) or cumulative[-1] == 0:
        return
    workshops = {region: dealers.trading_in(region) for region in range(spec.regions)}
    for part in chunks_of(spec.service_visits):
        count = part.stop - part.start
        sale = np.searchsorted(cumulative, rng.random(count) * cumulative[-1], side="right")
        visited = sales.day[sale] + FIRST_SERVICE_AFTER_DAYS + (rng.random(count) * on_road[sale]).astype(np.int64)
        dealer = _workshops(rng, dealers, sales.dealer[sale], workshops)
        kind = rng.choice(len(SERVICE_KINDS), size=count, p=SERVICE_MIX)
        bill_fen = np.round(MEDIAN_BILL_YUAN[kind] * rng.lognormal(0.0, 0.6, count)).astype(np.int64) * 100
        score = np.clip(np.round(4.3 + 0.45 * dealers.quality[dealer] + rng.normal(0, 0.8, count)), 1, 5)
        created = visited * DAY + 18 * HOUR
        yield {
            "id": col.integers(np.arange(part.start, part.stop) + 1),
            "customer_id": col.integers(sales.customer[sale] + 1),
            "dealer_id": col.integers(dealer + 1),
            "visited_on": col.dates(visited),
            "kind": col.words(SERVICE_KINDS, kind),
            "amount": col.money(bill_fen),
            "satisfaction": col.nullable(col.integers(score), rng.random(count) < 0.9),
            "created_at": col.timestamps(created),
            "updated_at": col.timestamps(created),
        }


def _workshops(rng, dealers: Dealers, selling: np.ndarray, workshops: dict[int, np.ndarray]) -> np.ndarray:
    dealer = selling.copy()
    elsewhere = rng.random(len(dealer)) < 0.08
    region = dealers.region[dealer]
    for r in np.unique(region[elsewhere]):
        picked = elsewhere & (region == r)
        dealer[picked] = rng.choice(workshops[int(r)], size=int(picked.sum()))
    return dealer


INQUIRY_KINDS = ["inquiry", "complaint"]
INQUIRY_CATEGORIES = ["sales", "finance", "service", "product", "other"]
CATEGORY_MIX = {"inquiry": [0.40, 0.25, 0.20, 0.10, 0.05], "complaint": [0.25, 0.10, 0.35, 0.20, 0.10]}
TEXTS_PER_TOPIC = 2
INQUIRY_STATUSES = ["open", "in_progress", "resolved", "closed"]
OPEN_INQUIRY, IN_PROGRESS, RESOLVED, CLOSED = range(4)


def inquiry_chunks(
    rng: np.random.Generator, spec: NetworkSpec, calendar: Calendar, dealers: Dealers, sales: Sales
) -> Iterator[dict[str, np.ndarray]]:
    """Inquiries and complaints of buyers, to their dealer: more complaints and slower, less
    satisfying resolution where service quality is poor."""
    texts = [text for kind in INQUIRY_KINDS for topic in INQUIRY_CATEGORIES for text in INQUIRY_TEXTS[(kind, topic)]]
    for part in chunks_of(spec.inquiries if sales.count else 0):
        count = part.stop - part.start
        sale = rng.integers(0, sales.count, count)
        dealer = sales.dealer[sale]
        quality = dealers.quality[dealer]
        day = sales.day[sale] + np.minimum(rng.exponential(45, count).astype(np.int64), calendar.end - sales.day[sale])
        opened = np.minimum(day * DAY + rng.integers(9 * HOUR, 21 * HOUR, count), calendar.end_of_day)
        complaint = rng.random(count) < np.clip(0.3 - 0.08 * quality, 0.1, 0.6)
        topic = np.where(
            complaint,
            rng.choice(len(INQUIRY_CATEGORIES), size=count, p=CATEGORY_MIX["complaint"]),
            rng.choice(len(INQUIRY_CATEGORIES), size=count, p=CATEGORY_MIX["inquiry"]),
        )
        text = (complaint * len(INQUIRY_CATEGORIES) + topic) * TEXTS_PER_TOPIC + rng.integers(0, TEXTS_PER_TOPIC, count)
        typical_days = np.where(complaint, 4.0, 1.5) * (1 + 0.3 * np.maximum(-quality, 0))
        resolved_at = opened + (rng.exponential(typical_days) * DAY).astype(np.int64)
        status = _inquiry_status(rng, calendar, opened, resolved_at)
        resolved = status >= RESOLVED
        score = np.clip(np.round(np.where(complaint, 3.4, 4.3) + 0.4 * quality + rng.normal(0, 0.9, count)), 1, 5)
        yield {
            "id": col.integers(np.arange(part.start, part.stop) + 1),
            "customer_id": col.integers(sales.customer[sale] + 1),
            "dealer_id": col.integers(dealer + 1),
            "kind": col.words(INQUIRY_KINDS, complaint.astype(np.int64)),
            "category": col.words(INQUIRY_CATEGORIES, topic),
            "text": col.words(texts, text),
            "opened_at": col.timestamps(opened),
            "status": col.words(INQUIRY_STATUSES, status),
            "resolved_at": col.nullable(col.timestamps(np.minimum(resolved_at, calendar.end_of_day)), resolved),
            "satisfaction": col.nullable(col.integers(score), resolved & (rng.random(count) < 0.75)),
        }


def _inquiry_status(rng, calendar: Calendar, opened, resolved_at) -> np.ndarray:
    count = len(opened)
    resolved = resolved_at <= calendar.end_of_day
    settled = resolved & (calendar.end_of_day - resolved_at > 7 * DAY) & (rng.random(count) < 0.6)
    picked_up = (calendar.end_of_day - opened > DAY) & (rng.random(count) < 0.7)
    return np.select([settled, resolved, picked_up], [CLOSED, RESOLVED, IN_PROGRESS], OPEN_INQUIRY)
