"""Writes of the field inspections: checklist versions, scheduling, the on-site check-in,
filling and submitting (the score), photos, and the follow-ups' correction and review.

Each write is one transaction; a refusal names the field it is about and writes nothing (a
photo file written before a later failure is removed again). The record a write is about is
locked first, so a double tap on "submit" submits once and the second tap is told so."""

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files import File
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from channels.inspections.defaults import DEFAULT_CHECKLISTS
from channels.inspections.models import (
    ChecklistItem,
    ChecklistKind,
    ChecklistTemplate,
    EvidencePhoto,
    FollowUp,
    FollowUpAction,
    FollowUpEvent,
    FollowUpStatus,
    Inspection,
    InspectionResult,
    InspectionStatus,
    Outcome,
)
from channels.inspections.photos import NotAnImage, image_facts, photo_digest, photo_path, photo_write
from channels.models import Dealer, DealerStatus
from channels.planning.geometry import haversine_km
from dealerops.access import can_write, role_of, scope
from dealerops.models import Role, User
from dealerops.validation import today

SCORE_PLACES = Decimal("0.01")
KM_PLACES = Decimal("0.001")
# A check-in or photo farther than this from the dealer's address is flagged on the pages
# (not refused: a phone's position indoors can be off by hundreds of metres).
ON_SITE_KM = Decimal("1.0")


# -- checklists ---------------------------------------------------------------------------------


def checklist_templates_in_force() -> list[ChecklistTemplate]:
    """The newest version of each checklist, in the kinds' order. A network without any gets
    the four default SOPs as version 1 (``channels.inspections.defaults``)."""
    if not ChecklistTemplate.objects.exists():
        checklist_defaults_ensure()
    newest = ChecklistTemplate.objects.order_by("kind", "-version").distinct("kind")
    order = {kind: index for index, kind in enumerate(ChecklistKind.values)}
    return sorted(newest, key=lambda template: order[template.kind])


@transaction.atomic
def checklist_defaults_ensure(*, created_by: User | None = None) -> int:
    """Version 1 of each default checklist that has no version yet; returns how many were made."""
    made = 0
    for kind, (title, days, pass_mark, items) in DEFAULT_CHECKLISTS.items():
        if ChecklistTemplate.objects.filter(kind=kind).exists():
            continue
        template = ChecklistTemplate.objects.create(
            kind=kind, version=1, title=title, follow_up_days=days, pass_mark=pass_mark, created_by=created_by
        )
        ChecklistItem.objects.bulk_create(
            ChecklistItem(template=template, position=position, text=text, criterion=criterion, weight=weight)
            for position, (text, criterion, weight) in enumerate(items, start=1)
        )
        made += 1
    return made


@dataclass(frozen=True)
class ItemSpec:
    text: str
    criterion: str
    weight: Decimal


def checklist_template_publish(
    *,
    kind: str,
    title: str,
    follow_up_days: int,
    pass_mark: Decimal,
    items: list[ItemSpec],
    note: str,
    created_by: User,
) -> ChecklistTemplate:
    """A new version of the ``kind`` checklist (the versions before stay as they were, and so
    do the inspections filled against them). Errors name the field, an item's as
    ``items-<n>-<field>`` (n from 0, as the form's rows)."""
    if not can_write(created_by, ChecklistTemplate):
        raise PermissionDenied(_("Only head office maintains the checklists."))
    errors: dict[str, str] = {}
    if not items:
        errors["items"] = _("A checklist needs at least one item.")
    for index, item in enumerate(items):
        if not item.text.strip():
            errors[f"items-{index}-text"] = _("Say what to check.")
        if not item.criterion.strip():
            errors[f"items-{index}-criterion"] = _("Say what passes.")
        if item.weight is None or item.weight <= 0:
            errors[f"items-{index}-weight"] = _("A weight must be above zero.")
    texts = [item.text.strip() for item in items]
    for index, text in enumerate(texts):
        if text and texts.index(text) != index:
            errors[f"items-{index}-text"] = _("This item is on the checklist already.")
    if errors:
        raise ValidationError(errors)
    try:
        with transaction.atomic():
            # The newest version's row, locked: two publishers of one kind take turns.
            latest = ChecklistTemplate.objects.select_for_update().filter(kind=kind).order_by("-version").first()
            template = ChecklistTemplate(
                kind=kind,
                version=(latest.version if latest else 0) + 1,
                title=title.strip(),
                follow_up_days=follow_up_days,
                pass_mark=pass_mark,
                note=note.strip(),
                created_by=created_by,
            )
            template.full_clean()
            template.save()
            ChecklistItem.objects.bulk_create(
                ChecklistItem(
                    template=template,
                    position=position,
                    text=item.text.strip(),
                    criterion=item.criterion.strip(),
                    weight=item.weight,
                )
                for position, item in enumerate(items, start=1)
            )
    except IntegrityError:  # the first version of a kind, published twice at once
        raise ValidationError({"kind": _("Another version of this checklist was just published: reload it.")}) from None
    return template


# -- scheduling and the check-in ----------------------------------------------------------------


def inspection_schedule(*, user: User, dealer: Dealer, template: ChecklistTemplate, due_on: date) -> Inspection:
    """An inspection of ``dealer`` against ``template`` (the version in force of its kind), due
    on ``due_on``, scheduled by a regional manager of the dealer's region or head office."""
    _require_writer(user)
    if not scope(user, Dealer).filter(pk=dealer.pk).exists():
        raise ValidationError({"dealer": _("This dealer is not in your regions.")})
    errors: dict[str, str] = {}
    if dealer.status == DealerStatus.EXITED:
        errors["dealer"] = _("This dealer has left the network.")
    if due_on < today():
        errors["due_on"] = _("The due date cannot be in the past.")
    newest = ChecklistTemplate.objects.filter(kind=template.kind).order_by("-version").first()
    if newest is not None and newest.pk != template.pk:
        errors["template"] = _("This checklist has a newer version (%(version)s): schedule with it.") % {
            "version": newest.version
        }
    with transaction.atomic():
        # One open inspection of a checklist per dealer: the dealer row is locked, so a double
        # tap on "schedule" makes one.
        Dealer.objects.select_for_update().filter(pk=dealer.pk).first()
        pending = (
            Inspection.objects.filter(dealer=dealer, template__kind=template.kind, status=InspectionStatus.SCHEDULED)
            .order_by("due_on")
            .first()
        )
        if pending is not None and "template" not in errors:
            errors["template"] = _("This dealer already has this inspection scheduled, due on %(due)s.") % {
                "due": pending.due_on.isoformat()
            }
        if errors:
            raise ValidationError(errors)
        return Inspection.objects.create(dealer=dealer, template=template, due_on=due_on, scheduled_by=user)


def inspection_check_in(
    *, inspection_id: int, user: User, latitude: Decimal, longitude: Decimal, accuracy_m: int | None
) -> Inspection:
    """Record where the inspector's browser stood, and its distance from the dealer. Checking
    in again before submitting replaces the position (the last one is the one that counts)."""
    _require_writer(user)
    errors: dict[str, str] = {}
    if latitude is None or not -90 <= latitude <= 90:
        errors["latitude"] = _("The browser gave no valid latitude: allow the page to use your location.")
    if longitude is None or not -180 <= longitude <= 180:
        errors["longitude"] = _("The browser gave no valid longitude: allow the page to use your location.")
    if accuracy_m is not None and accuracy_m < 0:
        errors["accuracy"] = _("The accuracy cannot be negative.")
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        inspection = _locked_inspection(user, inspection_id)
        _refuse_if_submitted(inspection)
        inspection.checked_in_at = timezone.now()
        inspection.check_in_latitude = Decimal(latitude).quantize(Decimal("0.000001"), rounding=ROUND_HALF_UP)
        inspection.check_in_longitude = Decimal(longitude).quantize(Decimal("0.000001"), rounding=ROUND_HALF_UP)
        inspection.check_in_accuracy_m = accuracy_m
        inspection.check_in_distance_km = _distance_km(inspection.dealer, latitude, longitude)
        inspection.save(
            update_fields=[
                "checked_in_at",
                "check_in_latitude",
                "check_in_longitude",
                "check_in_accuracy_m",
                "check_in_distance_km",
                "updated_at",
            ]
        )
    return inspection


# -- filling and submitting ---------------------------------------------------------------------


@dataclass(frozen=True)
class Answer:
    """What the inspector gave for one item: an outcome ("" while a draft), a note, and a new photo."""

    outcome: str = ""
    note: str = ""
    photo: File | None = None


def answer_field(item_id: int, part: str) -> str:
    """The name of an item's field, in the page's form, the API and their errors alike."""
    return f"item-{item_id}-{part}"


def checklist_score(results: Iterable[tuple[Decimal, str]]) -> Decimal | None:
    """The weighted share of passed items among the applicable ones (passed or failed), 0–100
    to the hundredth; None when no item applies."""
    applicable = passed = Decimal(0)
    for weight, outcome in results:
        if outcome in (Outcome.PASS, Outcome.FAIL):
            applicable += weight
            if outcome == Outcome.PASS:
                passed += weight
    if applicable == 0:
        return None
    return (passed * 100 / applicable).quantize(SCORE_PLACES, rounding=ROUND_HALF_UP)


def inspection_fill(*, inspection_id: int, user: User, answers: dict[int, Answer], submit: bool) -> Inspection:
    """Save the answers as a draft, or (``submit``) save them and submit the inspection: every
    item answered, each failure explained, after the check-in. Submitting fixes the score and
    opens one follow-up per failed item, due ``follow_up_days`` after today; with none failed
    the inspection is closed at once. A submitted inspection is final: a second submit (a
    double tap, another phone) is refused, naming when and by whom it was submitted."""
    _require_writer(user)
    with _photos_removed_on_failure() as written, transaction.atomic():
        inspection = _locked_inspection(user, inspection_id)
        _refuse_if_submitted(inspection)
        items = list(inspection.template.items.order_by("position"))
        known = {item.pk for item in items}
        saved = {result.item_id: result for result in inspection.results.select_related("photo")}
        errors: dict[str, str] = {}
        unknown = sorted(set(answers) - known)
        if unknown:
            errors["items"] = _("Items %(ids)s are not on this checklist.") % {
                "ids": ", ".join(str(item_id) for item_id in unknown)
            }
        photos: dict[int, tuple[bytes, str, object]] = {}
        for item in items:
            answer = answers.get(item.pk, Answer())
            if answer.outcome and answer.outcome not in Outcome.values or submit and not answer.outcome:
                errors[answer_field(item.pk, "outcome")] = _("Choose pass, fail or not applicable.")
            if answer.outcome == Outcome.FAIL and not answer.note.strip():
                errors[answer_field(item.pk, "note")] = _(
                    "Say what is wrong: the note tells the dealer what to correct."
                )
            if len(answer.note) > 1000:
                errors[answer_field(item.pk, "note")] = _("A note holds at most 1,000 characters.")
            if answer.photo is not None:
                try:
                    photos[item.pk] = _photo_checked(answer.photo)
                except ValidationError as refusal:
                    errors[answer_field(item.pk, "photo")] = refusal.messages[0]
        if submit and inspection.checked_in_at is None:
            errors["check_in"] = _("Check in on site before submitting: the check-in records where you are.")
        if submit and not errors and checklist_score((item.weight, answers[item.pk].outcome) for item in items) is None:
            errors["items"] = _("Every item is marked not applicable: at least one must be passed or failed.")
        if errors:
            raise ValidationError(errors)

        replaced: list[EvidencePhoto] = []
        results = []
        for item in items:
            answer = answers.get(item.pk, Answer())
            result = saved.get(item.pk) or InspectionResult(inspection=inspection, item=item)
            result.outcome, result.note = answer.outcome, answer.note.strip()
            if item.pk in photos:
                if result.photo is not None:
                    replaced.append(result.photo)
                result.photo = _photo_store(photos[item.pk], dealer=inspection.dealer, user=user, written=written)
            result.save()
            results.append(result)
        for photo in replaced:  # a draft's photo taken again: the first one is no evidence of anything
            stored = photo_path(photo.stored_as)
            photo.delete()
            transaction.on_commit(lambda stored=stored: stored.unlink(missing_ok=True))
        if submit:
            _submit(inspection, items, results, user)
    return inspection


def _submit(inspection: Inspection, items: list[ChecklistItem], results: list[InspectionResult], user: User) -> None:
    now = timezone.now()
    weights = {item.pk: item.weight for item in items}
    score = checklist_score((weights[result.item_id], result.outcome) for result in results)
    failed = [result for result in results if result.outcome == Outcome.FAIL]
    inspection.status = InspectionStatus.SUBMITTED if failed else InspectionStatus.CLOSED
    inspection.submitted_at, inspection.submitted_by = now, user
    inspection.score, inspection.passed = score, score >= inspection.template.pass_mark
    inspection.failed_items = len(failed)
    inspection.closed_at = None if failed else now
    inspection.save()
    deadline = timezone.localdate(now) + timedelta(days=inspection.template.follow_up_days)
    follow_ups = FollowUp.objects.bulk_create(
        FollowUp(inspection=inspection, result=result, dealer_id=inspection.dealer_id, deadline=deadline)
        for result in failed
    )
    FollowUpEvent.objects.bulk_create(
        FollowUpEvent(
            follow_up=follow_up,
            action=FollowUpAction.OPENED,
            by=user,
            at=now,
            note=result.note,
            photo=result.photo,
            deadline=deadline,
        )
        for follow_up, result in zip(follow_ups, failed, strict=True)
    )


# -- follow-ups ---------------------------------------------------------------------------------


def follow_up_correct(*, follow_up_id: int, user: User, note: str, photo: File | None) -> FollowUp:
    """The dealer shows the correction of a follow-up: what was done and a photo of it. The
    follow-up then awaits the manager's review."""
    with _photos_removed_on_failure() as written, transaction.atomic():
        follow_up = _locked_follow_up(user, follow_up_id)
        if role_of(user) not in (Role.DEALER_USER, Role.HEAD_OFFICE):
            raise PermissionDenied(_("The dealer corrects its follow-ups; the regional manager reviews them."))
        errors: dict[str, str] = {}
        if follow_up.status != FollowUpStatus.OPEN:
            errors["status"] = _("This follow-up is %(status)s: it is not open for a correction.") % {
                "status": follow_up.get_status_display()
            }
        if not note.strip():
            errors["note"] = _("Say what was corrected.")
        elif len(note) > 1000:
            errors["note"] = _("A note holds at most 1,000 characters.")
        checked = None
        if photo is None:
            errors["photo"] = _("Add a photo that shows the correction.")
        else:
            try:
                checked = _photo_checked(photo)
            except ValidationError as refusal:
                errors["photo"] = refusal.messages[0]
        if errors:
            raise ValidationError(errors)
        now = timezone.now()
        follow_up.closing_photo = _photo_store(checked, dealer=follow_up.dealer, user=user, written=written)
        follow_up.status = FollowUpStatus.AWAITING_REVIEW
        follow_up.closing_note, follow_up.closed_at, follow_up.closed_by = note.strip(), now, user
        follow_up.save()
        FollowUpEvent.objects.create(
            follow_up=follow_up,
            action=FollowUpAction.CORRECTED,
            by=user,
            at=now,
            note=follow_up.closing_note,
            photo=follow_up.closing_photo,
        )
    return follow_up


class Decision:
    ACCEPT = "accept"
    REOPEN = "reopen"


def follow_up_review(
    *, follow_up_id: int, user: User, decision: str, note: str = "", deadline: date | None = None
) -> FollowUp:
    """The manager accepts a correction (final; the inspection closes once all its follow-ups
    are accepted) or reopens the follow-up with what is still wrong and a new deadline."""
    with transaction.atomic():
        follow_up = _locked_follow_up(user, follow_up_id)
        if role_of(user) not in (Role.REGIONAL_MANAGER, Role.HEAD_OFFICE):
            raise PermissionDenied(_("The regional manager reviews the corrections."))
        errors: dict[str, str] = {}
        if decision not in (Decision.ACCEPT, Decision.REOPEN):
            errors["decision"] = _("Accept the correction or reopen the follow-up.")
        elif follow_up.status != FollowUpStatus.AWAITING_REVIEW:
            errors["decision"] = _("This follow-up is %(status)s: only a correction awaiting review is reviewed.") % {
                "status": follow_up.get_status_display()
            }
        if decision == Decision.REOPEN:
            if not note.strip():
                errors["note"] = _("Say what is still wrong.")
            if deadline is None:
                errors["deadline"] = _("Give the new deadline.")
            elif deadline < today():
                errors["deadline"] = _("The new deadline cannot be in the past.")
        if len(note) > 1000:
            errors["note"] = _("A note holds at most 1,000 characters.")
        if errors:
            raise ValidationError(errors)
        now = timezone.now()
        if decision == Decision.ACCEPT:
            follow_up.status, follow_up.accepted_at, follow_up.accepted_by = FollowUpStatus.ACCEPTED, now, user
            follow_up.save()
            FollowUpEvent.objects.create(
                follow_up=follow_up, action=FollowUpAction.ACCEPTED, by=user, at=now, note=note.strip()
            )
            _close_when_all_accepted(follow_up.inspection_id, now)
        else:
            # The correction stays in the history (its event); the follow-up is open again.
            follow_up.status, follow_up.deadline = FollowUpStatus.OPEN, deadline
            follow_up.closing_note, follow_up.closing_photo = "", None
            follow_up.closed_at = follow_up.closed_by = None
            follow_up.save()
            FollowUpEvent.objects.create(
                follow_up=follow_up,
                action=FollowUpAction.REOPENED,
                by=user,
                at=now,
                note=note.strip(),
                deadline=deadline,
            )
    return follow_up


def _close_when_all_accepted(inspection_id: int, now) -> None:
    still_open = FollowUp.objects.filter(inspection_id=inspection_id).exclude(status=FollowUpStatus.ACCEPTED)
    if not still_open.exists():
        Inspection.objects.filter(pk=inspection_id, status=InspectionStatus.SUBMITTED).update(
            status=InspectionStatus.CLOSED, closed_at=now, updated_at=now
        )


# -- shared -------------------------------------------------------------------------------------


def _require_writer(user: User) -> None:
    if not can_write(user, Inspection):
        raise PermissionDenied(_("Regional managers and head office schedule and fill inspections."))


def _locked_inspection(user: User, inspection_id: int) -> Inspection:
    """The inspection, locked for this transaction, if the user may see it (else not found)."""
    inspection = (
        scope(user, Inspection)
        .select_for_update(of=("self",))
        .select_related("dealer", "template")
        .filter(pk=inspection_id)
    ).first()
    if inspection is None:
        raise Inspection.DoesNotExist(f"inspection {inspection_id}")
    return inspection


def _locked_follow_up(user: User, follow_up_id: int) -> FollowUp:
    follow_up = (
        scope(user, FollowUp).select_for_update(of=("self",)).select_related("dealer").filter(pk=follow_up_id)
    ).first()
    if follow_up is None:
        raise FollowUp.DoesNotExist(f"follow-up {follow_up_id}")
    return follow_up


def _refuse_if_submitted(inspection: Inspection) -> None:
    if inspection.submitted_at is not None:
        raise ValidationError(
            {
                "status": _("This inspection was submitted on %(when)s by %(who)s: a submitted inspection is final.")
                % {
                    "when": timezone.localtime(inspection.submitted_at).strftime("%Y-%m-%d %H:%M"),
                    "who": inspection.submitted_by.get_full_name() or inspection.submitted_by.username,
                }
            }
        )


def _distance_km(dealer: Dealer, latitude, longitude) -> Decimal:
    distance = float(haversine_km(float(dealer.latitude), float(dealer.longitude), float(latitude), float(longitude)))
    return Decimal(str(distance)).quantize(KM_PLACES, rounding=ROUND_HALF_UP)


def _photo_checked(upload: File) -> tuple[bytes, str, object]:
    """The photo's bytes, its file name and what they are, or a ValidationError saying why
    it is refused: too large, empty, or not an image by its content (whatever its name)."""
    limit = settings.INSPECTION_PHOTO_MAX_BYTES
    if upload.size is not None and upload.size > limit:
        raise ValidationError(
            _("The photo is %(size)s MB; photos up to %(limit)s MB are accepted.")
            % {"size": f"{upload.size / 1024 / 1024:.1f}", "limit": f"{limit / 1024 / 1024:g}"}
        )
    content = upload.read(limit + 1)
    if len(content) > limit:
        raise ValidationError(
            _("The photo is larger than %(limit)s MB, the limit for a photo.") % {"limit": f"{limit / 1024 / 1024:g}"}
        )
    if not content:
        raise ValidationError(_("The photo is empty."))
    try:
        facts = image_facts(content)
    except NotAnImage:
        raise ValidationError(
            _("This file is not a photo (judged by its content, not its name): upload a JPEG, PNG, WebP or HEIC image.")
        ) from None
    return content, (getattr(upload, "name", "") or "")[:200], facts


def _photo_store(checked, *, dealer: Dealer, user: User, written: list[Path]) -> EvidencePhoto:
    content, name, facts = checked
    stored_as = photo_write(content=content, dealer_id=dealer.pk, extension=facts.extension)
    written.append(photo_path(stored_as))
    located = facts.latitude is not None
    return EvidencePhoto.objects.create(
        dealer=dealer,
        stored_as=stored_as,
        content_type=facts.content_type,
        size_bytes=len(content),
        sha256=photo_digest(content),
        original_name=name,
        gps_latitude=facts.latitude,
        gps_longitude=facts.longitude,
        gps_distance_km=_distance_km(dealer, facts.latitude, facts.longitude) if located else None,
        taken_at=timezone.make_aware(facts.taken_at) if facts.taken_at else None,
        uploaded_by=user,
    )


@contextmanager
def _photos_removed_on_failure() -> Iterator[list[Path]]:
    """The list photo writes add their files to; if the write fails after all (its
    transaction rolls back), the files go too."""
    written: list[Path] = []
    try:
        yield written
    except BaseException:
        for path in written:
            path.unlink(missing_ok=True)
        raise
