"""The transfer plan of one model: move units from dealers with surplus to dealers short of
it at the least total cost (road distance × cost per km + a handling cost per unit), within a
delivery-time limit, solved exactly as a min-cost flow (OR-Tools), with the greedy
nearest-surplus plan computed in the same call for comparison.

- **surplus dealer**: days supply (``inventory.stock_metrics``) above ``surplus_days``, or units
  in stock with no sale in the supply window; it offers the units beyond ``target_days`` of
  supply (target units = ⌈target days × daily sales⌉).
- **shortage dealer**: sales in the supply window and days supply below ``shortage_days``; it
  needs units up to the target, less what is already on its way (in transit, or proposed and
  confirmed transfers to it).
- Units in a proposed or confirmed transfer are neither offered nor counted as stock.
- **road km** = great-circle km × ``DETOUR``, rounded to 0.1 km; an arc exists when road km ÷
  ``TRUCK_KMH`` ≤ ``max_hours``. A line's cost is road km × cost per km + handling, to the fen;
  the solver works in fen, so its optimum is exactly the stored lines' sum.
- The exact plan moves the most units that can be moved and, among such plans, costs least.
  The greedy plan serves the shortest dealers first (lowest days supply), each from its nearest
  surplus with units left; the saving is greedy cost − exact cost when both move as many units.
"""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import numpy as np
from django.db import connection, transaction
from django.utils import timezone
from ortools.graph.python import min_cost_flow

from channels.planning.geometry import pairs_within
from dealerops.models import User
from dealerops.money import to_fen
from inventory.models import StockStatus, StockUnit, VehicleModel
from inventory.stock_metrics import SUPPLY_DAYS, days_supply_sql, period_params
from inventory.transfers.models import OPEN_STATUSES, Transfer, TransferPlan

DETOUR = 1.3  # road km per great-circle km
TRUCK_KMH = 60.0
SURPLUS_DAYS = 60
TARGET_DAYS = 45
SHORTAGE_DAYS = 15

# Per dealer of the model: units free to move, on their way, window sales, and days supply.
POSITIONS_SQL = f"""
WITH stock AS (
  SELECT u.dealer_id,
    count(*) FILTER (WHERE u.status = 'in_stock' AND t.id IS NULL) AS free,
    count(*) FILTER (WHERE u.status = 'in_transit') AS coming
  FROM inventory_stockunit u
  LEFT JOIN inventory_transfer t ON t.stock_unit_id = u.id AND t.status IN ('proposed', 'confirmed')
  WHERE u.model_id = %(model)s AND u.status IN ('in_stock', 'in_transit')
  GROUP BY 1
),
incoming AS (  -- proposed transfers to a dealer (confirmed ones are its units in transit already)
  SELECT t.to_dealer_id AS dealer_id, count(*) AS units
  FROM inventory_transfer t JOIN inventory_stockunit u ON u.id = t.stock_unit_id
  WHERE u.model_id = %(model)s AND t.status = 'proposed'
  GROUP BY 1
),
sold AS (
  SELECT s.dealer_id, count(*) AS supply
  FROM inventory_sale s JOIN inventory_stockunit u ON u.id = s.stock_unit_id
  WHERE u.model_id = %(model)s AND s.sold_on BETWEEN %(supply_from)s AND %(as_of)s
  GROUP BY 1
),
per_dealer AS (
  SELECT d.id, d.latitude::float8 AS lat, d.longitude::float8 AS lon,
    COALESCE(st.free, 0) AS free, COALESCE(st.coming, 0) + COALESCE(i.units, 0) AS coming,
    COALESCE(so.supply, 0) AS supply
  FROM channels_dealer d
  LEFT JOIN stock st ON st.dealer_id = d.id LEFT JOIN incoming i ON i.dealer_id = d.id
  LEFT JOIN sold so ON so.dealer_id = d.id
  WHERE d.status IN ('active', 'probation') AND (st.dealer_id IS NOT NULL OR so.dealer_id IS NOT NULL)
    AND (%(dealers)s::bigint[] IS NULL OR d.id = ANY(%(dealers)s::bigint[]))
)
SELECT id, lat, lon, free, coming, supply, {days_supply_sql("free", "supply")} AS days_supply,
  ceil(%(target_days)s * supply / {SUPPLY_DAYS}.0)::int AS target
FROM per_dealer
"""  # noqa: S608 - only stock_metrics' fragment is interpolated; values are parameters


@dataclass(frozen=True)
class PlanLine:
    from_dealer: int
    to_dealer: int
    units: int
    distance_km: Decimal  # road km
    unit_cost: Decimal  # yuan a unit

    @property
    def cost(self) -> Decimal:
        return self.unit_cost * self.units


@dataclass(frozen=True)
class PlanResult:
    lines: list[PlanLine]
    units: int
    total_cost: Decimal
    greedy_units: int
    greedy_cost: Decimal
    surplus_dealers: int
    shortage_dealers: int
    arcs: int

    @property
    def saving(self) -> Decimal | None:
        """Greedy cost − exact cost, when both plans move as many units (else not comparable)."""
        return self.greedy_cost - self.total_cost if self.greedy_units == self.units else None


def _positions(
    model: VehicleModel, as_of: date, surplus_days: int, target_days: int, shortage_days: int, dealers: list[int] | None
):
    params = {**period_params(as_of), "model": model.pk, "target_days": target_days, "dealers": dealers}
    with connection.cursor() as cursor:
        cursor.execute(POSITIONS_SQL, params)
        rows = cursor.fetchall()
    surplus, shortage = [], []
    for dealer, lat, lon, free, coming, supply, days_supply, target in rows:
        if free > 0 and (days_supply is None or days_supply > surplus_days) and free > target:
            surplus.append((dealer, lat, lon, free - target, days_supply))
        elif supply > 0 and days_supply < shortage_days and target - free - coming > 0:
            shortage.append((dealer, lat, lon, target - free - coming, days_supply))
    return surplus, shortage


def plan_lines(
    surplus: list[tuple], shortage: list[tuple], *, max_hours: float, cost_per_km: Decimal, handling_cost: Decimal
) -> tuple[list[PlanLine], list[PlanLine], int]:
    """The exact and the greedy plan's lines, and the number of arcs, for ``surplus`` (dealer,
    lat, lon, units offered, days supply) and ``shortage`` (dealer, lat, lon, units needed,
    days supply) rows."""
    if not surplus or not shortage:
        return [], [], 0
    s_lat, s_lon = np.array([row[1] for row in surplus]), np.array([row[2] for row in surplus])
    d_lat, d_lon = np.array([row[1] for row in shortage]), np.array([row[2] for row in shortage])
    max_road_km = max_hours * TRUCK_KMH
    pairs = pairs_within(s_lat, s_lon, d_lat, d_lon, max_road_km / DETOUR)
    road_km = np.round(pairs.km * DETOUR, 1)
    keep = road_km <= max_road_km
    origin, target, road_km = pairs.origin[keep], pairs.target[keep], road_km[keep]
    if len(origin) == 0:
        return [], [], 0
    # Per-arc cost in fen, from the same rounded road km the lines store.
    per_km_fen, handling_fen = int(to_fen(cost_per_km) * 100), int(to_fen(handling_cost) * 100)
    tenths = np.rint(road_km * 10).astype(np.int64)
    cost_fen = (tenths * per_km_fen + 5) // 10 + handling_fen  # half-up to the fen
    offered = np.array([row[3] for row in surplus], dtype=np.int64)
    needed = np.array([row[3] for row in shortage], dtype=np.int64)

    def line(i: int, j: int, units: int, arc: int) -> PlanLine:
        km = Decimal(str(road_km[arc]))
        return PlanLine(surplus[i][0], shortage[j][0], units, km, Decimal(int(cost_fen[arc])).scaleb(-2))

    # Nodes: 0 source, 1 sink, 2.. surplus dealers, then shortage dealers.
    n_s, n_d = len(surplus), len(shortage)
    solver = min_cost_flow.SimpleMinCostFlow()
    tails = np.concatenate([np.zeros(n_s, np.int64), 2 + origin, 2 + n_s + np.arange(n_d)])
    heads = np.concatenate([2 + np.arange(n_s), 2 + n_s + target, np.ones(n_d, np.int64)])
    capacities = np.concatenate([offered, np.minimum(offered[origin], needed[target]), needed])
    costs = np.concatenate([np.zeros(n_s, np.int64), cost_fen, np.zeros(n_d, np.int64)])
    solver.add_arcs_with_capacity_and_unit_cost(tails, heads, capacities, costs)
    # Offer and need rarely balance: the solver moves the most it can between them.
    solver.set_node_supply(0, int(offered.sum()))
    solver.set_node_supply(1, -int(needed.sum()))
    status = solver.solve_max_flow_with_min_cost()
    if status != solver.OPTIMAL:
        raise RuntimeError(f"min-cost flow ended {status}")
    flows = solver.flows(np.arange(n_s, n_s + len(origin)))
    exact = [line(origin[a], target[a], int(flows[a]), a) for a in np.nonzero(flows)[0]]

    # Greedy: the shortest dealers first, each from its nearest surplus with units left.
    left, greedy = offered.copy(), []
    by_target = np.lexsort((road_km, target))
    starts = np.searchsorted(target[by_target], np.arange(n_d + 1))
    for j in sorted(range(n_d), key=lambda j: (shortage[j][4], shortage[j][0])):
        want = int(needed[j])
        for arc in by_target[starts[j] : starts[j + 1]]:
            if want == 0:
                break
            take = int(min(want, left[origin[arc]]))
            if take:
                left[origin[arc]] -= take
                want -= take
                greedy.append(line(origin[arc], j, take, arc))
    return exact, greedy, len(origin)


def transfer_plan(
    model: VehicleModel,
    *,
    as_of: date,
    max_hours: float,
    cost_per_km: Decimal,
    handling_cost: Decimal,
    surplus_days: int = SURPLUS_DAYS,
    target_days: int = TARGET_DAYS,
    shortage_days: int = SHORTAGE_DAYS,
    dealers: list[int] | None = None,
) -> PlanResult:
    """The exact and greedy plans of ``model`` (see the module's docstring) among ``dealers``
    (ids; None: the whole network); nothing written."""
    surplus, shortage = _positions(model, as_of, surplus_days, target_days, shortage_days, dealers)
    exact, greedy, arcs = plan_lines(
        surplus, shortage, max_hours=max_hours, cost_per_km=cost_per_km, handling_cost=handling_cost
    )
    return PlanResult(
        lines=sorted(exact, key=lambda line: (line.from_dealer, line.to_dealer)),
        units=sum(line.units for line in exact),
        total_cost=sum((line.cost for line in exact), Decimal("0.00")),
        greedy_units=sum(line.units for line in greedy),
        greedy_cost=sum((line.cost for line in greedy), Decimal("0.00")),
        surplus_dealers=len(surplus),
        shortage_dealers=len(shortage),
        arcs=arcs,
    )


@transaction.atomic
def transfer_plan_create(
    model: VehicleModel,
    *,
    as_of: date,
    max_hours: float,
    cost_per_km: Decimal,
    handling_cost: Decimal,
    by: User | None = None,
    dealers: list[int] | None = None,
) -> tuple[TransferPlan, PlanResult]:
    """Plan ``model`` among ``dealers`` (None: the network) and store the plan with its lines
    as proposed transfers, one a unit: each surplus dealer sends its longest-held free units first."""
    # One plan of a model at a time: two would offer the same free units.
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(hashtext('inventory.transfer_plan'), %s)", [model.pk])
    result = transfer_plan(
        model,
        as_of=as_of,
        max_hours=max_hours,
        cost_per_km=cost_per_km,
        handling_cost=handling_cost,
        dealers=dealers,
    )
    plan = TransferPlan.objects.create(
        model=model,
        as_of=as_of,
        parameters={
            "max_hours": max_hours,
            "cost_per_km": str(cost_per_km),
            "handling_cost": str(handling_cost),
            "surplus_days": SURPLUS_DAYS,
            "target_days": TARGET_DAYS,
            "shortage_days": SHORTAGE_DAYS,
            "detour": DETOUR,
            "truck_kmh": TRUCK_KMH,
        },
        units=result.units,
        total_cost=result.total_cost,
        greedy_units=result.greedy_units,
        greedy_cost=result.greedy_cost,
        created_by=by,
    )
    senders = {line.from_dealer for line in result.lines}
    free = (
        StockUnit.objects.select_for_update()
        .filter(model=model, dealer_id__in=senders, status=StockStatus.IN_STOCK)
        .exclude(transfers__status__in=OPEN_STATUSES)
        .order_by("dealer_id", "arrived_on", "vin")
        .values_list("dealer_id", "pk")
    )
    units_of: dict[int, list[int]] = {}
    for dealer_id, unit_id in free:
        units_of.setdefault(dealer_id, []).append(unit_id)
    now = timezone.now()
    transfers = []
    for line in result.lines:
        for unit_id in [units_of[line.from_dealer].pop(0) for _ in range(line.units)]:
            transfers.append(
                Transfer(
                    stock_unit_id=unit_id,
                    from_dealer_id=line.from_dealer,
                    to_dealer_id=line.to_dealer,
                    distance_km=line.distance_km,
                    cost=line.unit_cost,
                    plan=plan,
                    proposed_at=now,
                    proposed_by=by,
                )
            )
    Transfer.objects.bulk_create(transfers)
    return plan, result
