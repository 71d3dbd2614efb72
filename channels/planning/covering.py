"""Where to add outlets: the maximal covering location problem (Church & ReVelle, 1974), solved
exactly as a mixed-integer programme by HiGHS (``scipy.optimize.milp``), not by a greedy pick.

    maximise   Σ_i w_i · y_i                 (demand covered)
    subject to y_i ≤ Σ_{j covers i} x_j       (a cell counts only if a chosen site covers it)
               Σ_j x_j ≤ p                    (at most p new sites)
               x_j ∈ {0, 1},  0 ≤ y_i ≤ 1

y may stay continuous: for binary x the optimum sets each y_i to 1 exactly when a chosen site
covers cell i, so the programme branches on the sites only."""

from dataclasses import dataclass

import numpy as np
from scipy.optimize import Bounds, LinearConstraint, milp
from scipy.sparse import coo_matrix, hstack, identity, vstack

from channels.planning.geometry import Pairs


@dataclass(frozen=True)
class Covering:
    sites: list[int]  # the chosen candidates, the most covered demand first
    covered_units: list[float]  # per chosen site: the demand it covers that no earlier site does
    total_units: float
    optimal: bool  # False when the solver stopped at its time limit with the best found so far


def maximal_covering(weights: np.ndarray, covers: Pairs, candidates: int, sites: int, *, time_limit: float = 30.0):
    """The ``sites`` candidates covering the most of ``weights`` (one per demand cell), where
    ``covers`` pairs each cell (origin) with the candidates (target) within the covering
    distance. Fewer sites are chosen when fewer add anything."""
    weights = np.asarray(weights, dtype=float)
    cells = len(weights)
    if sites <= 0 or cells == 0 or candidates == 0 or len(covers.origin) == 0:
        return Covering([], [], 0.0, True)
    # Variables: x_0..x_{m-1} (sites) then y_0..y_{n-1} (cells); milp minimises, so −w.
    cost = np.concatenate((np.zeros(candidates), -weights))
    reach = coo_matrix((-np.ones(len(covers.origin)), (covers.origin, covers.target)), shape=(cells, candidates))
    cover_rows = hstack((reach, identity(cells, format="coo")))  # y_i − Σ x_j ≤ 0
    budget = hstack((coo_matrix(np.ones((1, candidates))), coo_matrix((1, cells))))
    constraints = LinearConstraint(
        vstack((cover_rows, budget)).tocsr(),
        lb=np.full(cells + 1, -np.inf),
        ub=np.concatenate((np.zeros(cells), [min(sites, candidates)])),
    )
    result = milp(
        cost,
        constraints=constraints,
        integrality=np.concatenate((np.ones(candidates), np.zeros(cells))),
        bounds=Bounds(0, 1),
        options={"time_limit": time_limit},
    )
    if result.x is None:
        raise RuntimeError(f"the covering model found no solution: {result.message}")
    chosen = np.flatnonzero(result.x[:candidates] > 0.5)
    return _ordered(chosen, weights, covers, optimal=result.status == 0)


def _ordered(chosen: np.ndarray, weights: np.ndarray, covers: Pairs, *, optimal: bool) -> Covering:
    """The chosen sites by the demand each adds to those before it (a site adding nothing is
    dropped: the budget is an upper limit)."""
    covered = np.zeros(len(weights), dtype=bool)
    remaining = [int(site) for site in chosen]
    sites, units = [], []
    while remaining:
        gains = []
        for site in remaining:
            cells = covers.origin[covers.target == site]
            gains.append(float(weights[cells[~covered[cells]]].sum()))
        best = int(np.argmax(gains))
        if gains[best] <= 0:
            break
        site = remaining.pop(best)
        covered[covers.origin[covers.target == site]] = True
        sites.append(site)
        units.append(gains[best])
    return Covering(sites, units, float(sum(units)), optimal)
