"""Trade areas by Huff's gravity model on the demand cells, the distance decay fitted to where
our buyers bought, the overlap of neighbouring outlets and the white spots none reaches.

    P(cell i buys at outlet j) = A_j · d_ij^(−λ) ÷ Σ_k A_k · d_ik^(−λ)     over outlets within reach

with d the road-distance proxy (great-circle km × a detour factor, at least ``min_km``) and
A an outlet's attraction (its size and health). A cell's capacity × P is the outlet's demand."""

from dataclasses import dataclass

import h3
import numpy as np
from scipy.optimize import minimize_scalar
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from channels.planning.geometry import Cells, Pairs, pairs_within

PUBLISHED_EXPONENT = 1.5  # the published default for car buying (a decay of d^−1.5)


@dataclass(frozen=True)
class HuffModel:
    exponent: float = PUBLISHED_EXPONENT  # λ
    detour_factor: float = 1.3  # road km per great-circle km
    reach_km: float = 150.0  # road km beyond which an outlet is not a choice
    min_km: float = 2.0  # a cell's own outlet is not infinitely attractive

    def road_km(self, km: np.ndarray) -> np.ndarray:
        return np.maximum(km * self.detour_factor, self.min_km)


DEFAULT_HUFF = HuffModel()


@dataclass(frozen=True)
class TradeAreas:
    pairs: Pairs  # cell (origin) – outlet (target) pairs within reach
    probability: np.ndarray  # per pair
    demand: np.ndarray  # per outlet: expected units a year
    uncovered: float  # capacity of cells with no outlet within reach


def _probabilities(cell: np.ndarray, utility: np.ndarray, cells: int) -> np.ndarray:
    total = np.bincount(cell, weights=utility, minlength=cells)
    return utility / total[cell]


def trade_areas(cells: Cells, outlet_lat, outlet_lon, attraction, model: HuffModel = DEFAULT_HUFF) -> TradeAreas:
    """Each outlet's Huff share of every cell within reach, and its demand."""
    attraction = np.asarray(attraction, dtype=float)
    pairs = pairs_within(cells.lat, cells.lon, outlet_lat, outlet_lon, model.reach_km / model.detour_factor)
    utility = attraction[pairs.target] * model.road_km(pairs.km) ** -model.exponent
    probability = _probabilities(pairs.origin, utility, len(cells.h3))
    demand = np.bincount(pairs.target, weights=cells.capacity[pairs.origin] * probability, minlength=len(attraction))
    reached = np.zeros(len(cells.h3), dtype=bool)
    reached[pairs.origin] = True
    return TradeAreas(pairs, probability, demand, float(cells.capacity[~reached].sum()))


@dataclass(frozen=True)
class DecayFit:
    exponent: float  # λ of the best fit
    log_likelihood: float
    published_log_likelihood: float  # at PUBLISHED_EXPONENT
    flat_log_likelihood: float  # λ = 0: distance does not matter
    choices: int  # buyers whose outlet was within reach: the fit's data
    beyond_reach: int  # buyers left out

    @property
    def pseudo_r2(self) -> float:
        """McFadden's ρ² against the model where distance does not matter."""
        return 1 - self.log_likelihood / self.flat_log_likelihood if self.flat_log_likelihood else 0.0


def fit_decay(
    buyer_lat, buyer_lon, chosen, outlet_lat, outlet_lon, attraction, model: HuffModel = DEFAULT_HUFF
) -> DecayFit:
    """The exponent λ that makes the outlets buyers chose most likely (maximum likelihood of
    Huff's choice probabilities among the outlets within reach). A buyer who bought beyond
    reach is left out and counted: adding their far outlet to their choices alone would make
    distance look as if it hardly mattered."""
    attraction = np.asarray(attraction, dtype=float)
    chosen = np.asarray(chosen, dtype=np.int64)
    pairs = pairs_within(buyer_lat, buyer_lon, outlet_lat, outlet_lon, model.reach_km / model.detour_factor)
    picked = pairs.target == chosen[pairs.origin]
    within = np.zeros(len(chosen), dtype=bool)
    within[pairs.origin[picked]] = True
    keep = within[pairs.origin]
    # Buyers renumbered 0..n−1 over those kept.
    buyer = (np.cumsum(within) - 1)[pairs.origin[keep]]
    buyers, outlet, km, picked = int(within.sum()), pairs.target[keep], pairs.km[keep], picked[keep]
    log_distance = np.log(model.road_km(km))
    log_attraction = np.log(attraction[outlet])

    def log_likelihood(exponent: float) -> float:
        log_utility = log_attraction - exponent * log_distance
        # log Σ_k exp(log u_k) per buyer, shifted by the buyer's largest term for stability.
        top = np.full(buyers, -np.inf)
        np.maximum.at(top, buyer, log_utility)
        total = np.bincount(buyer, weights=np.exp(log_utility - top[buyer]), minlength=buyers)
        return float(log_utility[picked].sum() - (np.log(total) + top).sum())

    best = minimize_scalar(lambda e: -log_likelihood(e), bounds=(0.0, 6.0), method="bounded", options={"xatol": 1e-4})
    return DecayFit(
        exponent=float(best.x),
        log_likelihood=-float(best.fun),
        published_log_likelihood=log_likelihood(PUBLISHED_EXPONENT),
        flat_log_likelihood=log_likelihood(0.0),
        choices=buyers,
        beyond_reach=len(chosen) - buyers,
    )


@dataclass(frozen=True)
class Overlap:
    first: int
    second: int
    first_share: float  # of the first outlet's demand, the part in cells both capture strongly
    second_share: float
    shared_units: float  # both outlets' demand in those cells


def overlaps(areas: TradeAreas, cells: Cells, *, strong: float = 0.2, threshold: float = 0.3) -> list[Overlap]:
    """Pairs of outlets that both capture at least ``strong`` of the same cells, where those
    cells hold at least ``threshold`` of either one's demand; the largest shared demand first."""
    pairs, probability = areas.pairs, areas.probability
    keep = probability >= strong
    cell, outlet, units = pairs.origin[keep], pairs.target[keep], (cells.capacity[pairs.origin] * probability)[keep]
    order = np.lexsort((outlet, cell))  # by cell, then outlet: a pair's first outlet has the lower index
    cell, outlet, units = cell[order], outlet[order], units[order]
    # Every two strong captures of one cell, as (i, i + offset) within the cell's run: a cell
    # holds at most 1 ÷ strong of them, so few offsets, each one array operation.
    first, second = [], []
    for offset in range(1, int(1 / strong) + 1):
        same = np.flatnonzero(cell[offset:] == cell[:-offset])
        first.append(same)
        second.append(same + offset)
    first, second = np.concatenate(first), np.concatenate(second)
    count = len(areas.demand)
    key, position = np.unique(outlet[first] * count + outlet[second], return_inverse=True)
    first_units = np.bincount(position, weights=units[first], minlength=len(key))
    second_units = np.bincount(position, weights=units[second], minlength=len(key))
    found = []
    for pair, a_units, b_units in zip(key, first_units, second_units, strict=True):
        a, b = divmod(int(pair), count)
        a_share = a_units / areas.demand[a] if areas.demand[a] else 0.0
        b_share = b_units / areas.demand[b] if areas.demand[b] else 0.0
        if max(a_share, b_share) >= threshold:
            found.append(Overlap(a, b, float(a_share), float(b_share), float(a_units + b_units)))
    return sorted(found, key=lambda o: -o.shared_units)


@dataclass(frozen=True)
class WhiteSpot:
    cells: list[str]  # H3 indexes of adjacent cells beyond every outlet's drive
    capacity: float
    lat: float  # the capacity-weighted centre
    lon: float


def white_spots(
    cells: Cells, outlet_lat, outlet_lon, *, drive_km: float, model: HuffModel = DEFAULT_HUFF
) -> list[WhiteSpot]:
    """Cells with capacity that no outlet reaches within ``drive_km`` of road, grouped into
    areas of adjacent cells; the largest capacity first."""
    near = pairs_within(cells.lat, cells.lon, outlet_lat, outlet_lon, drive_km / model.detour_factor)
    served = np.zeros(len(cells.h3), dtype=bool)
    served[near.origin] = True
    open_cells = np.flatnonzero(~served & (cells.capacity > 0))
    position = {cells.h3[i]: n for n, i in enumerate(open_cells)}
    rows, cols = [], []
    for n, i in enumerate(open_cells):
        for neighbour in h3.grid_disk(cells.h3[i], 1):
            if neighbour in position:
                rows.append(n)
                cols.append(position[neighbour])
    adjacency = coo_matrix((np.ones(len(rows)), (rows, cols)), shape=(len(open_cells), len(open_cells)))
    _count, label = connected_components(adjacency, directed=False)
    spots = []
    for group in np.unique(label):
        members = open_cells[label == group]
        capacity = cells.capacity[members]
        spots.append(
            WhiteSpot(
                cells=[cells.h3[i] for i in members],
                capacity=float(capacity.sum()),
                lat=float(np.average(cells.lat[members], weights=capacity)),
                lon=float(np.average(cells.lon[members], weights=capacity)),
            )
        )
    return sorted(spots, key=lambda spot: -spot.capacity)
