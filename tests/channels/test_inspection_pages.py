"""The inspection pages as their users see them: the manager fills and submits on the page,
bad input comes back beside its field with nothing written, the dealer corrects its
follow-ups, and the dealer page shows the latest score and the history."""

import datetime as dt
import re
from decimal import Decimal

import pytest

from channels.inspections.models import EvidencePhoto, FollowUp, FollowUpStatus, Inspection, InspectionResult
from channels.inspections.services import answer_field, inspection_check_in
from dealerops.validation import today
from tests.factories import ChecklistTemplateFactory, InspectionFactory, submitted_inspection
from tests.photos import JPEG, NOT_IMAGES, upload

pytestmark = pytest.mark.django_db


@pytest.fixture
def inspection(network):
    inspection = InspectionFactory(dealer=network.home_dealer, scheduled_by=network.regional_manager)
    inspection_check_in(
        inspection_id=inspection.pk,
        user=network.regional_manager,
        latitude=network.home_dealer.latitude,
        longitude=network.home_dealer.longitude,
        accuracy_m=10,
    )
    return inspection


def filled(inspection, action="submit", outcomes=("pass", "fail", "na"), photo=None):
    items = list(inspection.template.items.order_by("position"))
    data = {"action": action}
    for item, outcome in zip(items, outcomes, strict=True):
        data[answer_field(item.pk, "outcome")] = outcome
        data[answer_field(item.pk, "note")] = "Dusty glass" if outcome == "fail" else ""
    if photo is not None:
        data[answer_field(items[1].pk, "photo")] = photo
    return data


class TestFilling:
    def test_the_manager_sees_the_checklist_to_fill(self, network, client_for, inspection):
        page = client_for(network.regional_manager).get(f"/inspections/{inspection.pk}/").content.decode()
        assert 'name="action" value="check_in"' in page and 'value="submit"' in page
        assert 'enctype="multipart/form-data"' in page
        assert "Greeting" in page and "A consultant greets within 30 seconds" in page

    def test_submitting_on_the_page_shows_the_score_and_the_follow_up(self, network, client_for, inspection):
        client = client_for(network.regional_manager)
        response = client.post(f"/inspections/{inspection.pk}/", filled(inspection, photo=upload()))
        assert response.status_code == 302
        page = client.get(response["Location"]).content.decode()
        assert "score 33.33, 1 item(s) failed" in page  # weights 1, 2, 1: 1 passed of 3 that apply
        follow_up = FollowUp.objects.get()
        assert f"/inspections/follow-ups/{follow_up.pk}/" in page
        assert f"/inspections/photos/{follow_up.result.photo.pk}/" in page

    def test_a_photo_that_is_not_an_image_comes_back_beside_its_item_and_nothing_is_written(
        self, network, client_for, inspection
    ):
        photo = upload(NOT_IMAGES["html"], name="IMG_0001.jpg")
        response = client_for(network.regional_manager).post(
            f"/inspections/{inspection.pk}/", filled(inspection, photo=photo)
        )
        assert response.status_code == 400
        page = response.content.decode()
        item = inspection.template.items.order_by("position")[1]
        section = page.split(f'id="item-{item.pk}"', 1)[1].split("</fieldset>", 1)[0]
        assert "This file is not a photo (judged by its content, not its name)" in section
        assert re.search(r'value="fail"[^>]*checked', section)  # what was typed is still there
        assert not InspectionResult.objects.exists() and not EvidencePhoto.objects.exists()
        assert Inspection.objects.get().submitted_at is None

    def test_a_second_submission_is_refused_with_a_clear_message(self, network, client_for, inspection):
        client = client_for(network.regional_manager)
        assert client.post(f"/inspections/{inspection.pk}/", filled(inspection)).status_code == 302
        again = client.post(f"/inspections/{inspection.pk}/", filled(inspection, outcomes=("pass", "pass", "pass")))
        assert again.status_code == 400
        assert "a submitted inspection is final" in again.content.decode()
        assert Inspection.objects.get().score == Decimal("33.33") and FollowUp.objects.count() == 1

    def test_the_check_in_keeps_what_was_filled_in(self, network, client_for):
        inspection = InspectionFactory(dealer=network.home_dealer)
        data = {**filled(inspection, action="check_in"), "latitude": "30.27", "longitude": "120.16", "accuracy": "12"}
        response = client_for(network.regional_manager).post(f"/inspections/{inspection.pk}/", data)
        assert response.status_code == 302
        inspection.refresh_from_db()
        assert inspection.checked_in_at is not None and inspection.check_in_accuracy_m == 12
        assert inspection.results.filter(outcome="fail", note="Dusty glass").exists()

    def test_a_check_in_without_a_position_says_so(self, network, client_for):
        inspection = InspectionFactory(dealer=network.home_dealer)
        response = client_for(network.regional_manager).post(
            f"/inspections/{inspection.pk}/", {**filled(inspection, action="check_in")}
        )
        assert response.status_code == 400
        assert "Latitude: This field is required." in response.content.decode()

    def test_the_dealer_reads_its_inspection_but_does_not_fill_it(self, network, client_for, inspection):
        client = client_for(network.dealer_user)
        page = client.get(f"/inspections/{inspection.pk}/").content.decode()
        assert 'value="submit"' not in page and "Greeting" in page
        assert client.post(f"/inspections/{inspection.pk}/", filled(inspection)).status_code == 403

    def test_another_regions_inspection_is_not_found(self, network, client_for):
        foreign = InspectionFactory(dealer=network.foreign_dealer)
        client = client_for(network.regional_manager)
        assert client.get(f"/inspections/{foreign.pk}/").status_code == 404
        assert client.post(f"/inspections/{foreign.pk}/", {"action": "submit"}).status_code == 404


class TestLists:
    def test_the_lists_cut_by_state(self, network, client_for):
        overdue = InspectionFactory(dealer=network.home_dealer, due_on=today() - dt.timedelta(days=2))
        coming = InspectionFactory(dealer=network.home_dealer, due_on=today() + dt.timedelta(days=2))
        client = client_for(network.regional_manager)
        page = client.get("/inspections/", {"state": "overdue"}).content.decode()
        assert f"/inspections/{overdue.pk}/" in page and f"/inspections/{coming.pk}/" not in page
        assert "Overdue</span>" in page
        page = client.get("/inspections/", {"state": "scheduled"}).content.decode()
        assert f"/inspections/{coming.pk}/" in page and f"/inspections/{overdue.pk}/" not in page

    def test_the_menu_offers_inspections_to_the_field_roles_only(self, network, client_for):
        for user in (network.regional_manager, network.dealer_user, network.head_office):
            assert 'href="/inspections/"' in client_for(user).get("/").content.decode()
        assert 'href="/inspections/"' not in client_for(network.finance_user).get("/").content.decode()
        assert client_for(network.finance_user).get("/inspections/").status_code == 403

    def test_the_manager_schedules_from_the_form(self, network, client_for):
        template = ChecklistTemplateFactory()
        client = client_for(network.regional_manager)
        form = client.get("/inspections/new/", {"dealer": network.home_dealer.pk}).content.decode()
        assert str(network.home_dealer) in form
        due = (today() + dt.timedelta(days=3)).isoformat()
        response = client.post(
            "/inspections/new/", {"dealer": network.home_dealer.pk, "template": template.pk, "due_on": due}
        )
        assert response.status_code == 302
        assert Inspection.objects.get().due_on.isoformat() == due
        refused = client.post(
            "/inspections/new/", {"dealer": network.foreign_dealer.pk, "template": template.pk, "due_on": due}
        )
        assert refused.status_code == 200 and "Select a valid choice" in refused.content.decode()


class TestFollowUpPages:
    def test_the_dealer_corrects_and_the_manager_accepts_on_the_page(self, network, client_for):
        follow_up = submitted_inspection(dealer=network.home_dealer).follow_ups.get()
        url = f"/inspections/follow-ups/{follow_up.pk}/"
        dealer = client_for(network.dealer_user)
        assert 'value="correct"' in dealer.get(url).content.decode()
        refused = dealer.post(url, {"action": "correct", "note": "Done", "photo": upload(NOT_IMAGES["pdf"], "a.png")})
        assert refused.status_code == 400 and "not a photo" in refused.content.decode()
        assert dealer.post(url, {"action": "correct", "note": "Done", "photo": upload()}).status_code == 302
        manager = client_for(network.regional_manager)
        assert 'value="review"' in manager.get(url).content.decode()
        assert manager.post(url, {"action": "review", "decision": "accept"}).status_code == 302
        follow_up.refresh_from_db()
        assert follow_up.status == FollowUpStatus.ACCEPTED
        history = manager.get(url).content.decode()
        assert history.count('<td data-label="When">') == 3


class TestDealerPage:
    def test_it_shows_the_latest_score_and_the_history(self, network, client_for):
        submitted_inspection(dealer=network.home_dealer, outcomes=("pass", "pass", "fail"))
        InspectionFactory(dealer=network.home_dealer)
        page = client_for(network.regional_manager).get(f"/dealers/{network.home_dealer.pk}/").content.decode()
        assert "Latest inspection score" in page and "75.00" in page
        assert page.count('href="/inspections/') >= 3 and "Schedule an inspection" in page
        dealer_page = client_for(network.dealer_user).get(f"/dealers/{network.home_dealer.pk}/").content.decode()
        assert "75.00" in dealer_page and "Schedule an inspection" not in dealer_page

    def test_finance_sees_no_inspections_on_it(self, network, client_for):
        submitted_inspection(dealer=network.home_dealer)
        page = client_for(network.finance_user).get(f"/dealers/{network.home_dealer.pk}/").content.decode()
        assert "Latest inspection score" not in page


def test_head_office_publishes_a_new_version_from_the_old_one(network, client_for):
    template = ChecklistTemplateFactory()
    client = client_for(network.head_office)
    form = client.get("/inspections/checklists/new/", {"from": template.pk}).content.decode()
    assert "A consultant greets within 30 seconds" in form
    data = {
        "kind": template.kind,
        "title": "Showroom v2",
        "follow_up_days": "10",
        "pass_mark": "85",
        "note": "Greeting weighs more",
        "items-TOTAL_FORMS": "3",
        "items-INITIAL_FORMS": "0",
        "items-MIN_NUM_FORMS": "1",
        "items-MAX_NUM_FORMS": "1000",
        "items-0-text": "Greeting",
        "items-0-criterion": "Within 30 seconds",
        "items-0-weight": "3",
        "items-1-text": "Greeting",
        "items-1-criterion": "Twice",
        "items-1-weight": "1",
    }
    refused = client.post("/inspections/checklists/new/", data)
    assert refused.status_code == 400 and "This item is on the checklist already." in refused.content.decode()
    data["items-1-text"] = "Price display"
    response = client.post("/inspections/checklists/new/", data)
    assert response.status_code == 302
    assert client_for(network.regional_manager).get("/inspections/checklists/new/").status_code == 403


def test_the_photo_page_sends_the_bytes_it_checked(network, client_for):
    photo = submitted_inspection(dealer=network.home_dealer, photo=JPEG).follow_ups.get().result.photo
    response = client_for(network.head_office).get(f"/inspections/photos/{photo.pk}/")
    assert response["Content-Disposition"] == f'inline; filename="photo-{photo.pk}.jpg"'
    assert "sandbox" in response["Content-Security-Policy"]
