"""What-if scenarios on a plan run, on the planning map of test_planning_run with its numbers:
Hangzhou's 4,600 cars a year shared by the fixture's two outlets at its centre (2,300 each),
Lishui 200 km south beyond reach; a third outlet, 40 km east of Hangzhou, shares its part."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from channels.models import ChangeKind, DealerStatus, Scenario, ScenarioEffect, ScenarioStatus, TradeArea
from channels.planning.scenarios import ChangeInput, scenario_create, scenario_decide
from channels.planning.services import network_plan
from tests.channels.test_planning_run import LISHUI, planned_map  # noqa: F401 - the fixture
from tests.factories import TODAY, DealerFactory

MIDWAY = (Decimal("29.370000"), Decimal("120.040000"))


@pytest.fixture
def planned(planned_map):  # noqa: F811 - the fixture imported above
    east = DealerFactory(region=planned_map.home_region, latitude=Decimal("30.274084"), longitude=Decimal("120.570000"))
    run = network_plan(as_of=TODAY)
    # A year of sales and leads in the run's period, as the nightly job counts them.
    for dealer, sold, leads in (
        (planned_map.home_dealer, 240, 960),
        (planned_map.foreign_dealer, 120, 600),
        (east, 60, 120),
    ):
        TradeArea.objects.filter(run=run, dealer=dealer).update(sold_units=sold, leads=leads)
    planned_map.east = east
    return planned_map, run


@pytest.mark.django_db
def test_a_closure_sends_its_demand_to_the_neighbours_and_the_shares_sum_to_100_percent(planned):
    network, run = planned
    home = TradeArea.objects.get(run=run, dealer=network.home_dealer)
    scenario = scenario_create(
        user=network.head_office,
        run=run,
        name="Close Hangzhou Xihu",
        note="",
        changes=[ChangeInput(kind=ChangeKind.CLOSE, dealer=network.home_dealer)],
    )
    effects = {effect.dealer_id: effect for effect in ScenarioEffect.objects.filter(scenario=scenario)}
    assert set(effects) == {network.foreign_dealer.pk, network.east.pk}
    shares = [effect.share_of_closed for effect in effects.values()]
    assert sum(shares) + scenario.uncovered_share == Decimal("1.0000")
    # Its twin at the same spot takes most of it; all the demand is still reached.
    assert effects[network.foreign_dealer.pk].share_of_closed > Decimal("0.5")
    # Uncovered demand is counted on the cells within reach of the change: Lishui is not one.
    assert scenario.uncovered_after == scenario.uncovered_before == 0
    gained = sum(effect.demand_after - effect.demand_before for effect in effects.values())
    assert abs(gained - home.demand_units) <= 2  # rounding of each outlet's figure
    (change,) = scenario.changes.all()
    assert (change.demand_before, change.demand_after) == (home.demand_units, 0)
    assert (change.units_before, change.units_after) == (Decimal("20.0"), Decimal("0.0"))  # 240 a year
    # Its 20 units a month go to the neighbours: our network keeps them (all cells stay reached).
    assert scenario.units_after == scenario.units_before
    assert change.leads_before == Decimal("80.0")  # 4 leads a unit


@pytest.mark.django_db
def test_an_addition_cannibalises_the_outlets_around_it_and_wins_uncovered_demand(planned):
    network, run = planned
    scenario = scenario_create(
        user=network.head_office,
        run=run,
        name="Open between Hangzhou and Lishui",
        note="a white spot",
        changes=[ChangeInput(kind=ChangeKind.ADD, latitude=MIDWAY[0], longitude=MIDWAY[1], sales_headcount=8)],
    )
    (change,) = scenario.changes.all()
    # 100 km from both: Lishui's 2,300 cars were nobody's, the new outlet reaches most of
    # them, and takes some of Hangzhou's southern counties from its three outlets.
    assert scenario.uncovered_after < scenario.uncovered_before <= 2_300
    assert change.demand_after > scenario.uncovered_before - scenario.uncovered_after  # and cannibalised
    assert change.units_after > 0 and scenario.units_after > scenario.units_before
    assert all(effect.demand_after < effect.demand_before for effect in scenario.effects.all())
    assert all(effect.share_of_closed is None for effect in scenario.effects.all())


@pytest.mark.django_db
def test_a_move_carries_the_outlets_attraction_to_its_new_site(planned):
    network, run = planned
    scenario = scenario_create(
        user=network.head_office,
        run=run,
        name="Move the east outlet to Lishui",
        note="",
        changes=[ChangeInput(kind=ChangeKind.MOVE, dealer=network.east, latitude=LISHUI[0], longitude=LISHUI[1])],
    )
    (change,) = scenario.changes.all()
    assert change.demand_before == TradeArea.objects.get(run=run, dealer=network.east).demand_units
    assert change.demand_after > 0
    assert scenario.uncovered_after < 2_300


@pytest.mark.django_db
def test_bad_scenarios_are_refused_by_field_and_write_nothing(planned):
    network, run = planned
    exited = DealerFactory(region=network.home_region, status=DealerStatus.EXITED)
    with pytest.raises(ValidationError) as refused:
        scenario_create(
            user=network.head_office,
            run=run,
            name="  ",
            note="",
            changes=[
                ChangeInput(kind=ChangeKind.CLOSE, dealer=exited),
                ChangeInput(
                    kind=ChangeKind.ADD, latitude=Decimal("48.85"), longitude=Decimal("2.35"), sales_headcount=5
                ),
                ChangeInput(kind=ChangeKind.ADD, latitude=LISHUI[0], longitude=LISHUI[1], sales_headcount=0),
            ],
        )
    errors = refused.value.message_dict
    assert set(errors) == {"name", "changes-0-dealer", "changes-1-latitude", "changes-2-sales_headcount"}
    assert "has exited the network" in errors["changes-0-dealer"][0]
    assert "outside China" in errors["changes-1-latitude"][0]
    assert not Scenario.objects.exists()


@pytest.mark.django_db
def test_a_decision_is_recorded_once_with_its_reason(planned):
    network, run = planned
    scenario = scenario_create(
        user=network.head_office,
        run=run,
        name="Close the east outlet",
        note="",
        changes=[ChangeInput(kind=ChangeKind.CLOSE, dealer=network.east)],
    )
    with pytest.raises(ValidationError) as refused:
        scenario_decide(scenario=scenario, user=network.head_office, status=ScenarioStatus.APPROVED, note=" ")
    assert "decision_note" in refused.value.message_dict
    decided = scenario_decide(
        scenario=scenario, user=network.head_office, status=ScenarioStatus.APPROVED, note="Lease ends in March"
    )
    assert (decided.status, decided.decided_by, decided.decision_note) == (
        ScenarioStatus.APPROVED,
        network.head_office,
        "Lease ends in March",
    )
    with pytest.raises(ValidationError, match="was decided on"):
        scenario_decide(scenario=decided, user=network.head_office, status=ScenarioStatus.REJECTED, note="no")
    network.east.refresh_from_db()
    assert network.east.status == DealerStatus.ACTIVE  # the live network is not changed by a scenario
