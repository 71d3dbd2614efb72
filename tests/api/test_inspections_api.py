"""/api/v1/inspections/, /api/v1/inspection-checklists/, /api/v1/follow-ups/: the pages'
scope, services and refusals as JSON."""

import pytest
from rest_framework.test import APIClient

from channels.inspections.models import EvidencePhoto, FollowUp, Inspection, InspectionResult
from channels.inspections.services import answer_field
from dealerops.validation import today
from tests.factories import ChecklistTemplateFactory, InspectionFactory, submitted_inspection
from tests.photos import NOT_IMAGES, upload

pytestmark = pytest.mark.django_db


@pytest.fixture
def api():
    def as_user(user):
        client = APIClient()
        client.force_authenticate(user)
        return client

    return as_user


def ids(response) -> set[int]:
    return {row["id"] for row in response.json()["results"]}


def test_each_role_lists_the_inspections_of_its_scope(network, api):
    home = submitted_inspection(dealer=network.home_dealer)
    foreign = InspectionFactory(dealer=network.foreign_dealer)
    assert ids(api(network.dealer_user).get("/api/v1/inspections/")) == {home.pk}
    assert ids(api(network.regional_manager).get("/api/v1/inspections/")) == {home.pk}
    assert ids(api(network.head_office).get("/api/v1/inspections/")) == {home.pk, foreign.pk}
    assert api(network.finance_user).get("/api/v1/inspections/").status_code == 403
    assert api(network.dealer_user).get(f"/api/v1/inspections/{foreign.pk}/").status_code == 404
    detail = api(network.dealer_user).get(f"/api/v1/inspections/{home.pk}/").json()
    assert detail["score"] == "33.33" and [row["outcome"] for row in detail["results"]] == ["pass", "fail", "na"]


def test_the_lists_filter_by_state_and_refuse_an_unknown_parameter(network, api):
    submitted_inspection(dealer=network.home_dealer)
    scheduled = InspectionFactory(dealer=network.home_dealer)
    client = api(network.regional_manager)
    assert ids(client.get("/api/v1/inspections/", {"state": "scheduled"})) == {scheduled.pk}
    assert client.get("/api/v1/inspections/", {"colour": "red"}).status_code == 400


def test_a_manager_schedules_checks_in_and_submits_once(network, api):
    client = api(network.regional_manager)
    template = ChecklistTemplateFactory()
    created = client.post(
        "/api/v1/inspections/",
        {"dealer": network.home_dealer.pk, "template": template.pk, "due_on": today().isoformat()},
        format="json",
    )
    assert created.status_code == 201, created.json()
    pk = created.json()["id"]
    position = {"latitude": "30.274084", "longitude": "120.165070", "accuracy": 20}
    checked = client.post(f"/api/v1/inspections/{pk}/check-in/", position, format="json").json()
    assert checked["check_in_distance_km"] == "0.960"
    items = list(template.items.order_by("position"))
    answers = {answer_field(item.pk, "outcome"): "pass" for item in items}
    answers[answer_field(items[0].pk, "outcome")] = "fail"
    answers[answer_field(items[0].pk, "note")] = "Dusty glass"
    submitted = client.post(f"/api/v1/inspections/{pk}/submit/", answers, format="json")
    assert submitted.status_code == 200, submitted.json()
    assert submitted.json()["score"] == "75.00" and submitted.json()["status"] == "submitted"
    again = client.post(f"/api/v1/inspections/{pk}/submit/", answers, format="json")
    assert again.status_code == 400
    assert "a submitted inspection is final" in again.json()["status"][0]
    assert FollowUp.objects.count() == 1


def test_a_submission_with_a_photo_that_is_not_an_image_names_the_field_and_writes_nothing(network, api):
    inspection = InspectionFactory(dealer=network.home_dealer)
    client = api(network.head_office)
    client.post(
        f"/api/v1/inspections/{inspection.pk}/check-in/",
        {"latitude": "30.27", "longitude": "120.15"},
        format="json",
    )
    items = list(inspection.template.items.order_by("position"))
    data = {answer_field(item.pk, "outcome"): "pass" for item in items}
    photo_field = answer_field(items[1].pk, "photo")
    data[photo_field] = upload(NOT_IMAGES["pdf"], name="shot.jpg")
    response = client.post(f"/api/v1/inspections/{inspection.pk}/submit/", data, format="multipart")
    assert response.status_code == 400
    assert list(response.json()) == [photo_field]
    assert "not a photo" in response.json()[photo_field][0]
    assert not InspectionResult.objects.exists() and not EvidencePhoto.objects.exists()
    assert Inspection.objects.get().submitted_at is None


def test_an_unknown_answer_field_is_refused(network, api):
    inspection = InspectionFactory(dealer=network.home_dealer)
    response = api(network.head_office).post(
        f"/api/v1/inspections/{inspection.pk}/submit/", {"item-999-outcome": "pass"}, format="json"
    )
    assert response.status_code == 400 and "item-999-outcome" in response.json()


def test_a_dealer_user_cannot_schedule_or_submit(network, api):
    inspection = InspectionFactory(dealer=network.home_dealer)
    client = api(network.dealer_user)
    assert client.post(f"/api/v1/inspections/{inspection.pk}/submit/", {}, format="json").status_code == 403
    body = {"dealer": network.home_dealer.pk, "template": inspection.template_id, "due_on": today().isoformat()}
    assert client.post("/api/v1/inspections/", body, format="json").status_code == 403


def test_the_dealer_corrects_a_follow_up_and_the_manager_reviews_it(network, api):
    follow_up = submitted_inspection(dealer=network.home_dealer).follow_ups.get()
    dealer = api(network.dealer_user)
    url = f"/api/v1/follow-ups/{follow_up.pk}/"
    assert dealer.get(url).json()["finding"] == "Dusty glass"
    refused = dealer.post(f"{url}correct/", {"note": "Cleaned"}, format="multipart")
    assert refused.status_code == 400 and "photo" in refused.json()
    corrected = dealer.post(f"{url}correct/", {"note": "Cleaned", "photo": upload()}, format="multipart")
    assert corrected.status_code == 200 and corrected.json()["status"] == "awaiting_review"
    assert dealer.post(f"{url}review/", {"decision": "accept"}, format="json").status_code == 403
    manager = api(network.regional_manager)
    reviewed = manager.post(f"{url}review/", {"decision": "accept"}, format="json")
    assert reviewed.status_code == 200 and reviewed.json()["status"] == "accepted"
    assert [event["action"] for event in reviewed.json()["events"]] == ["opened", "corrected", "accepted"]
    assert api(network.dealer_user).get("/api/v1/inspections/").json()["results"][0]["status"] == "closed"


def test_the_checklists_list_their_items(network, api):
    template = ChecklistTemplateFactory()
    rows = api(network.dealer_user).get("/api/v1/inspection-checklists/").json()["results"]
    assert [row["id"] for row in rows] == [template.pk]
    assert [item["position"] for item in rows[0]["items"]] == [1, 2, 3]


@pytest.mark.parametrize("endpoint", ["/api/v1/inspections/", "/api/v1/follow-ups/", "/api/v1/inspection-checklists/"])
def test_lists_take_a_fixed_number_of_queries(network, api, endpoint, django_assert_max_num_queries):
    for _ in range(4):
        submitted_inspection(dealer=network.home_dealer)
    with django_assert_max_num_queries(6):
        assert api(network.head_office).get(endpoint).status_code == 200
