"""The planning maths on hand-built maps, with the expected numbers written out."""

from decimal import Decimal
from types import SimpleNamespace

import h3
import numpy as np
import pytest

from channels.planning.capacity import CapacityModel, market_capacity, penetration
from channels.planning.covering import maximal_covering
from channels.planning.geometry import CORE_ONLY, Cells, Pairs, haversine_km, pairs_within, spread_over_cells
from channels.planning.huff import HuffModel, fit_decay, overlaps, trade_areas, white_spots


def market(**values) -> SimpleNamespace:
    defaults = {
        "households": 1_000_000,
        "disposable_income": Decimal("41314"),
        "vehicles_per_1000": Decimal("250"),
        "nev_share": Decimal("0.4000"),
    }
    return SimpleNamespace(**{**defaults, **values})


def test_a_city_at_the_national_reference_buys_the_base_rate():
    capacity = market_capacity(market())
    assert capacity.purchase_rate == Decimal("0.046000")
    assert (capacity.units, capacity.nev_units, capacity.ice_units) == (46_000, 18_400, 27_600)


def test_capacity_rises_with_income_and_falls_with_ownership():
    linear = CapacityModel(income_elasticity=Decimal("1"))
    # Twice the reference income, half the headroom to saturation ((600 − 425) ÷ (600 − 250)).
    richer_fuller = market_capacity(
        market(disposable_income=Decimal("82628"), vehicles_per_1000=Decimal("425")), linear
    )
    assert richer_fuller.purchase_rate == Decimal("0.046000") and richer_fuller.units == 46_000
    richer = market_capacity(market(disposable_income=Decimal("82628"), nev_share=Decimal("0.3333")), linear)
    assert richer.purchase_rate == Decimal("0.092000")
    # 92,000 × 0.3333 = 30,663.6 new-energy cars, rounded.
    assert (richer.units, richer.nev_units, richer.ice_units) == (92_000, 30_664, 61_336)
    # The default elasticity of 0.8: 0.046 × 2^0.8 = 0.046 × 1.7411011 = 0.0800907.
    assert CapacityModel().purchase_rate(Decimal("82628"), Decimal("250")) == Decimal("0.080091")
    # An elasticity of ½: four times the income buys twice as much.
    damped = CapacityModel(income_elasticity=Decimal("0.5"))
    assert damped.purchase_rate(Decimal("165256"), Decimal("250")) == Decimal("0.092000")


def test_a_saturated_or_incomeless_city_has_no_capacity_and_no_penetration():
    assert market_capacity(market(vehicles_per_1000=Decimal("600"))).units == 0
    assert market_capacity(market(vehicles_per_1000=Decimal("720"))).units == 0
    assert market_capacity(market(disposable_income=Decimal("0"))).units == 0
    assert penetration(920, 46_000) == Decimal("0.0200")
    assert penetration(1, 3) == Decimal("0.3333")
    assert penetration(5, 0) is None


def test_pairs_within_reach_are_exactly_those_a_comparison_of_all_pairs_finds():
    rng = np.random.default_rng(7)
    origins = rng.uniform([28, 102], [32, 108], size=(300, 2))
    targets = rng.uniform([28, 102], [32, 108], size=(40, 2))
    targets[0] = origins[0]  # a target on an origin: distance zero is within reach
    found = pairs_within(origins[:, 0], origins[:, 1], targets[:, 0], targets[:, 1], 60.0)
    every = haversine_km(origins[:, None, 0], origins[:, None, 1], targets[None, :, 0], targets[None, :, 1])
    expected = {(int(i), int(j)) for i, j in zip(*np.nonzero(every <= 60.0), strict=True)}
    assert set(zip(found.origin.tolist(), found.target.tolist(), strict=True)) == expected
    assert (0, 0) in expected
    assert np.allclose(found.km, every[found.origin, found.target])


def test_a_citys_capacity_spreads_over_its_cells_and_neighbours_add_up():
    chengdu = (30.6598, 104.0633)
    alone = spread_over_cells([chengdu[0]], [chengdu[1]], [12_000.0], CORE_ONLY)
    assert alone.capacity.sum() == pytest.approx(12_000.0)
    centre = h3.latlng_to_cell(*chengdu, 7)
    assert alone.h3[int(np.argmax(alone.capacity))] == centre
    assert max(haversine_km(chengdu[0], chengdu[1], alone.lat, alone.lon)) <= 18.0 + 2.5  # within a cell of 18 km
    # A second city 10 km east shares cells: the total is still both capacities.
    both = spread_over_cells([chengdu[0], chengdu[0]], [chengdu[1], chengdu[1] + 0.104], [12_000.0, 3_000.0], CORE_ONLY)
    assert both.capacity.sum() == pytest.approx(15_000.0)
    assert len(both.h3) < 2 * len(alone.h3)


def test_a_fifth_of_a_citys_capacity_lies_in_its_counties_out_to_60_km():
    chengdu = (30.6598, 104.0633)
    cells = spread_over_cells([chengdu[0]], [chengdu[1]], [12_000.0])
    km = haversine_km(chengdu[0], chengdu[1], cells.lat, cells.lon)
    assert cells.capacity.sum() == pytest.approx(12_000.0)
    assert 55.0 < km.max() <= 60.0 + 2.5
    # The core's 80 % lies within 18 km, plus the hinterland's own share of that disc.
    hinterland_inside = cells.capacity[(km <= 18.0) & (km > 0)].sum() - 0.8 * 12_000.0
    assert 0 < hinterland_inside < 0.2 * 12_000.0 * 0.5
    assert cells.capacity[km > 18.5].sum() == pytest.approx(0.2 * 12_000.0 - hinterland_inside, rel=0.05)


def on_the_equator(*longitudes: float, capacity: list[float]) -> Cells:
    return Cells(
        h3=[f"cell{n}" for n in range(len(longitudes))],
        lat=np.zeros(len(longitudes)),
        lon=np.array(longitudes, dtype=float),
        capacity=np.array(capacity, dtype=float),
    )


# Two outlets on the equator, A at 0.1° and B (twice as attractive) at 0.2°; cells at 0°, 0.3°
# and 10° (beyond reach). λ = 2, no detour: from cell 0, B is twice as far, so
# u_A : u_B = 1 : 2 ÷ 4 and P_A = 2/3; from cell 1, A is twice as far: 1 ÷ 4 : 2, P_A = 1/9.
HAND_MODEL = HuffModel(exponent=2.0, detour_factor=1.0, reach_km=150.0, min_km=0.5)


def hand_map():
    cells = on_the_equator(0.0, 0.3, 10.0, capacity=[900, 900, 50])
    areas = trade_areas(cells, [0.0, 0.0], [0.1, 0.2], [1.0, 2.0], HAND_MODEL)
    return cells, areas


def test_huff_shares_and_demand_on_a_hand_built_map():
    cells, areas = hand_map()
    shares = {
        (int(c), int(o)): p for c, o, p in zip(areas.pairs.origin, areas.pairs.target, areas.probability, strict=True)
    }
    assert shares == pytest.approx({(0, 0): 2 / 3, (0, 1): 1 / 3, (1, 0): 1 / 9, (1, 1): 8 / 9})
    assert areas.demand == pytest.approx([600 + 100, 300 + 800])
    assert areas.uncovered == 50
    assert areas.demand.sum() + areas.uncovered == pytest.approx(cells.capacity.sum())


def test_overlap_counts_only_the_cells_both_capture_strongly():
    cells, areas = hand_map()
    # Cell 0 is shared (2/3 and 1/3 ≥ 0.2); in cell 1 A's 1/9 is not a strong capture.
    (pair,) = overlaps(areas, cells, strong=0.2, threshold=0.3)
    assert (pair.first, pair.second) == (0, 1)
    assert pair.first_share == pytest.approx(600 / 700)
    assert pair.second_share == pytest.approx(300 / 1100)
    assert pair.shared_units == pytest.approx(900)
    assert overlaps(areas, cells, strong=0.2, threshold=0.9) == []
    assert overlaps(areas, cells, strong=0.7) == []  # no cell is captured that strongly by both


def test_white_spots_group_adjacent_unserved_cells_by_capacity():
    served = h3.latlng_to_cell(30.66, 104.06, 7)
    patch = list(h3.grid_disk(h3.latlng_to_cell(31.50, 105.50, 7), 1))  # 7 adjacent cells, ~120 km away
    lone = h3.latlng_to_cell(29.00, 106.50, 7)  # another ~250 km away
    empty = h3.latlng_to_cell(32.50, 103.00, 7)  # beyond reach, but nobody lives there
    names = [served, *patch, lone, empty]
    centres = np.array([h3.cell_to_latlng(cell) for cell in names])
    cells = Cells(names, centres[:, 0], centres[:, 1], np.array([500.0] + [10.0] * 7 + [5.0, 0.0]))
    outlet = h3.cell_to_latlng(served)
    spots = white_spots(cells, [outlet[0]], [outlet[1]], drive_km=60.0, model=HuffModel(detour_factor=1.3))
    assert [(sorted(spot.cells), spot.capacity) for spot in spots] == [(sorted(patch), 70.0), ([lone], 5.0)]
    centre = h3.cell_to_latlng(patch[0])  # grid_disk lists the centre first
    assert (spots[0].lat, spots[0].lon) == pytest.approx(centre, abs=0.01)
    assert white_spots(cells, [outlet[0]], [outlet[1]], drive_km=2000.0) == []


@pytest.mark.parametrize("exponent", [0.8, 2.2])
def test_the_fitted_decay_recovers_the_exponent_that_made_the_choices(exponent):
    rng = np.random.default_rng(2026)
    outlets = rng.uniform([29.5, 103.0], [31.5, 105.5], size=(25, 2))
    attraction = rng.uniform(0.5, 3.0, size=25)
    buyers = rng.uniform([29.5, 103.0], [31.5, 105.5], size=(6000, 2))
    model = HuffModel(exponent=exponent, detour_factor=1.3, reach_km=400.0)
    cells = Cells([str(n) for n in range(len(buyers))], buyers[:, 0], buyers[:, 1], np.ones(len(buyers)))
    areas = trade_areas(cells, outlets[:, 0], outlets[:, 1], attraction, model)
    # Every buyer draws an outlet from their Huff probabilities at the exponent.
    chosen = np.empty(len(buyers), dtype=np.int64)
    for buyer in range(len(buyers)):
        mine = areas.pairs.origin == buyer
        chosen[buyer] = rng.choice(areas.pairs.target[mine], p=areas.probability[mine])
    fit = fit_decay(buyers[:, 0], buyers[:, 1], chosen, outlets[:, 0], outlets[:, 1], attraction, model)
    assert fit.exponent == pytest.approx(exponent, abs=0.12)
    assert (fit.choices, fit.beyond_reach) == (6000, 0)
    assert fit.log_likelihood >= fit.published_log_likelihood > fit.flat_log_likelihood
    assert 0 < fit.pseudo_r2 < 1
    # Fitted within a shorter reach, buyers who went further are left out, and the exponent
    # is still found (the choice among the outlets within reach has the same decay).
    near = fit_decay(
        buyers[:, 0], buyers[:, 1], chosen, outlets[:, 0], outlets[:, 1], attraction, HuffModel(reach_km=60)
    )
    assert near.beyond_reach > 1000 and near.choices + near.beyond_reach == 6000
    assert near.exponent == pytest.approx(exponent, abs=0.2)


def test_the_covering_model_picks_the_sites_a_hand_calculation_picks():
    # Four cells in a row, A 4, B 5, C 5, D 4 cars; the left site covers A and B (9), the middle
    # B and C (10), the right C and D (9). One site: the middle (10). Two sites: left and right
    # (18), where a greedy pick would take the middle first and reach only 14.
    weights = np.array([4.0, 5.0, 5.0, 4.0])
    covers = Pairs(origin=np.array([0, 1, 1, 2, 2, 3]), target=np.array([0, 0, 1, 1, 2, 2]), km=np.zeros(6))
    one = maximal_covering(weights, covers, candidates=3, sites=1)
    assert (one.sites, one.total_units, one.optimal) == ([1], 10.0, True)
    two = maximal_covering(weights, covers, candidates=3, sites=2)
    assert (sorted(two.sites), two.total_units) == ([0, 2], 18.0)
    assert sorted(two.covered_units) == [9.0, 9.0]
    # A budget larger than the sites that add anything: only those are proposed.
    assert maximal_covering(weights, covers, candidates=3, sites=3).total_units == 18.0
    assert maximal_covering(weights, covers, candidates=3, sites=0).sites == []
