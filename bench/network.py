"""Channel-network planning on the national-scale dataset.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench python bench/generate.py --scale S
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench python bench/network.py

Times, on the latest year of the city market table and the last 12 months of sales:

- ``network_trade_areas``: every active outlet's Huff trade area on the demand cells (the
  year's city capacities spread over H3 cells), the overlapping pairs and the white spots
  (channels.planning), against the floor: the same inputs read by one SQL query each, the
  pairs within reach and one Huff pass of probabilities and demand, with nothing else;
- ``network_decay_fit``: the distance exponent fitted to a sample of the last 12 months'
  buyers (channels.planning.selectors.decay_fit), against the floor: reading the same sample
  (``sampled_buyers``);
- ``network_plan``: the nightly job end to end (channels.planning.services.network_plan: the
  fit, the trade areas, overlaps and white spots, the covering model's new sites, the other
  recommendations, every row stored), against the floor: the two floors above together;
- ``network_what_if``: a what-if closing the outlet with the largest trade area, computed and
  stored (channels.planning.scenarios.scenario_create), against the floor: the run's cells
  read and one Huff pass on the cells within reach of the closed outlet. The closed outlet's
  demand must go wholly to its neighbours and the uncovered part: the shares sum to 100 %.

The demand the trade areas share out plus the capacity no outlet reaches must equal the
year's capacity as the market table stores it: the script checks it.
"""

import argparse
from datetime import timedelta

import numpy as np
from common import result_line, setup_django, timed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--drive-km", type=float, default=60.0, help="white spots: no outlet within this road distance")
    parser.add_argument("--sample", type=int, default=20_000, help="buyers the decay is fitted to")
    options = parser.parse_args()
    setup_django()

    from django.db import connection
    from django.db.models import Count, Sum

    from channels.models import CityMarket, RunCells, TradeArea
    from channels.planning.geometry import Cells, cells_from_bytes, pairs_within, spread_over_cells
    from channels.planning.huff import DEFAULT_HUFF, overlaps, trade_areas, white_spots
    from channels.planning.scenarios import ChangeInput, scenario_create
    from channels.planning.selectors import active_outlets, decay_fit, demand_cells, sampled_buyers
    from channels.planning.services import network_plan
    from dealerops.models import User
    from inventory.models import Sale

    year = CityMarket.objects.order_by("-year").values_list("year", flat=True).first()
    if year is None:
        raise SystemExit("no city markets: generate the network first (bench/generate.py)")
    model = DEFAULT_HUFF

    with timed() as full:
        cells = demand_cells(year)
        outlets = active_outlets()
        areas = trade_areas(cells, outlets.lat, outlets.lon, outlets.attraction, model)
        pairs = overlaps(areas, cells)
        spots = white_spots(cells, outlets.lat, outlets.lon, drive_km=options.drive_km, model=model)
    expected = CityMarket.objects.filter(year=year).aggregate(total=Sum("capacity_units"))["total"]
    shared = areas.demand.sum() + areas.uncovered
    assert abs(shared - expected) < 1e-6 * max(expected, 1), f"demand {shared} does not tie to capacity {expected}"

    with timed() as floor:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT latitude, longitude, capacity_units FROM channels_citymarket WHERE year = %s",
                [year],
            )
            markets = cursor.fetchall()
            cursor.execute(
                "SELECT latitude, longitude, greatest(sales_headcount, 1) FROM channels_dealer WHERE status = 'active'"
            )
            dealers = np.array(cursor.fetchall(), dtype=float).reshape(-1, 3)
        floor_cells = spread_over_cells(
            [float(row[0]) for row in markets], [float(row[1]) for row in markets], [float(row[2]) for row in markets]
        )
        near = pairs_within(
            floor_cells.lat, floor_cells.lon, dealers[:, 0], dealers[:, 1], model.reach_km / model.detour_factor
        )
        utility = dealers[near.target, 2] * model.road_km(near.km) ** -model.exponent
        total = np.bincount(near.origin, weights=utility, minlength=len(floor_cells.h3))
        np.bincount(near.target, weights=floor_cells.capacity[near.origin] * utility / total[near.origin])
    print(
        result_line(
            "network_trade_areas",
            full["seconds"],
            floor["seconds"],
            outlets=len(outlets.ids),
            cells=len(cells.h3),
            pairs=len(areas.pairs.origin),
            overlaps=len(pairs),
            white_spots=len(spots),
            capacity=round(expected),
            uncovered=round(areas.uncovered),
        )
    )

    last = Sale.objects.order_by("-sold_on").values_list("sold_on", flat=True).first()
    first = last - timedelta(days=364)
    with timed() as fit_run:
        fit = decay_fit(first, last, model, sample=options.sample)
    with timed() as fit_floor:
        sample = sampled_buyers(first, last, options.sample)
        list(sample.values_list("customer__latitude", "customer__longitude", "dealer_id"))
    print(
        result_line(
            "network_decay_fit",
            fit_run["seconds"],
            fit_floor["seconds"],
            buyers=fit.choices if fit else 0,
            beyond_reach=fit.beyond_reach if fit else 0,
            exponent=f"{fit.exponent:.3f}" if fit else "",
            pseudo_r2=f"{fit.pseudo_r2:.3f}" if fit else "",
        )
    )

    with timed() as plan:
        run = network_plan(as_of=last)
    kinds = dict(run.recommendations.values_list("kind").annotate(n=Count("pk")).values_list("kind", "n"))
    print(
        result_line(
            "network_plan",
            plan["seconds"],
            floor["seconds"] + fit_floor["seconds"],
            outlets=run.outlets,
            rows=run.job_run.rows,
            overlaps=run.overlaps.count(),
            white_spots=run.white_spots.count(),
            white_spot_units=run.white_spot_units,
            **{f"recommend_{kind}": count for kind, count in sorted(kinds.items())},
        )
    )

    largest = TradeArea.objects.filter(run=run).select_related("dealer").order_by("-demand_units").first()
    user = User.objects.filter(is_superuser=True).first() or User.objects.first()
    with timed() as what_if:
        scenario = scenario_create(
            user=user,
            run=run,
            name=f"bench: close {largest.dealer.code} (run {run.pk})",
            note="bench/network.py",
            changes=[ChangeInput(kind="close", dealer=largest.dealer)],
        )
    shares = sum(effect.share_of_closed for effect in scenario.effects.all()) + scenario.uncovered_share
    assert shares == 1, f"the closure's shares sum to {shares}"
    with timed() as what_if_floor:
        cells = cells_from_bytes(RunCells.objects.get(run=run).data)
        lat, lon = float(largest.dealer.latitude), float(largest.dealer.longitude)
        near = pairs_within(cells.lat, cells.lon, [lat], [lon], model.reach_km / model.detour_factor)
        local = np.unique(near.origin)
        trade_areas(
            Cells([cells.h3[i] for i in local], cells.lat[local], cells.lon[local], cells.capacity[local]),
            outlets.lat, outlets.lon, outlets.attraction, model,
        )  # fmt: skip
    print(
        result_line(
            "network_what_if",
            what_if["seconds"],
            what_if_floor["seconds"],
            cells=scenario.cells,
            outlets_affected=scenario.effects.count(),
            closed_units=largest.demand_units,
            shares=f"{shares:.4f}",
        )
    )


if __name__ == "__main__":
    main()
