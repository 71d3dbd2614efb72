"""Field inspections: the SOP checklists head office keeps (versioned), the inspections a
regional manager schedules and fills on a phone, their items' results and photos, and the
follow-up actions a failed item leaves the dealer.

Imported by ``channels.models``: they are the channels app's models."""

from decimal import Decimal

import pgtrigger
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from channels.models import LATITUDE_VALIDATORS, LONGITUDE_VALIDATORS, Dealer
from dealerops.indexes import sort_indexes

COORDINATE = {"max_digits": 9, "decimal_places": 6}
SCORE = {"max_digits": 5, "decimal_places": 2}
# What an inspection's final state freezes: every column but these (see Inspection.Meta.triggers).
CHANGES_AFTER_SUBMISSION = ("status", "closed_at", "updated_at")


class ChecklistKind(models.TextChoices):
    SHOWROOM = "showroom", _("Showroom")
    TEST_DRIVE = "test_drive", pgettext_lazy("checklist", "Test drive")  # not the lead outcome "test-drove"
    DELIVERY = "delivery", _("Delivery")
    AFTER_SALES = "after_sales", _("After-sales")


class ChecklistTemplate(models.Model):
    """One version of an SOP checklist. Versions are never edited: a change is a new version
    of the same kind, and every inspection names the version it was filled against."""

    kind = models.CharField(_("checklist"), max_length=16, choices=ChecklistKind.choices)
    version = models.PositiveIntegerField(_("version"))
    title = models.CharField(_("title"), max_length=120)
    follow_up_days = models.PositiveSmallIntegerField(
        _("days to correct"),
        default=14,
        validators=[MinValueValidator(1), MaxValueValidator(90)],
        help_text=_("A failed item's follow-up is due this many days after the inspection is submitted."),
    )
    pass_mark = models.DecimalField(
        _("pass mark"),
        default=Decimal("80.00"),
        validators=[MinValueValidator(0), MaxValueValidator(100)],
        help_text=_("An inspection scoring at least this passes."),
        **SCORE,
    )
    note = models.CharField(_("what changed"), max_length=200, blank=True)
    created_by = models.ForeignKey(
        "dealerops.User", verbose_name=_("created by"), null=True, blank=True, on_delete=models.SET_NULL
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["kind", "-version"]
        verbose_name = _("checklist template")
        verbose_name_plural = _("checklist templates")
        constraints = [
            models.UniqueConstraint(fields=["kind", "version"], name="checklist_template_one_per_kind_version"),
            models.CheckConstraint(
                name="checklist_template_follow_up_days_1_to_90",
                condition=Q(follow_up_days__gte=1, follow_up_days__lte=90),
                violation_error_message=_("A follow-up is due 1 to 90 days after the inspection."),
            ),
            models.CheckConstraint(
                name="checklist_template_pass_mark_0_to_100",
                condition=Q(pass_mark__gte=0, pass_mark__lte=100),
                violation_error_message=_("The pass mark lies between 0 and 100."),
            ),
        ]
        triggers = [pgtrigger.Protect(name="checklist_template_versions_are_final", operation=pgtrigger.Update)]

    def __str__(self) -> str:
        return gettext("%(title)s (version %(version)s)") % {"title": self.title, "version": self.version}

    def get_absolute_url(self) -> str:
        return reverse("channels:inspection-template-detail", args=[self.pk])


class ChecklistItem(models.Model):
    """One check of a template version: what to look at, what passes, and its weight in the score."""

    template = models.ForeignKey(
        ChecklistTemplate, verbose_name=_("checklist template"), on_delete=models.CASCADE, related_name="items"
    )
    position = models.PositiveSmallIntegerField(_("position"))
    text = models.CharField(_("item"), max_length=200)
    criterion = models.CharField(_("pass criterion"), max_length=300)
    weight = models.DecimalField(
        _("weight"), max_digits=5, decimal_places=2, validators=[MinValueValidator(Decimal("0.01"))]
    )

    class Meta:
        ordering = ["template", "position"]
        verbose_name = _("checklist item")
        verbose_name_plural = _("checklist items")
        constraints = [
            models.UniqueConstraint(fields=["template", "position"], name="checklist_item_one_per_position"),
            models.CheckConstraint(
                name="checklist_item_weight_positive",
                condition=Q(weight__gt=0),
                violation_error_message=_("A weight must be above zero."),
            ),
        ]
        triggers = [pgtrigger.Protect(name="checklist_item_versions_are_final", operation=pgtrigger.Update)]

    def __str__(self) -> str:
        return f"{self.position}. {self.text}"


class InspectionStatus(models.TextChoices):
    SCHEDULED = "scheduled", _("Scheduled")
    SUBMITTED = "submitted", _("Follow-ups open")
    CLOSED = "closed", _("Closed")


# Once submitted, an inspection's results and check-in stay as they were: only its closing may
# still change. The row is compared whole (as JSON) without those columns, so a column added
# tomorrow is frozen too.
_UNFROZEN = " - ".join(f"'{name}'" for name in CHANGES_AFTER_SUBMISSION)
FINAL_ONCE_SUBMITTED = f"""
IF OLD.submitted_at IS NOT NULL AND (to_jsonb(NEW) - {_UNFROZEN}) IS DISTINCT FROM (to_jsonb(OLD) - {_UNFROZEN}) THEN
  RAISE EXCEPTION 'inspection %: a submitted inspection is final', OLD.id USING ERRCODE = '23514';
END IF;
RETURN NEW;
"""


class Inspection(models.Model):
    """A dealer's inspection against one checklist version: scheduled with a due date, checked
    in on site (the browser's position and its distance from the dealer), filled, and submitted
    once, which fixes its score. Failed items become follow-ups; when all are accepted the
    inspection is closed."""

    dealer = models.ForeignKey(Dealer, verbose_name=_("dealer"), on_delete=models.PROTECT, related_name="inspections")
    template = models.ForeignKey(
        ChecklistTemplate, verbose_name=_("checklist"), on_delete=models.PROTECT, related_name="inspections"
    )
    due_on = models.DateField(_("due on"))
    status = models.CharField(
        _("status"), max_length=16, choices=InspectionStatus.choices, default=InspectionStatus.SCHEDULED
    )
    scheduled_by = models.ForeignKey(
        "dealerops.User", verbose_name=_("scheduled by"), on_delete=models.PROTECT, related_name="+"
    )
    checked_in_at = models.DateTimeField(_("checked in at"), null=True, blank=True)
    check_in_latitude = models.DecimalField(
        _("check-in latitude"), null=True, blank=True, validators=LATITUDE_VALIDATORS, **COORDINATE
    )
    check_in_longitude = models.DecimalField(
        _("check-in longitude"), null=True, blank=True, validators=LONGITUDE_VALIDATORS, **COORDINATE
    )
    check_in_accuracy_m = models.PositiveIntegerField(_("position accuracy (m)"), null=True, blank=True)
    check_in_distance_km = models.DecimalField(
        _("distance from the dealer (km)"), max_digits=8, decimal_places=3, null=True, blank=True
    )
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    submitted_by = models.ForeignKey(
        "dealerops.User",
        verbose_name=_("submitted by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    score = models.DecimalField(_("score"), null=True, blank=True, **SCORE)
    passed = models.BooleanField(_("passed"), null=True, blank=True)
    failed_items = models.PositiveSmallIntegerField(_("failed items"), null=True, blank=True)
    closed_at = models.DateTimeField(_("time closed"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        ordering = ["-due_on", "-id"]
        verbose_name = _("inspection")
        verbose_name_plural = _("inspections")
        indexes = [
            models.Index(fields=["status", "due_on"]),
            *sort_indexes("dealer", "due_on", "submitted_at", "score"),
        ]
        constraints = [
            models.CheckConstraint(
                name="inspection_submitted_has_score",
                condition=Q(
                    status=InspectionStatus.SCHEDULED,
                    submitted_at__isnull=True,
                    score__isnull=True,
                    failed_items__isnull=True,
                )
                | Q(
                    ~Q(status=InspectionStatus.SCHEDULED),
                    submitted_at__isnull=False,
                    submitted_by__isnull=False,
                    score__isnull=False,
                    passed__isnull=False,
                    failed_items__isnull=False,
                    checked_in_at__isnull=False,
                ),
                violation_error_message=_("A submitted inspection has its check-in, its score and who submitted it."),
            ),
            models.CheckConstraint(
                name="inspection_closed_dated",
                condition=Q(status=InspectionStatus.CLOSED, closed_at__isnull=False)
                | (~Q(status=InspectionStatus.CLOSED) & Q(closed_at__isnull=True)),
                violation_error_message=_("A closed inspection records when it was closed."),
            ),
            models.CheckConstraint(
                name="inspection_score_0_to_100",
                condition=Q(score__isnull=True) | Q(score__gte=0, score__lte=100),
                violation_error_message=_("The score lies between 0 and 100."),
            ),
            models.CheckConstraint(
                name="inspection_check_in_whole",
                condition=Q(
                    checked_in_at__isnull=True,
                    check_in_latitude__isnull=True,
                    check_in_longitude__isnull=True,
                    check_in_distance_km__isnull=True,
                )
                | Q(
                    checked_in_at__isnull=False,
                    check_in_latitude__gte=-90,
                    check_in_latitude__lte=90,
                    check_in_longitude__gte=-180,
                    check_in_longitude__lte=180,
                    check_in_distance_km__gte=0,
                ),
                violation_error_message=_("A check-in records a valid position and its distance from the dealer."),
            ),
        ]
        triggers = [
            pgtrigger.Trigger(
                name="inspection_final_once_submitted",
                when=pgtrigger.Before,
                operation=pgtrigger.Update,
                func=pgtrigger.Func(FINAL_ONCE_SUBMITTED),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.dealer.name} · {self.template.title} · {self.due_on}"

    def get_absolute_url(self) -> str:
        return reverse("channels:inspection-detail", args=[self.pk])


class Outcome(models.TextChoices):
    PASS = "pass", _("Pass")
    FAIL = "fail", _("Fail")
    NOT_APPLICABLE = "na", _("Not applicable")


class EvidencePhoto(models.Model):
    """A photo taken as evidence (of an item, or of a follow-up's correction), stored under
    MEDIA_ROOT and served only through its scoped page, never as a public file. Checked to be
    an image by its bytes; the location the camera wrote into it is kept, with its distance
    from the dealer."""

    dealer = models.ForeignKey(Dealer, verbose_name=_("dealer"), on_delete=models.PROTECT, related_name="+")
    stored_as = models.CharField(_("stored as"), max_length=200, unique=True)
    content_type = models.CharField(_("image type"), max_length=32)
    size_bytes = models.PositiveIntegerField(_("size (bytes)"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    original_name = models.CharField(_("file name"), max_length=200, blank=True)
    gps_latitude = models.DecimalField(
        _("photo latitude"), null=True, blank=True, validators=LATITUDE_VALIDATORS, **COORDINATE
    )
    gps_longitude = models.DecimalField(
        _("photo longitude"), null=True, blank=True, validators=LONGITUDE_VALIDATORS, **COORDINATE
    )
    gps_distance_km = models.DecimalField(
        _("photo distance from the dealer (km)"), max_digits=8, decimal_places=3, null=True, blank=True
    )
    taken_at = models.DateTimeField(_("taken at (camera clock)"), null=True, blank=True)
    uploaded_by = models.ForeignKey(
        "dealerops.User", verbose_name=_("uploaded by"), on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)

    class Meta:
        ordering = ["-uploaded_at", "-id"]
        verbose_name = _("evidence photo")
        verbose_name_plural = _("evidence photos")
        constraints = [
            models.CheckConstraint(
                name="evidence_photo_location_whole",
                condition=Q(gps_latitude__isnull=True, gps_longitude__isnull=True, gps_distance_km__isnull=True)
                | Q(
                    gps_latitude__gte=-90,
                    gps_latitude__lte=90,
                    gps_longitude__gte=-180,
                    gps_longitude__lte=180,
                    gps_distance_km__gte=0,
                ),
                violation_error_message=_("A photo's location is a valid position with its distance from the dealer."),
            ),
        ]
        # Evidence: what was uploaded stays as it was.
        triggers = [pgtrigger.Protect(name="evidence_photo_unchanged", operation=pgtrigger.Update)]

    def __str__(self) -> str:
        return f"#{self.pk} {self.content_type}"

    def get_absolute_url(self) -> str:
        return reverse("channels:inspection-photo", args=[self.pk])

    @property
    def shows_in_browser(self) -> bool:
        """Browsers draw JPEG, PNG and WebP; an iPhone's HEIC is offered as a download."""
        return self.content_type != "image/heic"


# Results of a submitted inspection cannot be written any more (its score is computed from them).
RESULT_FROZEN = """
IF EXISTS (
  SELECT 1 FROM channels_inspection i
  WHERE i.id = (CASE WHEN TG_OP = 'DELETE' THEN OLD.inspection_id ELSE NEW.inspection_id END)
    AND i.submitted_at IS NOT NULL
) THEN
  RAISE EXCEPTION 'the results of a submitted inspection are final' USING ERRCODE = '23514';
END IF;
IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
RETURN NEW;
"""


class InspectionResult(models.Model):
    """One item of an inspection as the manager found it: its outcome (empty while a draft),
    a note and a photo."""

    inspection = models.ForeignKey(
        Inspection, verbose_name=_("inspection"), on_delete=models.CASCADE, related_name="results"
    )
    item = models.ForeignKey(ChecklistItem, verbose_name=_("item"), on_delete=models.PROTECT, related_name="+")
    outcome = models.CharField(_("outcome"), max_length=8, choices=Outcome.choices, blank=True)
    note = models.TextField(_("note"), max_length=1000, blank=True)
    photo = models.ForeignKey(
        EvidencePhoto, verbose_name=_("photo"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["inspection", "item__position"]
        verbose_name = _("inspection result")
        verbose_name_plural = _("inspection results")
        constraints = [
            models.UniqueConstraint(fields=["inspection", "item"], name="inspection_result_one_per_item"),
        ]
        triggers = [
            pgtrigger.Trigger(
                name="inspection_result_final_once_submitted",
                when=pgtrigger.Before,
                operation=pgtrigger.Insert | pgtrigger.Update | pgtrigger.Delete,
                func=pgtrigger.Func(RESULT_FROZEN),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.inspection_id}/{self.item_id}: {self.outcome or '-'}"


class FollowUpStatus(models.TextChoices):
    OPEN = "open", pgettext_lazy("follow-up", "Open")
    AWAITING_REVIEW = "awaiting_review", _("Awaiting review")
    ACCEPTED = "accepted", _("Accepted")


class FollowUp(models.Model):
    """What a failed item asks of the dealer: correct it by the deadline and show it (a note and
    a photo); the manager then accepts the correction or reopens the follow-up. Its events keep
    every round (who, when, what)."""

    inspection = models.ForeignKey(
        Inspection, verbose_name=_("inspection"), on_delete=models.CASCADE, related_name="follow_ups"
    )
    result = models.OneToOneField(
        InspectionResult, verbose_name=_("failed item"), on_delete=models.CASCADE, related_name="follow_up"
    )
    # The inspection's dealer, kept on the row: the dealer's lists are scoped and sorted by it.
    dealer = models.ForeignKey(Dealer, verbose_name=_("dealer"), on_delete=models.PROTECT, related_name="+")
    deadline = models.DateField(_("deadline"))
    status = models.CharField(_("status"), max_length=16, choices=FollowUpStatus.choices, default=FollowUpStatus.OPEN)
    closing_note = models.TextField(_("correction"), max_length=1000, blank=True)
    closing_photo = models.ForeignKey(
        EvidencePhoto,
        verbose_name=_("correction photo"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    closed_at = models.DateTimeField(_("corrected at"), null=True, blank=True)
    closed_by = models.ForeignKey(
        "dealerops.User",
        verbose_name=_("corrected by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    accepted_at = models.DateTimeField(_("accepted at"), null=True, blank=True)
    accepted_by = models.ForeignKey(
        "dealerops.User",
        verbose_name=_("accepted by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        ordering = ["deadline", "id"]
        verbose_name = _("follow-up")
        verbose_name_plural = _("follow-ups")
        indexes = [models.Index(fields=["status", "deadline"]), *sort_indexes("dealer", "deadline")]
        constraints = [
            models.CheckConstraint(
                name="follow_up_closed_with_evidence",
                condition=Q(status=FollowUpStatus.OPEN)
                | Q(closed_at__isnull=False, closed_by__isnull=False, closing_photo__isnull=False)
                & ~Q(closing_note=""),
                violation_error_message=_("A corrected follow-up has its note, its photo and who corrected it."),
            ),
            models.CheckConstraint(
                name="follow_up_accepted_dated",
                condition=Q(status=FollowUpStatus.ACCEPTED, accepted_at__isnull=False, accepted_by__isnull=False)
                | (~Q(status=FollowUpStatus.ACCEPTED) & Q(accepted_at__isnull=True)),
                violation_error_message=_("An accepted follow-up records who accepted it and when."),
            ),
        ]
        triggers = [
            pgtrigger.Protect(
                name="follow_up_accepted_is_final",
                operation=pgtrigger.Update | pgtrigger.Delete,
                condition=pgtrigger.Q(old__status=FollowUpStatus.ACCEPTED),
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.get_status_display()}"

    def get_absolute_url(self) -> str:
        return reverse("channels:follow-up-detail", args=[self.pk])


class FollowUpAction(models.TextChoices):
    OPENED = "opened", _("Opened")
    CORRECTED = "corrected", _("Corrected")
    ACCEPTED = "accepted", _("Accepted")
    REOPENED = "reopened", _("Reopened")


class FollowUpEvent(models.Model):
    """One step of a follow-up's history, never changed: opened by the inspection, corrected by
    the dealer (note and photo), accepted or reopened by the manager (with why and the new deadline)."""

    follow_up = models.ForeignKey(
        FollowUp, verbose_name=_("follow-up"), on_delete=models.CASCADE, related_name="events"
    )
    action = models.CharField(_("action"), max_length=16, choices=FollowUpAction.choices)
    by = models.ForeignKey("dealerops.User", verbose_name=_("by"), on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(_("at"))
    note = models.TextField(_("note"), max_length=1000, blank=True)
    photo = models.ForeignKey(
        EvidencePhoto, verbose_name=_("photo"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    deadline = models.DateField(_("deadline"), null=True, blank=True)

    class Meta:
        ordering = ["follow_up", "at", "id"]
        verbose_name = _("follow-up event")
        verbose_name_plural = _("follow-up events")
        triggers = [pgtrigger.Protect(name="follow_up_event_append_only", operation=pgtrigger.Update)]

    def __str__(self) -> str:
        return f"{self.follow_up_id} {self.get_action_display()}"
