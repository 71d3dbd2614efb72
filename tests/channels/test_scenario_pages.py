"""The what-if pages: head office creates a scenario through the form and reads what it does,
records a decision, compares scenarios; nobody else opens them."""

from decimal import Decimal

import pytest
from django.urls import reverse

from channels.models import Scenario, ScenarioStatus
from tests.channels.test_planning_run import planned_map  # noqa: F401 - the fixture
from tests.channels.test_what_if import MIDWAY, planned  # noqa: F401 - the fixture
from tests.factories import ScenarioFactory


def form_data(**changes) -> dict[str, str]:
    data = {"name": "Close Xihu", "note": ""}
    for n in range(3):
        data |= {f"changes-{n}-{field}": "" for field in ("kind", "dealer", "latitude", "longitude", "sales_headcount")}
    data |= {key: str(value) for key, value in changes.items()}
    return data


@pytest.mark.django_db
def test_head_office_computes_a_closure_and_sees_where_its_demand_goes(planned, client_for):  # noqa: F811
    network, run = planned
    client = client_for(network.head_office)
    assert client.get(reverse("channels:scenario-create")).status_code == 200
    response = client.post(
        reverse("channels:scenario-create"),
        form_data(**{"changes-0-kind": "close", "changes-0-dealer": network.home_dealer.pk}),
    )
    scenario = Scenario.objects.get(name="Close Xihu")
    assert response.status_code == 302 and response["Location"] == scenario.get_absolute_url()
    page = client.get(scenario.get_absolute_url())
    text = page.content.decode()
    assert page.status_code == 200
    assert "Chengdu Jinjiang 4S" in text  # the twin outlet that takes most of it
    shares = [effect.share_of_closed for effect in page.context["effects"]]
    assert sum(shares) + scenario.uncovered_share == 1
    assert "together 100 %" in text
    listing = client.get(reverse("channels:scenario-list"))
    assert "Close Xihu" in listing.content.decode()


@pytest.mark.django_db
def test_the_form_names_the_change_and_field_that_is_wrong(planned, client_for):  # noqa: F811
    network, _run = planned
    network.foreign_dealer.status = "exited"
    network.foreign_dealer.save()
    response = client_for(network.head_office).post(
        reverse("channels:scenario-create"),
        form_data(
            **{
                "changes-0-kind": "close",
                "changes-0-dealer": network.foreign_dealer.pk,
                "changes-1-kind": "add",
                "changes-1-latitude": "10.5",
                "changes-1-longitude": "120.0",
                "changes-1-sales_headcount": "6",
            }
        ),
    )
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert "has exited the network" in errors["changes-0-dealer"][0]
    assert "outside China" in errors["changes-1-latitude"][0]
    assert not Scenario.objects.exists()


@pytest.mark.django_db
def test_an_addition_shows_whom_it_cannibalises(planned, client_for):  # noqa: F811
    network, _run = planned
    client = client_for(network.head_office)
    client.post(
        reverse("channels:scenario-create"),
        form_data(
            name="Open midway",
            **{
                "changes-0-kind": "add",
                "changes-0-latitude": MIDWAY[0],
                "changes-0-longitude": MIDWAY[1],
                "changes-0-sales_headcount": 8,
            },
        ),
    )
    scenario = Scenario.objects.get(name="Open midway")
    page = client.get(scenario.get_absolute_url())
    effects = page.context["effects"]
    assert effects and all(effect.demand_after < effect.demand_before for effect in effects)
    assert "8 salespeople" in page.content.decode()


@pytest.mark.django_db
def test_a_decision_is_recorded_with_its_reason_and_then_closed(network, client_for):
    scenario = ScenarioFactory()
    client = client_for(network.head_office)
    refused = client.post(scenario.get_absolute_url(), {"status": "approved", "decision_note": ""})
    assert refused.status_code == 400
    assert (
        client.post(scenario.get_absolute_url(), {"status": "approved", "decision_note": "Lease ends"}).status_code
        == 302
    )
    scenario.refresh_from_db()
    assert (scenario.status, scenario.decision_note, scenario.decided_by) == (
        ScenarioStatus.APPROVED,
        "Lease ends",
        network.head_office,
    )
    again = client.post(scenario.get_absolute_url(), {"status": "rejected", "decision_note": "No"})
    assert again.status_code == 400 and "was decided on" in again.content.decode()


@pytest.mark.django_db
def test_scenarios_compare_side_by_side(network, client_for):
    first, second = ScenarioFactory(name="Close A"), ScenarioFactory(name="Open B", units_after=Decimal("44.0"))
    page = client_for(network.head_office).get(
        reverse("channels:scenario-compare"), {"scenario": [first.pk, second.pk]}
    )
    assert [scenario.name for scenario in page.context["scenarios"]] == ["Close A", "Open B"]
    text = page.content.decode()
    assert "-1.5" in text and "+4.0" in text  # units a month: 40.0 → 38.5, 40.0 → 44.0


@pytest.mark.django_db
def test_only_head_office_opens_the_what_if_pages(network, client_for):
    scenario = ScenarioFactory()
    for user in (network.regional_manager, network.dealer_user, network.finance_user):
        client = client_for(user)
        for url in (
            reverse("channels:scenario-list"),
            reverse("channels:scenario-create"),
            reverse("channels:scenario-compare"),
            scenario.get_absolute_url(),
        ):
            assert client.get(url).status_code == 403, (user, url)
        assert client.post(scenario.get_absolute_url(), {"status": "approved", "decision_note": "x"}).status_code == 403
