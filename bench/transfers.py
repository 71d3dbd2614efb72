"""The transfer plan's solver for one model across a synthetic national network.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench python bench/transfers.py [--dealers 3000]

``--dealers`` dealers are placed at random over eastern and central China (longitudes 100–122° E,
latitudes 22–42° N); a third have a surplus of the model (1–8 units offered), a third a
shortage (1–5 units needed). Nothing is read from or written to the database: the figure is
``inventory.transfers.planning.plan_lines`` — the arcs within the delivery-time limit (k-d
tree), the exact max-flow min-cost plan (OR-Tools) and the greedy nearest-surplus plan —
which is what a plan adds to the one statement reading the dealers' positions.

Times: ``transfer_plan`` (no floor), with both plans' units and costs beside it.
"""

import argparse
from decimal import Decimal

import numpy as np
from common import result_line, setup_django, timed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dealers", type=int, default=3000)
    parser.add_argument("--max-hours", type=float, default=12.0)
    parser.add_argument("--seed", type=int, default=15)
    args = parser.parse_args()
    setup_django()
    from inventory.transfers.planning import plan_lines

    rng = np.random.default_rng(args.seed)
    lat, lon = rng.uniform(22, 42, args.dealers), rng.uniform(100, 122, args.dealers)
    kind = rng.integers(0, 3, args.dealers)  # 0 surplus, 1 shortage, 2 neither
    surplus = [(i, lat[i], lon[i], int(rng.integers(1, 9)), None) for i in np.nonzero(kind == 0)[0]]
    days = rng.integers(0, 15, args.dealers)  # the shortage dealers' days supply: greedy serves the lowest first
    shortage = [(i, lat[i], lon[i], int(rng.integers(1, 6)), Decimal(int(days[i]))) for i in np.nonzero(kind == 1)[0]]
    with timed() as run:
        exact, greedy, arcs = plan_lines(
            surplus, shortage, max_hours=args.max_hours, cost_per_km=Decimal("8.00"), handling_cost=Decimal("300.00")
        )
    units, cost = sum(line.units for line in exact), sum(line.cost for line in exact)
    greedy_units, greedy_cost = sum(line.units for line in greedy), sum(line.cost for line in greedy)
    print(
        result_line(
            "transfer_plan",
            run["seconds"],
            dealers=args.dealers,
            arcs=arcs,
            units=units,
            cost=cost,
            greedy_units=greedy_units,
            greedy_cost=greedy_cost,
        )
    )


if __name__ == "__main__":
    main()
