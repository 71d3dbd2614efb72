"""The field inspections of a generated network: the four default SOP checklists, and for
every dealer a few inspections of the last six months as its region's manager filled them
(scored by the service's own formula), their follow-ups in every state (open, overdue,
awaiting review, accepted, once reopened), and the inspections due in the coming weeks and a
few overdue ones. The corrections' photos are tiny generated PNGs, written under fixed names
(``inspections/demo/<database>/<dealer code>-<result id>-<round>.png``): a new demo network
overwrites them rather than leaving the old ones behind, and touches no other database's.

A random stream of its own (``[seed, 14]``): the other generators' draws stay as they were."""

from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal

import numpy as np
from django.contrib.auth.hashers import make_password
from django.db import connection, transaction
from django.utils import timezone

from channels.inspections.models import (
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
from channels.inspections.photos import photo_digest, photo_path
from channels.inspections.services import checklist_score, checklist_templates_in_force
from channels.models import Dealer, DealerStatus, Region
from channels.planning.geometry import haversine_km
from dealerops.models import Role, User
from dealerops.synthetic.images import png_image
from dealerops.synthetic.spec import NetworkSpec

STREAM = 14  # this generator's random stream, beside the network's seed
PAST_DAYS = 180
FINDINGS = [
    "现场未达到标准要求",
    "抽查两次均未做到",
    "记录缺失，无法提供",
    "部分达标，仍有明显差距",
    "员工不清楚该项要求",
    "物料陈旧，与最新标准不符",
]
CORRECTIONS = [
    "已完成整改并组织全员培训",
    "已按标准重新布置，附整改后照片",
    "已补齐记录并指定专人每日检查",
    "已更换相关物料，店长复核通过",
]
REOPENINGS = ["照片未体现整改结果，请补充", "仍未完全达标，请继续整改"]


def inspections_build(spec: NetworkSpec) -> int:
    """Write the demo's inspections; returns the rows written (inspections, results, follow-ups)."""
    rng = np.random.default_rng([spec.seed, STREAM])
    templates = checklist_templates_in_force()
    items = {template.pk: list(template.items.order_by("position")) for template in templates}
    dealers = list(Dealer.objects.exclude(status=DealerStatus.EXITED).order_by("id"))
    inspector = _inspectors()
    staff = _dealer_staff(dealers)
    with transaction.atomic():
        return _build(rng, spec.end_date, templates, items, dealers, inspector, staff)


def _build(rng, end: date, templates, items, dealers, inspector, staff) -> int:
    planned, answers = [], []
    for dealer in dealers:
        quality = rng.beta(8, 2)  # the share of checks this dealer passes
        for back in sorted(rng.choice(np.arange(7, PAST_DAYS), size=rng.integers(1, 4), replace=False))[::-1]:
            template = templates[int(rng.integers(len(templates)))]
            done = end - timedelta(days=int(back))
            outcomes = rng.choice(
                [Outcome.PASS, Outcome.FAIL, Outcome.NOT_APPLICABLE],
                size=len(items[template.pk]),
                p=[quality * 0.95, (1 - quality) * 0.95, 0.05],
            )
            outcomes[0] = Outcome.PASS if outcomes[0] == Outcome.NOT_APPLICABLE else outcomes[0]  # one applies
            planned.append((dealer, template, done + timedelta(days=int(rng.integers(0, 4))), done))
            answers.append([str(outcome) for outcome in outcomes])
        if rng.random() < 0.35:  # due in the coming weeks
            template = templates[int(rng.integers(len(templates)))]
            planned.append((dealer, template, end + timedelta(days=int(rng.integers(1, 21))), None))
            answers.append(None)
        elif rng.random() < 0.08:  # left past its due date
            template = templates[int(rng.integers(len(templates)))]
            planned.append((dealer, template, end - timedelta(days=int(rng.integers(1, 10))), None))
            answers.append(None)

    # On site: within a few hundred metres of the dealer's address.
    latitudes = np.array([float(dealer.latitude) for dealer, *_ in planned]) + rng.normal(0, 0.002, len(planned))
    longitudes = np.array([float(dealer.longitude) for dealer, *_ in planned]) + rng.normal(0, 0.002, len(planned))
    distances = haversine_km(
        [float(dealer.latitude) for dealer, *_ in planned],
        [float(dealer.longitude) for dealer, *_ in planned],
        latitudes,
        longitudes,
    )
    inspections = Inspection.objects.bulk_create(
        Inspection(
            dealer=dealer,
            template=template,
            due_on=due_on,
            scheduled_by=inspector[dealer.region_id],
            **(
                {
                    "checked_in_at": _at(done, 9 + index % 6),
                    "check_in_latitude": _decimal(latitudes[index], 6),
                    "check_in_longitude": _decimal(longitudes[index], 6),
                    "check_in_accuracy_m": int(rng.integers(8, 60)),
                    "check_in_distance_km": _decimal(distances[index], 3),
                }
                if done is not None
                else {}
            ),
        )
        for index, (dealer, template, due_on, done) in enumerate(planned)
    )
    # Scheduled two weeks before they were due (auto_now_add wrote today).
    for inspection in inspections:
        inspection.created_at = _at(inspection.due_on - timedelta(days=14), 10)
    Inspection.objects.bulk_update(inspections, ["created_at"])

    results = InspectionResult.objects.bulk_create(
        InspectionResult(
            inspection=inspection,
            item=item,
            outcome=outcome,
            note=FINDINGS[int(rng.integers(len(FINDINGS)))] if outcome == Outcome.FAIL else "",
        )
        for inspection, outcomes in zip(inspections, answers, strict=True)
        if outcomes is not None
        for item, outcome in zip(items[inspection.template_id], outcomes, strict=True)
    )
    failed_of: dict[int, list[InspectionResult]] = {}
    for result in results:
        if result.outcome == Outcome.FAIL:
            failed_of.setdefault(result.inspection_id, []).append(result)

    follow_ups, events, photos = [], [], []
    submitted = []
    for inspection, (dealer, template, _due, done), outcomes in zip(inspections, planned, answers, strict=True):
        if outcomes is None:
            continue
        weights = [item.weight for item in items[template.pk]]
        inspection.score = checklist_score(zip(weights, outcomes, strict=True))
        inspection.passed = inspection.score >= template.pass_mark
        inspection.submitted_at = inspection.checked_in_at + timedelta(minutes=int(rng.integers(40, 120)))
        inspection.submitted_by = inspector[dealer.region_id]
        failed = failed_of.get(inspection.pk, [])
        inspection.failed_items = len(failed)
        deadline = done + timedelta(days=template.follow_up_days)
        closed_at = inspection.submitted_at  # the last acceptance, when every follow-up is accepted
        for result in failed:
            follow_up, its_events, its_photos = _follow_up(
                rng, inspection, result, deadline, end, staff[dealer.pk], inspector[dealer.region_id]
            )
            if closed_at is not None:
                closed_at = max(closed_at, follow_up.accepted_at) if follow_up.accepted_at else None
            follow_ups.append(follow_up)
            events.append(its_events)
            photos.extend(its_photos)
        inspection.status = InspectionStatus.CLOSED if closed_at is not None else InspectionStatus.SUBMITTED
        inspection.closed_at = closed_at
        submitted.append(inspection)
    EvidencePhoto.objects.bulk_create(photos)
    Inspection.objects.bulk_update(
        submitted, ["status", "submitted_at", "submitted_by", "score", "passed", "failed_items", "closed_at"]
    )
    FollowUp.objects.bulk_create(follow_ups)
    for follow_up, its_events in zip(follow_ups, events, strict=True):
        for event in its_events:
            event.follow_up = follow_up
    FollowUpEvent.objects.bulk_create(event for its_events in events for event in its_events)
    return len(inspections) + len(results) + len(follow_ups)


def _follow_up(rng, inspection, result, deadline, end, corrector, manager):
    """A failed item's follow-up as it stands at ``end``, with its history."""
    opened = inspection.submitted_at
    events = [FollowUpEvent(action=FollowUpAction.OPENED, by=manager, at=opened, note=result.note, deadline=deadline)]
    follow_up = FollowUp(
        inspection=inspection, result=result, dealer_id=inspection.dealer_id, deadline=deadline, status="open"
    )
    photos = []
    elapsed = (end - timezone.localdate(opened)).days
    # The older the inspection, the likelier its follow-up has been dealt with.
    stage = rng.random() * min(1.0, elapsed / 45)
    if stage < 0.15:
        return follow_up, events, photos  # open (overdue once its deadline passed)
    corrected = opened + timedelta(days=int(rng.integers(1, max(2, min(elapsed, 12)))), hours=3)
    if stage > 0.85 and elapsed > 20:
        # Reopened once, then corrected again.
        first = _photo(inspection.dealer, corrector, corrected, f"{result.pk}-1")
        photos.append(first)
        events.append(_event(FollowUpAction.CORRECTED, corrector, corrected, CORRECTIONS[0], photo=first))
        reopened = corrected + timedelta(days=1)
        follow_up.deadline = timezone.localdate(reopened) + timedelta(days=7)
        reason = REOPENINGS[int(rng.integers(len(REOPENINGS)))]
        events.append(_event(FollowUpAction.REOPENED, manager, reopened, reason, deadline=follow_up.deadline))
        corrected = reopened + timedelta(days=3)
    note = CORRECTIONS[int(rng.integers(len(CORRECTIONS)))]
    photo = _photo(inspection.dealer, corrector, corrected, f"{result.pk}-{len(photos) + 1}")
    photos.append(photo)
    events.append(_event(FollowUpAction.CORRECTED, corrector, corrected, note, photo=photo))
    follow_up.status = FollowUpStatus.AWAITING_REVIEW
    follow_up.closing_note, follow_up.closing_photo = note, photo
    follow_up.closed_at, follow_up.closed_by = corrected, corrector
    if stage > 0.4:
        accepted = corrected + timedelta(days=1)
        follow_up.status, follow_up.accepted_at, follow_up.accepted_by = FollowUpStatus.ACCEPTED, accepted, manager
        events.append(_event(FollowUpAction.ACCEPTED, manager, accepted, ""))
    return follow_up, events, photos


def _event(action, by, at, note, *, photo=None, deadline=None) -> FollowUpEvent:
    return FollowUpEvent(action=action, by=by, at=at, note=note, photo=photo, deadline=deadline)


def _photo(dealer: Dealer, user: User, at: datetime, name: str) -> EvidencePhoto:
    content = _placeholder_png(dealer.pk)
    stored_as = f"inspections/demo/{connection.settings_dict['NAME']}/{dealer.code}-{name}.png"
    path = photo_path(stored_as)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    return EvidencePhoto(
        dealer=dealer,
        stored_as=stored_as,
        content_type="image/png",
        size_bytes=len(content),
        sha256=photo_digest(content),
        original_name="整改照片.png",
        uploaded_by=user,
        taken_at=at,
    )


def _placeholder_png(seed: int, width: int = 48, height: int = 36) -> bytes:
    """A small gradient PNG (a stand-in for a phone's photo)."""
    base = (seed * 53) % 200
    return png_image(width, height, lambda x, y: ((base + 2 * x) % 256, (90 + 3 * y) % 256, 160))


def _inspectors() -> dict[int, User]:
    """Each region's inspector: a regional manager of the region, else head office's admin."""
    admin = (
        User.objects.filter(is_superuser=True).order_by("id").first()
        or User.objects.filter(role=Role.HEAD_OFFICE).order_by("id").first()
    )
    by_region = {}
    for manager in User.objects.filter(role=Role.REGIONAL_MANAGER).order_by("id").prefetch_related("regions"):
        for region in manager.regions.all():
            by_region.setdefault(region.pk, manager)
    return {region: by_region.get(region, admin) for region in Region.objects.values_list("pk", flat=True)}


def _dealer_staff(dealers: list[Dealer]) -> dict[int, User]:
    """Who corrected each dealer's follow-ups: its demo user, or a staff account of the dealer
    that cannot sign in (the demo has one dealer log-in)."""
    existing = {user.dealer_id: user for user in User.objects.filter(role=Role.DEALER_USER).order_by("id")}
    missing = [
        User(
            username=f"staff-{dealer.code.lower()}",
            role=Role.DEALER_USER,
            dealer=dealer,
            password=make_password(None),
        )
        for dealer in dealers
        if dealer.pk not in existing
    ]
    for user in User.objects.bulk_create(missing):
        existing[user.dealer_id] = user
    return existing


def _at(day: date, hour: int) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(hour)))


def _decimal(value: float, places: int) -> Decimal:
    return Decimal(str(float(value))).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
