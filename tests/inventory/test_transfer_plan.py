"""The transfer plan equals a hand-solved transportation problem, beats the greedy
nearest-surplus plan where that one is worse, keeps to the time limit, and proposes only
units free to move.

The problem (dealers on one meridian, road km = great-circle km × 1.3, 10 yuan a km + 200
yuan handling a unit):

    surplus A 30.0° N offers 2, B 31.0° N offers 1; shortage X 30.4° N needs 2 (the shorter),
    Y 29.5° N needs 1.
    A→X 57.8 km 778.00 · A→Y 72.3 km 923.00 · B→X 86.7 km 1,067.00 · B→Y 216.8 km 2,368.00

Every unit must move (supply 3 = need 3) and B's one unit goes to X or to Y:
B→X: A→X 1 + A→Y 1 + B→X 1 = 778 + 923 + 1,067 = 2,768.00 (the optimum);
B→Y: A→X 2 + B→Y 1 = 1,556 + 2,368 = 3,924.00, which greedy picks: X, served first, takes
both of A's units from its nearest surplus, leaving Y only B. Saving 1,156.00.
"""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from inventory.models import StockStatus, Transfer, TransferStatus
from inventory.transfers.planning import PlanLine, plan_lines, transfer_plan_create
from tests.factories import TODAY, DealerFactory, SaleFactory, StockUnitFactory, VehicleModelFactory

KM, HANDLING = Decimal(10), Decimal(200)
SURPLUS = [("A", 30.0, 120.0, 2, None), ("B", 31.0, 120.0, 1, None)]
SHORTAGE = [("X", 30.4, 120.0, 2, Decimal(3)), ("Y", 29.5, 120.0, 1, Decimal(9))]


def lines(found: list[PlanLine]) -> set[tuple]:
    return {(line.from_dealer, line.to_dealer, line.units, line.distance_km, line.unit_cost) for line in found}


def test_the_plan_is_the_hand_solved_optimum_and_greedy_is_worse():
    exact, greedy, arcs = plan_lines(SURPLUS, SHORTAGE, max_hours=4, cost_per_km=KM, handling_cost=HANDLING)
    assert arcs == 4
    assert lines(exact) == {
        ("A", "X", 1, Decimal("57.8"), Decimal("778.00")),
        ("A", "Y", 1, Decimal("72.3"), Decimal("923.00")),
        ("B", "X", 1, Decimal("86.7"), Decimal("1067.00")),
    }
    assert sum(line.cost for line in exact) == Decimal("2768.00")
    assert lines(greedy) == {
        ("A", "X", 2, Decimal("57.8"), Decimal("778.00")),
        ("B", "Y", 1, Decimal("216.8"), Decimal("2368.00")),
    }
    assert sum(line.cost for line in greedy) == Decimal("3924.00")


def test_arcs_beyond_the_time_limit_are_not_used():
    # One hour at 60 km/h: only A→X (57.8 km) is within reach; A→Y (72.3 km) is not.
    exact, greedy, arcs = plan_lines(SURPLUS, SHORTAGE, max_hours=1, cost_per_km=KM, handling_cost=HANDLING)
    assert arcs == 1
    assert lines(exact) == lines(greedy) == {("A", "X", 2, Decimal("57.8"), Decimal("778.00"))}
    # Three hours (180 km): B→Y (216.8 km) is cut, so greedy can serve only X and moves 2, the plan 3.
    exact, greedy, arcs = plan_lines(SURPLUS, SHORTAGE, max_hours=3, cost_per_km=KM, handling_cost=HANDLING)
    assert arcs == 3
    assert sum(line.units for line in exact) == 3 and sum(line.units for line in greedy) == 2
    assert all(line.distance_km <= 180 for line in exact)


def test_no_surplus_or_no_shortage_is_an_empty_plan():
    assert plan_lines(SURPLUS, [], max_hours=4, cost_per_km=KM, handling_cost=HANDLING) == ([], [], 0)


@pytest.mark.django_db
def test_a_stored_plan_proposes_only_free_units(network):
    model = VehicleModelFactory()

    def dealer(lat: str):
        return DealerFactory(latitude=Decimal(lat), longitude=Decimal("120.000000"))

    a, b, x, y, far = dealer("30.0"), dealer("31.0"), dealer("30.4"), dealer("29.5"), dealer("45.0")
    old = StockUnitFactory(model=model, dealer=a, arrived_on=TODAY - dt.timedelta(days=200))
    newer = StockUnitFactory(model=model, dealer=a, arrived_on=TODAY - dt.timedelta(days=20))
    moving = StockUnitFactory(model=model, dealer=a, status=StockStatus.IN_TRANSIT, arrived_on=None)
    promised = StockUnitFactory(model=model, dealer=a)
    Transfer.objects.create(
        stock_unit=promised, from_dealer=a, to_dealer=far, distance_km=1900, cost=5000, proposed_at=timezone.now()
    )
    at_b = StockUnitFactory(model=model, dealer=b)
    sold = [SaleFactory(dealer=x, stock_unit__model=model) for _ in range(2)] + [
        SaleFactory(dealer=y, stock_unit__model=model)
    ]
    plan, result = transfer_plan_create(
        model, as_of=TODAY, max_hours=4, cost_per_km=KM, handling_cost=HANDLING, by=network.head_office
    )
    assert (plan.units, plan.total_cost, plan.greedy_units, plan.greedy_cost) == (
        3,
        Decimal("2768.00"),
        3,
        Decimal("3924.00"),
    )
    assert result.saving == Decimal("1156.00")
    proposed = {
        (t.stock_unit_id, t.from_dealer_id, t.to_dealer_id, t.cost) for t in plan.transfers.filter(status="proposed")
    }
    # A's longest-held unit goes first (to X, the lower id of its two lines).
    assert proposed == {
        (old.pk, a.pk, x.pk, Decimal("778.00")),
        (newer.pk, a.pk, y.pk, Decimal("923.00")),
        (at_b.pk, b.pk, x.pk, Decimal("1067.00")),
    }
    never = {moving.pk, promised.pk, *(sale.stock_unit_id for sale in sold)}
    assert not plan.transfers.filter(stock_unit_id__in=never).exists()
    assert plan.created_by == network.head_office
    # Run again: the units are promised now, and the shortages are covered by the proposals.
    again, result = transfer_plan_create(model, as_of=TODAY, max_hours=4, cost_per_km=KM, handling_cost=HANDLING)
    assert (again.units, result.lines) == (0, [])
    assert Transfer.objects.filter(status=TransferStatus.PROPOSED).count() == 4
