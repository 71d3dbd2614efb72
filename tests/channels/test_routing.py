"""Lead routing: the dealer a new lead goes to and why, the SLA counted in opening hours, the
re-assignment to the next candidate and the escalation, all with a frozen clock."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from channels.models import (
    AssignmentKind,
    AssignmentReason,
    DealerKind,
    DealerStatus,
    Lead,
    LeadAssignment,
    LeadOutcome,
    LeadSource,
)
from channels.routing.hours import sla_due
from channels.routing.services import (
    NewLead,
    lead_create,
    leads_sla_pass,
    routing_settings_create,
    routing_settings_in_force,
)
from dealerops.models import JobRun
from tests.factories import (
    DealerFactory,
    LeadFactory,
    LeadPageFactory,
    SaleFactory,
    StockUnitFactory,
    VehicleModelFactory,
)

pytestmark = pytest.mark.django_db

SHANGHAI = dt.timezone(dt.timedelta(hours=8))
# The customer: central Hangzhou. A degree of latitude is about 111 km.
LAT, LON = Decimal("30.270000"), Decimal("120.150000")


def at(day: int, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(2026, 11, day, hour, minute, tzinfo=SHANGHAI)


def north(km: float) -> Decimal:
    return (LAT + Decimal(km / 111.2)).quantize(Decimal("0.000001"))


def dealer(code: str, km: float, **fields):
    return DealerFactory(code=code, name=f"Dealer {code}", latitude=north(km), longitude=LON, **fields)


def new_lead(**fields) -> NewLead:
    values = {
        "source": LeadSource.WEBSITE,
        "customer_city": "Hangzhou",
        "created_at": at(2, 10),
        "customer_latitude": LAT,
        "customer_longitude": LON,
    } | fields
    return NewLead(**values)


def route(**fields) -> Lead:
    return lead_create(lead=new_lead(**fields), at=fields.get("created_at", at(2, 10)))


def routed_row(lead: Lead) -> LeadAssignment:
    return LeadAssignment.objects.get(lead=lead, kind=AssignmentKind.ROUTED)


# -- opening hours ----------------------------------------------------------------------------


def test_a_lead_at_half_past_five_with_two_hours_is_due_at_half_past_ten_next_morning():
    assert sla_due(at(2, 17, 30), Decimal("2"), dt.time(9), dt.time(18)) == at(3, 10, 30)


def test_a_lead_before_opening_counts_from_the_opening():
    assert sla_due(at(2, 7, 0), 2, dt.time(9), dt.time(18)) == at(2, 11, 0)


def test_a_lead_after_closing_counts_from_the_next_opening():
    assert sla_due(at(2, 21, 0), 2, dt.time(9), dt.time(18)) == at(3, 11, 0)


def test_a_long_sla_spans_several_opening_days():
    # 2 hours on the 2nd, 9 on the 3rd, 9 on the 4th.
    assert sla_due(at(2, 16, 0), 20, dt.time(9), dt.time(18)) == at(4, 18, 0)


# -- choosing the dealer -----------------------------------------------------------------------


def test_routing_picks_the_nearest_of_otherwise_equal_dealers():
    near, _far = dealer("NEAR", 5), dealer("FAR", 30)
    lead = route()
    assert lead.dealer == near
    assert lead.assigned_at == at(2, 10)
    step = routed_row(lead)
    assert step.reason == AssignmentReason.BEST_SCORE
    assert [c["code"] for c in step.candidates] == ["NEAR", "FAR"]
    assert step.candidates[0]["km"] == pytest.approx(5, abs=0.1)
    assert set(step.candidates[0]["parts"]) == {"distance", "channel", "load", "conversion", "stock"}
    assert step.candidates[0]["score"] > step.candidates[1]["score"]


def test_routing_skips_dealers_on_probation_exited_or_applying():
    dealer("PROB", 1, status=DealerStatus.PROBATION)
    dealer("EXIT", 2, status=DealerStatus.EXITED)
    dealer("APPL", 3, status=DealerStatus.APPLYING)
    active = dealer("ACTV", 40)
    lead = route()
    assert lead.dealer == active
    assert [c["code"] for c in routed_row(lead).candidates] == ["ACTV"]


def test_routing_respects_the_customers_channel_preference():
    dealer("4SNEAR", 5)
    showroom = dealer("SHOW", 15, kind=DealerKind.SHOWROOM)
    lead = route(channel_preference=DealerKind.SHOWROOM)
    assert lead.dealer == showroom
    assert routed_row(lead).candidates[0]["parts"]["channel"] == 1


def test_a_dealer_full_of_open_leads_loses_to_a_free_one():
    busy, free = dealer("BUSY", 5, sales_headcount=1), dealer("FREE", 12, sales_headcount=10)
    LeadFactory.create_batch(40, dealer=busy, created_at=at(1, 9), assigned_at=at(1, 9))
    lead = route()
    assert lead.dealer == free
    busy_line = next(c for c in routed_row(lead).candidates if c["code"] == "BUSY")
    assert busy_line["open_leads"] == 40 and busy_line["parts"]["load"] == 0


def test_the_dealer_with_the_model_in_stock_wins_when_stock_weighs_enough():
    model = VehicleModelFactory()
    dealer("NOSTOCK", 5)
    stocked = dealer("STOCK", 10)
    StockUnitFactory(dealer=stocked, model=model)
    routing_settings_create(created_by=None, stock_weight=Decimal("5"))
    lead = route(model_of_interest_id=model.pk)
    assert lead.dealer == stocked
    assert routed_row(lead).candidates[0]["in_stock"] is True


def test_a_better_converting_dealer_wins_over_a_slightly_nearer_one():
    poor, good = dealer("POOR", 5), dealer("GOOD", 8)
    for shop in (poor, good):
        LeadFactory.create_batch(20, dealer=shop, created_at=at(1, 9), assigned_at=at(1, 9), outcome="contacted")
    for each in Lead.objects.filter(dealer=good)[:10]:
        Lead.objects.filter(pk=each.pk).update(converted_sale=SaleFactory(dealer=good), outcome=LeadOutcome.WON)
    routing_settings_create(created_by=None, conversion_weight=Decimal("5"))
    lead = route()
    assert lead.dealer == good
    line = routed_row(lead).candidates[0]
    assert line["conversion"] == pytest.approx(0.5) and line["parts"]["conversion"] == 1


def test_an_online_order_goes_to_the_nearest_4s_store():
    dealer("SHOW", 1, kind=DealerKind.SHOWROOM)
    four_s = dealer("FOURS", 25)
    dealer("FOURS2", 35)
    lead = route(online_order=True, channel_preference=DealerKind.SHOWROOM)
    assert lead.dealer == four_s
    step = routed_row(lead)
    assert step.reason == AssignmentReason.ONLINE_ORDER
    assert [c["code"] for c in step.candidates] == ["FOURS", "FOURS2"]


def test_a_lead_beyond_reach_goes_to_the_nearest_active_dealer():
    far = dealer("FAR", 300)
    lead = route()
    assert lead.dealer == far
    assert routed_row(lead).reason == AssignmentReason.NEAREST


def test_a_lead_without_coordinates_is_placed_at_its_city_centre():
    dealer("HZ", 5)
    far = DealerFactory(code="SH", city="Shanghai", latitude=Decimal("31.230000"), longitude=Decimal("121.470000"))
    lead = route(customer_city="Shanghai", customer_latitude=None, customer_longitude=None)
    assert lead.dealer == far


def test_a_lead_pages_dealer_gets_its_leads_while_active():
    dealer("NEAR", 2)
    own = dealer("PAGE", 30)
    page = LeadPageFactory(dealer=own)
    lead = route(lead_page=page, source=LeadSource.QR_CODE)
    assert lead.dealer == own and lead.lead_page == page
    assert routed_row(lead).reason == AssignmentReason.PAGE_DEALER


def test_a_lead_page_of_a_dealer_on_probation_routes_to_the_best_other():
    near = dealer("NEAR", 2)
    page = LeadPageFactory(dealer=dealer("PAGE", 1, status=DealerStatus.PROBATION))
    lead = route(lead_page=page, source=LeadSource.QR_CODE)
    assert lead.dealer == near
    assert routed_row(lead).reason == AssignmentReason.BEST_SCORE


def test_a_dealers_own_lead_stays_with_it_without_sla():
    shop = dealer("OWN", 50)
    dealer("NEAR", 1)
    lead = route(own_dealer_id=shop.pk, source=LeadSource.WALK_IN)
    assert lead.dealer == shop and lead.sla_due_at is None
    step = LeadAssignment.objects.get(lead=lead)
    assert step.kind == AssignmentKind.OWN and step.candidates == []


def test_a_lead_no_active_dealer_can_take_waits_unassigned_and_is_routed_later():
    lead = route()
    assert lead.dealer is None and not lead.assignments.exists()
    shop = dealer("NEW", 5)
    run = leads_sla_pass(at=at(2, 11))
    lead.refresh_from_db()
    assert lead.dealer == shop and lead.assigned_at == at(2, 11)
    assert run.rows == 1 and routed_row(lead).job_run_id == run.pk


# -- bad input ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"customer_latitude": Decimal("51.5"), "customer_longitude": Decimal("-0.12")}, "customer_longitude"),
        ({"customer_latitude": Decimal("10.0")}, "customer_latitude"),
        ({"customer_city": "  "}, "customer_city"),
        ({"customer_city": "Atlantis", "customer_latitude": None, "customer_longitude": None}, "customer_city"),
        ({"customer_longitude": None}, "customer_longitude"),
        ({"customer_phone": "12345"}, "customer_phone"),
    ],
)
def test_bad_input_is_refused_naming_the_field_and_nothing_is_written(fields, field):
    dealer("NEAR", 5)
    with pytest.raises(ValidationError) as refused:
        route(**fields)
    assert field in refused.value.message_dict
    assert not Lead.objects.exists() and not LeadAssignment.objects.exists()


# -- the SLA -----------------------------------------------------------------------------------


def test_an_overdue_lead_moves_to_the_next_candidate_then_is_escalated(monkeypatch):
    first, second, third = dealer("A", 2), dealer("B", 6), dealer("C", 10)
    lead = route(created_at=at(2, 17, 30))  # website: 2 hours, due 10:30 tomorrow
    assert lead.dealer == first and lead.sla_due_at == at(3, 10, 30)

    assert leads_sla_pass(at=at(3, 10, 29)) is None  # not due yet: no run recorded
    run = leads_sla_pass(at=at(3, 10, 31))
    lead.refresh_from_db()
    assert (lead.dealer, lead.assigned_at, lead.reassignments) == (second, at(3, 10, 31), 1)
    assert lead.sla_due_at == at(3, 12, 31)
    moved = LeadAssignment.objects.get(lead=lead, kind=AssignmentKind.REASSIGNED)
    assert (moved.previous_dealer, moved.dealer, moved.reason) == (first, second, AssignmentReason.NEXT_CANDIDATE)
    assert moved.job_run_id == run.pk and run.rows == 1

    assert leads_sla_pass(at=at(3, 10, 31)) is None  # the same moment again: nothing twice
    leads_sla_pass(at=at(3, 12, 32))
    lead.refresh_from_db()
    assert (lead.dealer, lead.reassignments) == (third, 2)

    leads_sla_pass(at=at(3, 15, 0))  # missed a third time: max_reassignments (2) reached
    lead.refresh_from_db()
    assert lead.dealer == third and lead.escalated_at == at(3, 15, 0)
    escalation = LeadAssignment.objects.get(lead=lead, kind=AssignmentKind.ESCALATED)
    assert escalation.reason == AssignmentReason.TOO_MANY_REASSIGNMENTS
    assert leads_sla_pass(at=at(9, 15, 0)) is None  # escalated leads stay with the manager
    assert list(lead.assignments.values_list("kind", flat=True)) == ["routed", "reassigned", "reassigned", "escalated"]


def test_a_lead_with_no_candidate_left_is_escalated_at_once():
    only = dealer("ONLY", 2)
    lead = route(created_at=at(2, 10))
    leads_sla_pass(at=at(2, 12, 1))
    lead.refresh_from_db()
    assert lead.dealer == only and lead.escalated_at == at(2, 12, 1)
    assert lead.assignments.last().reason == AssignmentReason.NO_CANDIDATE_LEFT


def test_the_next_candidate_must_still_be_active():
    dealer("A", 2)
    later = dealer("B", 6)
    third = dealer("C", 10)
    lead = route(created_at=at(2, 10))
    later.status = DealerStatus.EXITED
    later.save()
    leads_sla_pass(at=at(2, 12, 1))
    lead.refresh_from_db()
    assert lead.dealer == third


def test_a_contacted_or_lost_lead_is_not_moved():
    dealer("A", 2), dealer("B", 6)
    contacted, lost = route(created_at=at(2, 10)), route(created_at=at(2, 10))
    Lead.objects.filter(pk=contacted.pk).update(first_contact_at=at(2, 11), outcome=LeadOutcome.CONTACTED)
    Lead.objects.filter(pk=lost.pk).update(outcome=LeadOutcome.LOST)
    assert leads_sla_pass(at=at(3, 12)) is None


def test_the_pass_uses_each_sources_sla_and_the_dealers_hours():
    dealer("A", 2, opens_at=dt.time(10), closes_at=dt.time(20))
    dealer("B", 6)
    routing_settings_create(created_by=None, sla_phone_hours=Decimal("3"))
    lead = route(source=LeadSource.PHONE, created_at=at(2, 19))
    assert lead.sla_due_at == at(3, 12)


def test_response_time_counts_from_the_reassignment():
    """Health metric 4 reads first_contact_at - assigned_at: after a move, the new dealer's."""
    dealer("A", 2), dealer("B", 6)
    lead = route(created_at=at(2, 10))
    leads_sla_pass(at=at(2, 12, 5))
    lead.refresh_from_db()
    assert lead.assigned_at == at(2, 12, 5) and lead.created_at == at(2, 10)


def test_the_task_runs_the_pass_with_the_clock(monkeypatch):
    from django.utils import timezone

    from channels.tasks import route_leads

    dealer("A", 2), dealer("B", 6)
    lead = route(created_at=at(2, 10))
    monkeypatch.setattr(timezone, "now", lambda: at(2, 12, 30))
    run_id = route_leads()
    assert JobRun.objects.get(pk=run_id).job == "channels.route_leads"
    lead.refresh_from_db()
    assert lead.reassignments == 1 and lead.assigned_at == at(2, 12, 30)


def test_settings_versions_are_never_edited():
    first = routing_settings_in_force()
    second = routing_settings_create(created_by=None, reach_km=Decimal("40.0"), note="closer")
    assert second.version == first.version + 1 and routing_settings_in_force() == second
    with pytest.raises(ValidationError) as refused:
        routing_settings_create(
            created_by=None, **{f"{part}_weight": Decimal("0") for part in ("distance", "channel", "load")},
            conversion_weight=Decimal("0"), stock_weight=Decimal("0"),
        )  # fmt: skip
    assert "distance_weight" in refused.value.message_dict


def test_a_batch_scored_in_chunks_routes_as_leads_one_by_one(monkeypatch):
    from channels.routing import services
    from channels.routing.services import leads_create

    dealer("A", 2), dealer("B", 20, kind=DealerKind.SHOWROOM), dealer("C", 45)
    inputs = [
        new_lead(customer_latitude=north(km), channel_preference=preference)
        for km in (0, 15, 25, 40, 60)
        for preference in ("", DealerKind.SHOWROOM)
    ]
    one_by_one = [lead_create(lead=lead, at=at(2, 10)).dealer_id for lead in inputs]
    monkeypatch.setattr(services, "CHUNK", 3)  # 10 leads: every dealer's figures, 4 chunks
    batch = leads_create(leads=inputs, at=at(2, 10))
    assert [Lead.objects.get(pk=pk).dealer_id for pk in batch] == one_by_one


def test_a_long_queue_is_routed_in_chunks_with_the_figures_read_once(monkeypatch):
    from channels.routing import services

    leads = [route() for _ in range(5)]  # no dealer yet: they wait
    shop = dealer("NEW", 5)
    monkeypatch.setattr(services, "QUEUE_CHUNK", 2)
    run = leads_sla_pass(at=at(2, 11))
    assert run.rows == 5
    assert {Lead.objects.get(pk=lead.pk).dealer_id for lead in leads} == {shop.pk}
