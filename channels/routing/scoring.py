"""The routing's arithmetic on arrays: the candidates of every lead (from the k-d tree of
``channels.planning.geometry``, never all pairs), their five score parts, the weighted score,
the ranking and the dealer chosen. No database here: ``channels.routing.services`` reads the
inputs and writes the result.

Each part lies between 0 and 1 (``RoutingSettings`` says what each means); the score is their
weighted mean on a 0-100 scale. An online order ranks the active 4S stores by distance alone:
the nearest delivers it.
"""

from dataclasses import dataclass, field
from datetime import time

import numpy as np

from channels.models import DealerKind
from channels.planning.geometry import haversine_km, nearest, pairs_within
from channels.routing.models import SCORE_PARTS, AssignmentReason

# Below this many leads in the trailing 90 days a dealer's conversion says little: its part
# is the middle of the scale, neither a bonus nor a penalty.
MIN_CONVERSION_SAMPLE = 10
NEUTRAL = 0.5
# Leads scored at once: bounds the pairs held in memory (a national lead has dozens of dealers
# within reach).
CHUNK = 20_000


@dataclass
class Outlets:
    """The dealers routing may choose (active ones), as arrays in one order, with the figures
    their score reads. ``open_leads`` and the 90-day counts are filled for the candidates only
    (``channels.routing.selectors.outlet_figures``)."""

    ids: np.ndarray
    codes: list[str]
    names: list[str]
    kinds: np.ndarray
    lat: np.ndarray
    lon: np.ndarray
    headcount: np.ndarray
    opens_at: list[time]
    closes_at: list[time]
    open_leads: np.ndarray = field(default=None)
    assigned_90: np.ndarray = field(default=None)
    converted_90: np.ndarray = field(default=None)
    # (dealer index) x models + (model index) of the models in stock, the models indexed in
    # the order of ``model_ids`` (``LeadPoints.model``); ``figures_read``: all of it is filled.
    stock_keys: np.ndarray = field(default=None)
    model_ids: list[int] = field(default_factory=list)
    figures_read: bool = False

    def __post_init__(self) -> None:
        self.position = {int(dealer_id): index for index, dealer_id in enumerate(self.ids)}
        zeros = np.zeros(len(self.ids), dtype=np.int64)
        for name in ("open_leads", "assigned_90", "converted_90"):
            if getattr(self, name) is None:
                setattr(self, name, zeros.copy())
        if self.stock_keys is None:
            self.stock_keys = np.zeros(0, dtype=np.int64)

    @property
    def models(self) -> int:
        return max(len(self.model_ids), 1)


@dataclass(frozen=True)
class LeadPoints:
    """The leads to route, as arrays: where the customer is, what they prefer (a dealer kind
    or ""), the model of interest (an index among the batch's models, -1 for none), whether
    it is an online order, and the dealer it came through (its lead page; 0 for none)."""

    lat: np.ndarray
    lon: np.ndarray
    preference: np.ndarray
    model: np.ndarray
    online_order: np.ndarray
    held_by: np.ndarray

    def __len__(self) -> int:
        return len(self.lat)

    def part(self, rows: slice) -> "LeadPoints":
        return LeadPoints(*(getattr(self, name)[rows] for name in self.__dataclass_fields__))


@dataclass(frozen=True)
class Weights:
    distance: float
    channel: float
    load: float
    conversion: float
    stock: float
    reach_km: float
    leads_per_salesperson: float
    conversion_full: float
    keep: int

    def vector(self) -> np.ndarray:
        return np.array([getattr(self, part) for part in SCORE_PARTS])


@dataclass(frozen=True)
class Candidates:
    """Every lead's kept candidates, best first: ``lead`` and ``outlet`` index the inputs,
    ``parts`` is (rows, 5) in ``SCORE_PARTS`` order; ``chosen`` is each lead's outlet index
    (-1 when no active dealer can take it) and ``reason`` why."""

    lead: np.ndarray
    outlet: np.ndarray
    km: np.ndarray
    parts: np.ndarray
    score: np.ndarray
    chosen: np.ndarray
    reason: list[str]


def candidate_pairs(points: LeadPoints, outlets: Outlets, weights: Weights) -> tuple[np.ndarray, ...]:
    """(lead, outlet, km, beyond_reach) of every pair the leads' routing looks at: the active
    dealers within reach (for an online order, the 4S stores), else the nearest one, plus the
    dealer a lead came through (its lead page) wherever it is."""
    four_s = np.flatnonzero(outlets.kinds == DealerKind.FOUR_S)
    near = pairs_within(points.lat, points.lon, outlets.lat, outlets.lon, weights.reach_km)
    keep = ~points.online_order[near.origin] | (outlets.kinds[near.target] == DealerKind.FOUR_S)
    lead, outlet, km = near.origin[keep], near.target[keep], near.km[keep]
    beyond = np.zeros(len(lead), dtype=bool)
    # No dealer within reach: the nearest active one (the nearest 4S store for an online order).
    alone = np.setdiff1d(np.arange(len(points)), lead)
    for pool, wanted in (
        (np.arange(len(outlets.ids)), ~points.online_order[alone]),
        (four_s, points.online_order[alone]),
    ):
        who = alone[wanted]
        if len(who) and len(pool):
            index, distance = nearest(points.lat[who], points.lon[who], outlets.lat[pool], outlets.lon[pool])
            lead, outlet = np.concatenate([lead, who]), np.concatenate([outlet, pool[index]])
            km, beyond = np.concatenate([km, distance]), np.concatenate([beyond, np.ones(len(who), dtype=bool)])
    # The dealer of a lead page, when it is active and not already a candidate.
    held = np.flatnonzero(points.held_by > 0)
    if len(held):
        held_outlet = np.array([outlets.position.get(int(dealer), -1) for dealer in points.held_by[held]])
        found = held_outlet >= 0
        held, held_outlet = held[found], held_outlet[found]
        width = len(outlets.ids)
        missing = ~np.isin(held * width + held_outlet, lead * width + outlet)
        held, held_outlet = held[missing], held_outlet[missing]
        if len(held):
            distance = haversine_km(
                points.lat[held], points.lon[held], outlets.lat[held_outlet], outlets.lon[held_outlet]
            )
            lead, outlet = np.concatenate([lead, held]), np.concatenate([outlet, held_outlet])
            km, beyond = np.concatenate([km, distance]), np.concatenate([beyond, np.zeros(len(held), dtype=bool)])
    return lead, outlet, km, beyond


def score_parts(
    points: LeadPoints, outlets: Outlets, weights: Weights, lead: np.ndarray, outlet: np.ndarray, km: np.ndarray
) -> np.ndarray:
    """The five parts of each (lead, outlet) pair, (pairs, 5) in ``SCORE_PARTS`` order."""
    distance = np.clip(1 - km / weights.reach_km, 0, 1)
    preference = points.preference[lead]
    channel = ((preference != "") & (outlets.kinds[outlet] == preference)).astype(float)
    capacity = outlets.headcount[outlet] * weights.leads_per_salesperson
    with np.errstate(divide="ignore", invalid="ignore"):
        load = np.where(capacity > 0, np.clip(1 - outlets.open_leads[outlet] / capacity, 0, 1), 0.0)
        assigned = outlets.assigned_90[outlet]
        rate = np.where(assigned > 0, outlets.converted_90[outlet] / np.maximum(assigned, 1), 0.0)
    conversion = np.where(assigned >= MIN_CONVERSION_SAMPLE, np.clip(rate / weights.conversion_full, 0, 1), NEUTRAL)
    model = points.model[lead]
    stock = ((model >= 0) & np.isin(outlet.astype(np.int64) * outlets.models + model, outlets.stock_keys)).astype(float)
    return np.column_stack((distance, channel, load, conversion, stock))


def rank(points: LeadPoints, outlets: Outlets, weights: Weights, pairs: tuple[np.ndarray, ...]) -> Candidates:
    """Score every candidate pair (``candidate_pairs``), keep each lead's best
    ``weights.keep`` (and the dealer of its lead page), and choose its dealer."""
    lead, outlet, km, beyond = pairs
    parts = score_parts(points, outlets, weights, lead, outlet, km)
    vector = weights.vector()
    score = 100 * parts @ vector / vector.sum()
    online = points.online_order[lead]
    # Best first: by score (an online order: by distance), then the nearer, then by dealer code.
    order = np.lexsort((outlet, km, np.where(online, km, -score), lead))
    lead, outlet, km, beyond, parts, score = (a[order] for a in (lead, outlet, km, beyond, parts, score))
    first = np.r_[True, lead[1:] != lead[:-1]] if len(lead) else np.zeros(0, dtype=bool)
    starts = np.flatnonzero(first)
    position = np.arange(len(lead)) - np.repeat(starts, np.diff(np.r_[starts, len(lead)]))
    held = (points.held_by[lead] > 0) & (outlets.ids[outlet] == points.held_by[lead])
    keep = (position < weights.keep) | held
    chosen = np.full(len(points), -1, dtype=np.int64)
    chosen[lead[first]] = outlet[first]
    held_lead = lead[held]
    chosen[held_lead] = outlet[held]
    reasons = np.full(len(points), AssignmentReason.BEST_SCORE, dtype=object)
    reasons[lead[first & beyond]] = AssignmentReason.NEAREST
    reasons[np.flatnonzero(points.online_order)] = AssignmentReason.ONLINE_ORDER
    reasons[held_lead] = AssignmentReason.PAGE_DEALER
    return Candidates(
        lead=lead[keep],
        outlet=outlet[keep],
        km=km[keep],
        parts=parts[keep],
        score=score[keep],
        chosen=chosen,
        reason=reasons.tolist(),
    )


def merged(parts: list[tuple[int, Candidates]]) -> Candidates:
    """The candidates of consecutive chunks of leads (each with its first lead's index) as one."""
    if len(parts) == 1 and parts[0][0] == 0:
        return parts[0][1]
    return Candidates(
        lead=np.concatenate([part.lead + start for start, part in parts]),
        outlet=np.concatenate([part.outlet for _start, part in parts]),
        km=np.concatenate([part.km for _start, part in parts]),
        parts=np.concatenate([part.parts for _start, part in parts]),
        score=np.concatenate([part.score for _start, part in parts]),
        chosen=np.concatenate([part.chosen for _start, part in parts]),
        reason=[reason for _start, part in parts for reason in part.reason],
    )
