"""What-if on the Huff model: outlets closed, added or moved, and how each outlet's demand
changes. Only the cells within reach of a changed outlet can change, so the model runs on
those cells alone, before and after: the national network's answer takes a fraction of a
second, and an outlet's change is exactly its demand after minus before on them.

A closed outlet's demand goes to its neighbours in proportion to their utilities in each of
its cells, or becomes uncovered where it was the only outlet within reach: what it had is
the sum of what its neighbours gain and what nobody now serves. An added outlet takes from
the outlets already there (cannibalisation) and from uncovered demand.

Our own units follow the demand as customers do: in each cell, the units an outlet loses
(its capture of the share it loses; all of a closed outlet's) go to the outlets that gain
share there, in proportion to their gains, and are lost only where no outlet is left; a cell
no outlet reached before is won at each new outlet's capture. So moving demand between our
outlets keeps our units, whatever their capture rates."""

from dataclasses import dataclass

import numpy as np
from scipy.sparse import coo_matrix, diags

from channels.planning.geometry import Cells, pairs_within
from channels.planning.huff import HuffModel, trade_areas


@dataclass(frozen=True)
class Addition:
    lat: float
    lon: float
    attraction: float


@dataclass(frozen=True)
class Redistribution:
    """Per existing outlet (in the outlets' order) and per addition (in the additions' order):
    the change of trade-area demand and of our units, a year, on the affected cells."""

    demand_change: np.ndarray
    units_change: np.ndarray
    added_demand: np.ndarray
    added_units: np.ndarray
    uncovered_before: float
    uncovered_after: float
    cells: int  # affected cells


def redistribute(
    cells: Cells,
    outlet_lat: np.ndarray,
    outlet_lon: np.ndarray,
    attraction: np.ndarray,
    capture: np.ndarray,
    *,
    closed: list[int],
    added: list[Addition],
    added_capture: float,
    model: HuffModel,
) -> Redistribution:
    """``closed``: positions of outlets that close (a moved outlet is closed and added);
    ``capture``: each outlet's units per unit of demand, ``added_capture`` a new outlet's."""
    outlet_lat, outlet_lon = np.asarray(outlet_lat, dtype=float), np.asarray(outlet_lon, dtype=float)
    attraction, capture = np.asarray(attraction, dtype=float), np.asarray(capture, dtype=float)
    count, new = len(attraction), len(added)
    changed_lat = np.concatenate((outlet_lat[closed], [a.lat for a in added]))
    changed_lon = np.concatenate((outlet_lon[closed], [a.lon for a in added]))
    near = pairs_within(cells.lat, cells.lon, changed_lat, changed_lon, model.reach_km / model.detour_factor)
    affected = np.unique(near.origin)
    local = Cells(
        h3=[cells.h3[i] for i in affected],
        lat=cells.lat[affected],
        lon=cells.lon[affected],
        capacity=cells.capacity[affected],
    )
    before = trade_areas(local, outlet_lat, outlet_lon, attraction, model)
    kept = np.setdiff1d(np.arange(count), closed)
    after = trade_areas(
        local,
        np.concatenate((outlet_lat[kept], [a.lat for a in added])),
        np.concatenate((outlet_lon[kept], [a.lon for a in added])),
        np.concatenate((attraction[kept], [a.attraction for a in added])),
        model,
    )
    # Both sides on one outlet numbering: existing 0..count−1, additions count.. .
    renumber = np.concatenate((kept, count + np.arange(new)))
    shape = (len(affected), count + new)
    share_before = coo_matrix((before.probability, (before.pairs.origin, before.pairs.target)), shape=shape).tocsr()
    share_after = coo_matrix(
        (after.probability, (after.pairs.origin, renumber[after.pairs.target])), shape=shape
    ).tocsr()
    rate = np.concatenate((capture, np.full(new, added_capture)))
    demand = diags(local.capacity)
    change = (share_after - share_before).tocsr()
    lost = -change.minimum(0)  # share lost, by cell and outlet (all of a closed outlet's)
    gained = change.maximum(0)
    released = np.asarray((demand @ lost @ diags(rate)).sum(axis=1)).ravel()  # units a cell's losers let go
    gains = np.asarray(gained.sum(axis=1)).ravel()
    reached_before = np.asarray(share_before.sum(axis=1)).ravel() > 0
    # A cell reached before: its released units go to its gainers by their gains; a cell
    # reached only now: each outlet wins its share of the demand at its own capture.
    per_gain = np.divide(released, gains, out=np.zeros_like(released), where=gains > 0)
    won = diags(np.where(reached_before, per_gain, 0.0)) @ gained
    won += diags(np.where(reached_before, 0.0, local.capacity)) @ share_after @ diags(rate)
    units = np.asarray(won.sum(axis=0)).ravel() - np.asarray((demand @ lost @ diags(rate)).sum(axis=0)).ravel()
    demand_change = np.asarray((demand @ change).sum(axis=0)).ravel()
    return Redistribution(
        demand_change=demand_change[:count],
        units_change=units[:count],
        added_demand=demand_change[count:],
        added_units=units[count:],
        uncovered_before=before.uncovered,
        uncovered_after=after.uncovered,
        cells=len(affected),
    )
