"""Field inspections: checklists by version, scheduling, the check-in, the score, a submission
made once, photos checked by their bytes, and follow-ups the dealer corrects and the manager
reviews."""

import datetime as dt
import threading
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from channels.inspections.models import (
    ChecklistKind,
    ChecklistTemplate,
    EvidencePhoto,
    FollowUp,
    FollowUpAction,
    FollowUpStatus,
    Inspection,
    InspectionResult,
    InspectionStatus,
)
from channels.inspections.services import (
    Answer,
    Decision,
    ItemSpec,
    answer_field,
    checklist_score,
    checklist_template_publish,
    checklist_templates_in_force,
    follow_up_correct,
    follow_up_review,
    inspection_check_in,
    inspection_fill,
    inspection_schedule,
)
from dealerops.validation import today
from tests.factories import ChecklistTemplateFactory, InspectionFactory, submitted_inspection
from tests.photos import JPEG, NOT_IMAGES, jpeg_with_location, upload

pytestmark = pytest.mark.django_db


def checked_in(inspection, user, *, latitude=None, longitude=None):
    dealer = inspection.dealer
    return inspection_check_in(
        inspection_id=inspection.pk,
        user=user,
        latitude=latitude if latitude is not None else dealer.latitude,
        longitude=longitude if longitude is not None else dealer.longitude,
        accuracy_m=15,
    )


def answers_for(inspection, *outcomes, photo=None):
    items = list(inspection.template.items.order_by("position"))
    return {
        item.pk: Answer(outcome=outcome, note="Not done" if outcome == "fail" else "", photo=photo)
        for item, outcome in zip(items, outcomes, strict=True)
    }


@pytest.fixture
def inspection(network):
    return InspectionFactory(dealer=network.home_dealer, scheduled_by=network.regional_manager)


class TestScore:
    def test_it_is_the_weighted_share_of_passed_items_among_those_that_apply(self):
        assert checklist_score([(Decimal(1), "pass"), (Decimal(2), "fail"), (Decimal(1), "na")]) == Decimal("33.33")
        assert checklist_score([(Decimal("1.5"), "pass"), (Decimal("0.5"), "fail")]) == Decimal("75.00")
        assert checklist_score([(Decimal(1), "pass"), (Decimal(1), "na")]) == Decimal("100.00")

    def test_no_applicable_item_has_no_score(self):
        assert checklist_score([(Decimal(1), "na"), (Decimal(2), "na")]) is None

    def test_it_rounds_half_up_to_the_hundredth(self):
        # 2 / 3 = 66.666… -> 66.67; 1 / 8 = 12.5 exactly.
        assert checklist_score([(Decimal(2), "pass"), (Decimal(1), "fail")]) == Decimal("66.67")
        assert checklist_score([(Decimal(1), "pass"), (Decimal(7), "fail")]) == Decimal("12.50")


class TestChecklists:
    def test_a_network_without_checklists_gets_the_four_default_sops(self):
        in_force = checklist_templates_in_force()
        assert [template.kind for template in in_force] == list(ChecklistKind.values)
        assert all(template.version == 1 and template.items.count() >= 7 for template in in_force)

    def test_a_change_is_a_new_version_and_the_old_one_stays(self, network):
        first = checklist_templates_in_force()[0]
        items = [ItemSpec(text="门头与品牌标识", criterion="灯箱完好", weight=Decimal("2"))]
        second = checklist_template_publish(
            kind=first.kind,
            title="展厅检查表（修订）",
            follow_up_days=7,
            pass_mark=Decimal("85"),
            items=items,
            note="合并为一项",
            created_by=network.head_office,
        )
        assert second.version == first.version + 1
        assert checklist_templates_in_force()[0] == second
        first.refresh_from_db()
        assert first.items.count() == 8 and first.title == "展厅接待标准检查表"

    def test_a_version_cannot_be_edited_in_the_database(self):
        template = ChecklistTemplateFactory()
        with pytest.raises(DatabaseError), transaction.atomic():
            ChecklistTemplate.objects.filter(pk=template.pk).update(title="Changed")
        with pytest.raises(DatabaseError), transaction.atomic():
            template.items.update(weight=Decimal(5))

    def test_a_bad_item_is_refused_naming_its_row(self, network):
        items = [ItemSpec("Clean", "No dust", Decimal(1)), ItemSpec("Clean", "", Decimal(0))]
        with pytest.raises(ValidationError) as refused:
            checklist_template_publish(
                kind=ChecklistKind.SHOWROOM,
                title="X",
                follow_up_days=14,
                pass_mark=Decimal(80),
                items=items,
                note="",
                created_by=network.head_office,
            )
        assert set(refused.value.message_dict) == {"items-1-text", "items-1-criterion", "items-1-weight"}
        assert not ChecklistTemplate.objects.exists()

    def test_only_head_office_publishes(self, network):
        with pytest.raises(PermissionDenied):
            checklist_template_publish(
                kind=ChecklistKind.SHOWROOM,
                title="X",
                follow_up_days=14,
                pass_mark=Decimal(80),
                items=[ItemSpec("a", "b", Decimal(1))],
                note="",
                created_by=network.regional_manager,
            )


class TestScheduling:
    def test_a_manager_schedules_an_inspection_of_a_dealer_of_the_region(self, network):
        template = ChecklistTemplateFactory()
        due = today() + dt.timedelta(days=5)
        inspection = inspection_schedule(
            user=network.regional_manager, dealer=network.home_dealer, template=template, due_on=due
        )
        assert inspection.status == InspectionStatus.SCHEDULED and inspection.scheduled_by == network.regional_manager

    def test_a_dealer_of_another_region_is_refused(self, network):
        with pytest.raises(ValidationError) as refused:
            inspection_schedule(
                user=network.regional_manager,
                dealer=network.foreign_dealer,
                template=ChecklistTemplateFactory(),
                due_on=today(),
            )
        assert "dealer" in refused.value.message_dict
        assert not Inspection.objects.exists()

    def test_a_past_due_date_an_old_version_and_a_second_open_one_are_refused(self, network):
        old = ChecklistTemplateFactory()
        new = ChecklistTemplateFactory(kind=old.kind)
        with pytest.raises(ValidationError) as refused:
            inspection_schedule(
                user=network.head_office, dealer=network.home_dealer, template=old, due_on=today() - dt.timedelta(1)
            )
        assert set(refused.value.message_dict) == {"due_on", "template"}
        inspection_schedule(user=network.head_office, dealer=network.home_dealer, template=new, due_on=today())
        with pytest.raises(ValidationError) as again:
            inspection_schedule(user=network.head_office, dealer=network.home_dealer, template=new, due_on=today())
        assert "already has this inspection scheduled" in again.value.message_dict["template"][0]
        assert Inspection.objects.count() == 1

    def test_a_dealer_user_cannot_schedule(self, network):
        with pytest.raises(PermissionDenied):
            inspection_schedule(
                user=network.dealer_user,
                dealer=network.home_dealer,
                template=ChecklistTemplateFactory(),
                due_on=today(),
            )


class TestCheckIn:
    def test_it_records_the_position_and_its_distance_from_the_dealer(self, network, inspection):
        # 0.01 degree of latitude north of the dealer: 1.112 km.
        done = checked_in(inspection, network.regional_manager, latitude=Decimal("30.284084"))
        assert done.check_in_distance_km == Decimal("1.112")
        assert done.check_in_accuracy_m == 15 and done.checked_in_at is not None

    def test_a_position_off_the_globe_is_refused_naming_it(self, network, inspection):
        with pytest.raises(ValidationError) as refused:
            checked_in(inspection, network.regional_manager, latitude=Decimal("91"))
        assert list(refused.value.message_dict) == ["latitude"]


class TestSubmission:
    def test_submitting_scores_and_opens_a_follow_up_per_failed_item(self, network, inspection):
        checked_in(inspection, network.regional_manager)
        done = inspection_fill(
            inspection_id=inspection.pk,
            user=network.regional_manager,
            answers=answers_for(inspection, "pass", "fail", "na"),
            submit=True,
        )
        assert done.status == InspectionStatus.SUBMITTED
        assert done.score == Decimal("33.33") and done.passed is False and done.failed_items == 1
        follow_up = FollowUp.objects.get()
        assert follow_up.dealer == network.home_dealer and follow_up.status == FollowUpStatus.OPEN
        assert follow_up.deadline == today() + dt.timedelta(days=14)
        assert follow_up.result.note == "Not done"
        assert [event.action for event in follow_up.events.all()] == [FollowUpAction.OPENED]

    def test_with_no_failed_item_the_inspection_is_closed_at_once(self, network, inspection):
        checked_in(inspection, network.regional_manager)
        done = inspection_fill(
            inspection_id=inspection.pk,
            user=network.regional_manager,
            answers=answers_for(inspection, "pass", "pass", "na"),
            submit=True,
        )
        assert done.status == InspectionStatus.CLOSED and done.score == Decimal("100.00") and done.passed
        assert not FollowUp.objects.exists()

    def test_a_second_submission_is_refused_naming_when_and_nothing_is_written(self, network, inspection):
        checked_in(inspection, network.regional_manager)
        answers = answers_for(inspection, "pass", "fail", "na")
        inspection_fill(inspection_id=inspection.pk, user=network.regional_manager, answers=answers, submit=True)
        with pytest.raises(ValidationError) as refused:
            inspection_fill(
                inspection_id=inspection.pk,
                user=network.head_office,
                answers=answers_for(inspection, "pass", "pass", "pass"),
                submit=True,
            )
        assert "submitted on" in refused.value.message_dict["status"][0]
        assert "a submitted inspection is final" in refused.value.message_dict["status"][0]
        assert FollowUp.objects.count() == 1
        assert Inspection.objects.get().score == Decimal("33.33")

    def test_the_database_refuses_to_change_a_submitted_inspection_or_its_results(self, network):
        done = submitted_inspection(dealer=network.home_dealer)
        with pytest.raises(DatabaseError), transaction.atomic():
            Inspection.objects.filter(pk=done.pk).update(score=Decimal(100))
        with pytest.raises(DatabaseError), transaction.atomic():
            InspectionResult.objects.filter(inspection=done).update(outcome="pass")

    def test_it_needs_the_check_in_every_answer_and_a_note_for_each_failure(self, network, inspection):
        items = list(inspection.template.items.order_by("position"))
        answers = {items[0].pk: Answer("pass"), items[1].pk: Answer("fail")}
        with pytest.raises(ValidationError) as refused:
            inspection_fill(inspection_id=inspection.pk, user=network.regional_manager, answers=answers, submit=True)
        assert set(refused.value.message_dict) == {
            "check_in",
            answer_field(items[1].pk, "note"),
            answer_field(items[2].pk, "outcome"),
        }
        assert not InspectionResult.objects.exists()

    def test_every_item_not_applicable_cannot_be_scored(self, network, inspection):
        checked_in(inspection, network.regional_manager)
        with pytest.raises(ValidationError) as refused:
            inspection_fill(
                inspection_id=inspection.pk,
                user=network.regional_manager,
                answers=answers_for(inspection, "na", "na", "na"),
                submit=True,
            )
        assert list(refused.value.message_dict) == ["items"]

    def test_a_draft_keeps_its_answers_and_photo_until_submitted(self, network, inspection):
        items = list(inspection.template.items.order_by("position"))
        inspection_fill(
            inspection_id=inspection.pk,
            user=network.regional_manager,
            answers={items[0].pk: Answer("pass", photo=upload())},
            submit=False,
        )
        result = InspectionResult.objects.get(item=items[0])
        assert result.outcome == "pass" and result.photo.content_type == "image/jpeg"
        assert Inspection.objects.get().status == InspectionStatus.SCHEDULED

    def test_a_dealer_user_cannot_fill_an_inspection(self, network, inspection):
        with pytest.raises(PermissionDenied):
            inspection_fill(inspection_id=inspection.pk, user=network.dealer_user, answers={}, submit=False)


@pytest.mark.django_db(transaction=True)
def test_two_submissions_at_once_submit_once(network):
    """A double tap on two connections: the second waits for the first's lock, then is refused."""
    inspection = InspectionFactory(dealer=network.home_dealer)
    checked_in(inspection, network.head_office)
    answers = answers_for(inspection, "pass", "fail", "pass")
    start, outcomes = threading.Barrier(2), []

    def submit():
        try:
            start.wait()
            inspection_fill(inspection_id=inspection.pk, user=network.head_office, answers=answers, submit=True)
            outcomes.append("submitted")
        except ValidationError as error:
            outcomes.append(error.message_dict["status"][0])
        finally:
            connection.close()

    threads = [threading.Thread(target=submit) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes, key=len)[0] == "submitted"
    assert "a submitted inspection is final" in sorted(outcomes, key=len)[1]
    assert FollowUp.objects.count() == 1


class TestPhotos:
    @pytest.mark.parametrize("kind", list(NOT_IMAGES))
    def test_a_file_that_is_not_an_image_is_refused_whatever_its_name(self, network, inspection, kind, media_root):
        items = list(inspection.template.items.order_by("position"))
        answers = {items[0].pk: Answer("pass", photo=upload(NOT_IMAGES[kind], name="photo.jpg"))}
        with pytest.raises(ValidationError) as refused:
            inspection_fill(inspection_id=inspection.pk, user=network.regional_manager, answers=answers, submit=False)
        message = refused.value.message_dict[answer_field(items[0].pk, "photo")][0]
        assert "not a photo" in message and "JPEG, PNG, WebP or HEIC" in message
        assert not InspectionResult.objects.exists() and not EvidencePhoto.objects.exists()
        assert not media_root.exists() or not any(media_root.rglob("*.*"))

    def test_a_photo_past_the_size_limit_is_refused(self, network, inspection, settings):
        settings.INSPECTION_PHOTO_MAX_BYTES = 100
        items = list(inspection.template.items.order_by("position"))
        with pytest.raises(ValidationError) as refused:
            inspection_fill(
                inspection_id=inspection.pk,
                user=network.regional_manager,
                answers={items[0].pk: Answer("pass", photo=upload())},
                submit=False,
            )
        assert "photos up to" in refused.value.message_dict[answer_field(items[0].pk, "photo")][0]

    def test_the_cameras_location_is_kept_with_its_distance_from_the_dealer(self, network, inspection):
        items = list(inspection.template.items.order_by("position"))
        photo = upload(jpeg_with_location(30.284084, 120.15507, dt.datetime(2026, 11, 12, 10, 30)))
        inspection_fill(
            inspection_id=inspection.pk,
            user=network.regional_manager,
            answers={items[0].pk: Answer("pass", photo=photo)},
            submit=False,
        )
        stored = EvidencePhoto.objects.get()
        assert (stored.gps_latitude, stored.gps_longitude) == (Decimal("30.284084"), Decimal("120.155070"))
        assert stored.gps_distance_km == Decimal("1.112")
        assert timezone.localtime(stored.taken_at).isoformat() == "2026-11-12T10:30:00+08:00"
        assert stored.dealer == network.home_dealer and stored.content_type == "image/jpeg"

    def test_a_photo_is_served_to_its_dealer_and_its_manager_and_not_found_for_another_dealer(
        self, network, client_for
    ):
        done = submitted_inspection(dealer=network.home_dealer, photo=JPEG)
        photo = done.follow_ups.get().result.photo
        url = f"/inspections/photos/{photo.pk}/"
        for user in (network.dealer_user, network.regional_manager):
            response = client_for(user).get(url)
            assert response.status_code == 200
            assert response["Content-Type"] == "image/jpeg" and response["X-Content-Type-Options"] == "nosniff"
            assert b"".join(response.streaming_content) == JPEG
        from tests.factories import UserFactory

        other = UserFactory(role="dealer_user", dealer=network.foreign_dealer)
        assert client_for(other).get(url).status_code == 404
        assert client_for(network.finance_user).get(url).status_code == 403


class TestFollowUps:
    @pytest.fixture
    def follow_up(self, network):
        return submitted_inspection(dealer=network.home_dealer, by=network.regional_manager).follow_ups.get()

    def correct(self, follow_up, user, note="Glass cleaned, staff trained"):
        return follow_up_correct(follow_up_id=follow_up.pk, user=user, note=note, photo=upload())

    def test_the_dealer_corrects_with_a_note_and_a_photo_and_the_manager_accepts(self, network, follow_up):
        corrected = self.correct(follow_up, network.dealer_user)
        assert corrected.status == FollowUpStatus.AWAITING_REVIEW and corrected.closing_photo is not None
        accepted = follow_up_review(follow_up_id=follow_up.pk, user=network.regional_manager, decision=Decision.ACCEPT)
        assert accepted.status == FollowUpStatus.ACCEPTED and accepted.accepted_by == network.regional_manager
        inspection = Inspection.objects.get()
        assert inspection.status == InspectionStatus.CLOSED and inspection.closed_at is not None
        assert [event.action for event in accepted.events.all()] == ["opened", "corrected", "accepted"]

    def test_a_reopened_follow_up_keeps_its_history_and_gets_a_new_deadline(self, network, follow_up):
        self.correct(follow_up, network.dealer_user)
        deadline = today() + dt.timedelta(days=5)
        reopened = follow_up_review(
            follow_up_id=follow_up.pk,
            user=network.regional_manager,
            decision=Decision.REOPEN,
            note="Still dusty",
            deadline=deadline,
        )
        assert reopened.status == FollowUpStatus.OPEN and reopened.deadline == deadline
        events = list(reopened.events.all())
        assert [event.action for event in events] == ["opened", "corrected", "reopened"]
        assert events[1].note == "Glass cleaned, staff trained" and events[1].photo is not None
        assert events[2].by == network.regional_manager and events[2].note == "Still dusty"
        assert Inspection.objects.get().status == InspectionStatus.SUBMITTED

    def test_a_correction_needs_a_note_and_an_image(self, network, follow_up):
        with pytest.raises(ValidationError) as refused:
            follow_up_correct(
                follow_up_id=follow_up.pk, user=network.dealer_user, note=" ", photo=upload(NOT_IMAGES["pdf"])
            )
        assert set(refused.value.message_dict) == {"note", "photo"}
        follow_up.refresh_from_db()
        assert follow_up.status == FollowUpStatus.OPEN and follow_up.events.count() == 1

    def test_reopening_needs_why_and_a_deadline_not_past(self, network, follow_up):
        self.correct(follow_up, network.dealer_user)
        with pytest.raises(ValidationError) as refused:
            follow_up_review(
                follow_up_id=follow_up.pk,
                user=network.regional_manager,
                decision=Decision.REOPEN,
                deadline=today() - dt.timedelta(days=1),
            )
        assert set(refused.value.message_dict) == {"note", "deadline"}

    def test_the_dealer_does_not_review_and_the_manager_does_not_correct(self, network, follow_up):
        with pytest.raises(PermissionDenied):
            self.correct(follow_up, network.regional_manager)
        self.correct(follow_up, network.dealer_user)
        with pytest.raises(PermissionDenied):
            follow_up_review(follow_up_id=follow_up.pk, user=network.dealer_user, decision=Decision.ACCEPT)

    def test_an_accepted_follow_up_is_final(self, network, follow_up):
        self.correct(follow_up, network.dealer_user)
        follow_up_review(follow_up_id=follow_up.pk, user=network.regional_manager, decision=Decision.ACCEPT)
        with pytest.raises(ValidationError) as refused:
            self.correct(follow_up, network.dealer_user)
        assert "status" in refused.value.message_dict
        with pytest.raises(DatabaseError), transaction.atomic():
            FollowUp.objects.filter(pk=follow_up.pk).update(status=FollowUpStatus.OPEN)
