"""Probation and exit as head office's decisions: the reason and history kept, the status
changed with them, and who may decide and read them."""

import pytest
from django.core.exceptions import ValidationError
from django.db import DatabaseError, transaction
from django.urls import reverse

from channels.models import DealerDecision, DealerStatus, DecisionKind, RecommendationKind
from channels.planning.decisions import dealer_decide
from tests.factories import PlanningRunFactory, RecommendationFactory, ScenarioFactory


@pytest.mark.django_db
def test_probation_then_exit_change_the_status_and_keep_the_history(network):
    home = network.home_dealer
    dealer_decide(dealer=home, user=network.head_office, kind=DecisionKind.PROBATION, reason="Rated D since June")
    home.refresh_from_db()
    assert home.status == DealerStatus.PROBATION
    with pytest.raises(ValidationError) as refused:
        dealer_decide(dealer=home, user=network.head_office, kind=DecisionKind.PROBATION, reason="again")
    assert "does not apply" in refused.value.message_dict["kind"][0]
    dealer_decide(dealer=home, user=network.head_office, kind=DecisionKind.EXIT, reason="No recovery")
    home.refresh_from_db()
    assert home.status == DealerStatus.EXITED
    history = list(
        DealerDecision.objects.filter(dealer=home)
        .order_by("decided_at")
        .values_list("kind", "from_status", "to_status", "reason", "decided_by")
    )
    assert history == [
        ("probation", "active", "probation", "Rated D since June", network.head_office.pk),
        ("exit", "probation", "exited", "No recovery", network.head_office.pk),
    ]
    with pytest.raises(ValidationError):  # exited is final
        dealer_decide(dealer=home, user=network.head_office, kind=DecisionKind.REINSTATE, reason="back")


@pytest.mark.django_db
def test_a_decision_needs_a_reason_and_head_office(network):
    with pytest.raises(ValidationError) as refused:
        dealer_decide(dealer=network.home_dealer, user=network.head_office, kind=DecisionKind.EXIT, reason="  ")
    assert "reason" in refused.value.message_dict
    with pytest.raises(ValidationError, match="Only head office"):
        dealer_decide(dealer=network.home_dealer, user=network.regional_manager, kind=DecisionKind.EXIT, reason="x")
    network.home_dealer.refresh_from_db()
    assert network.home_dealer.status == DealerStatus.ACTIVE
    assert not DealerDecision.objects.exists()


@pytest.mark.django_db
def test_decisions_are_never_edited(network):
    decision = dealer_decide(
        dealer=network.home_dealer, user=network.head_office, kind=DecisionKind.PROBATION, reason="D twice"
    )
    with pytest.raises(DatabaseError), transaction.atomic():
        DealerDecision.objects.filter(pk=decision.pk).update(reason="softened")


@pytest.mark.django_db
def test_the_dealer_page_offers_the_plans_recommendation_and_records_the_decision(network, client_for):
    run = PlanningRunFactory()
    recommendation = RecommendationFactory(
        run=run,
        kind=RecommendationKind.EXIT,
        region=network.home_region,
        dealer=network.home_dealer,
        units=15,
        figures={"months_rated_d": 3, "units_recent": 15, "units_before": 30, "change": -0.5},
    )
    client = client_for(network.head_office)
    page = client.get(network.home_dealer.get_absolute_url())
    text = page.content.decode()
    assert "Rated D in 3 of the last 3 months" in text
    assert f"?kind=exit&amp;recommendation={recommendation.pk}" in text
    url = reverse("channels:dealer-decide", args=[network.home_dealer.pk])
    form = client.get(url, {"kind": "exit", "recommendation": recommendation.pk})
    assert form.status_code == 200
    response = client.post(url, {"kind": "exit", "reason": "Three months of D", "recommendation": recommendation.pk})
    assert response.status_code == 302
    decision = DealerDecision.objects.get()
    assert decision.recommendation == recommendation
    assert decision.evidence.startswith("Exit: Rated D in 3 of the last 3 months")
    page = client.get(network.home_dealer.get_absolute_url()).content.decode()
    assert "Three months of D" in page


@pytest.mark.django_db
def test_an_approved_closure_links_to_the_outlets_exit(network, client_for):
    scenario = ScenarioFactory(status="approved", decision_note="ok", decided_at="2026-11-20T10:00:00+08:00")
    scenario.changes.create(kind="close", dealer=network.home_dealer, demand_before=100)
    page = client_for(network.head_office).get(scenario.get_absolute_url()).content.decode()
    assert f"?kind=exit&amp;scenario={scenario.pk}" in page


@pytest.mark.django_db
def test_who_decides_and_who_reads(network, client_for):
    dealer_decide(dealer=network.home_dealer, user=network.head_office, kind=DecisionKind.PROBATION, reason="D twice")
    url = reverse("channels:dealer-decide", args=[network.home_dealer.pk])
    for user in (network.regional_manager, network.dealer_user):
        client = client_for(user)
        assert client.get(url).status_code == 403
        assert "D twice" in client.get(network.home_dealer.get_absolute_url()).content.decode()
    # Out of scope: not found, before the role is asked.
    foreign = reverse("channels:dealer-decide", args=[network.foreign_dealer.pk])
    assert client_for(network.regional_manager).get(foreign).status_code == 404
