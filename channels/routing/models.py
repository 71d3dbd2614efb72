"""The lead routing's tables: the settings head office gives it (weights, SLA per source,
re-assignments), the public lead pages (one URL and QR code per dealer or campaign), and
every assignment of a lead with the reason it was made (the candidates and their score parts).

Imported by ``channels.models``: they are the channels app's models."""

from decimal import Decimal

import pgtrigger
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.db.models.lookups import GreaterThan
from django.urls import reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from channels.models import Dealer, Lead, LeadSource, Region

ROUTING_WEIGHT = {
    "max_digits": 6,
    "decimal_places": 3,
    "default": Decimal("1"),
    "validators": [MinValueValidator(0), MaxValueValidator(100)],
}
SLA_HOURS = {
    "max_digits": 5,
    "decimal_places": 2,
    "validators": [MinValueValidator(Decimal("0.25")), MaxValueValidator(240)],
}
# The score's parts, in the order the pages list them: (field of RoutingSettings, key in a
# candidate's "parts").
SCORE_PARTS = ("distance", "channel", "load", "conversion", "stock")
SCORE_PART_LABELS = {
    "distance": _("Distance"),
    "channel": _("Channel preference"),
    "load": _("Open-lead load"),
    "conversion": _("Conversion, 90 days"),
    "stock": _("Model in stock"),
}


def sla_field(source: str) -> str:
    return f"sla_{source}_hours"


class RoutingSettings(models.Model):
    """One version of the lead routing's settings. Versions are never edited: a change is a
    new version, and every assignment names the version it was made with.

    A candidate's score is the weighted mean of five parts, each 0 to 1 (``channels.routing.
    scoring``): distance (1 at the customer's door, 0 at ``reach_km``), channel (1 when the
    dealer is of the kind the customer prefers), load (1 with no open lead, 0 at
    ``leads_per_salesperson`` open leads per salesperson), conversion (the trailing 90 days'
    rate against ``conversion_full``) and stock (1 when the model of interest is in stock)."""

    version = models.PositiveIntegerField(_("version"), unique=True)
    distance_weight = models.DecimalField(_("distance weight"), **{**ROUTING_WEIGHT, "default": Decimal("3")})
    channel_weight = models.DecimalField(_("channel preference weight"), **{**ROUTING_WEIGHT, "default": Decimal("2")})
    load_weight = models.DecimalField(_("open-lead load weight"), **{**ROUTING_WEIGHT, "default": Decimal("2")})
    conversion_weight = models.DecimalField(_("conversion weight"), **ROUTING_WEIGHT)
    stock_weight = models.DecimalField(_("model in stock weight"), **ROUTING_WEIGHT)
    reach_km = models.DecimalField(
        _("reach (km)"),
        max_digits=6,
        decimal_places=1,
        default=Decimal("80.0"),
        validators=[MinValueValidator(5), MaxValueValidator(500)],
        help_text=_("Dealers within this straight-line distance of the customer are candidates."),
    )
    candidates = models.PositiveSmallIntegerField(
        _("candidates kept"),
        default=5,
        validators=[MinValueValidator(1), MaxValueValidator(20)],
        help_text=_("The best candidates stored with each lead: the SLA re-assigns to the next of them."),
    )
    leads_per_salesperson = models.PositiveSmallIntegerField(
        _("open leads per salesperson at full load"),
        default=40,
        validators=[MinValueValidator(1), MaxValueValidator(1000)],
    )
    conversion_full = models.DecimalField(
        _("conversion rate scoring full"),
        max_digits=5,
        decimal_places=4,
        default=Decimal("0.2500"),
        validators=[MinValueValidator(Decimal("0.01")), MaxValueValidator(1)],
        help_text=_("A dealer converting this share of its leads (trailing 90 days) or more gets the whole part."),
    )
    max_reassignments = models.PositiveSmallIntegerField(
        _("re-assignments before escalation"),
        default=2,
        validators=[MaxValueValidator(10)],
        help_text=_("A lead that missed its SLA this many times goes to the regional manager."),
    )
    sla_website_hours = models.DecimalField(_("SLA, website leads (hours)"), default=Decimal("2"), **SLA_HOURS)
    sla_app_hours = models.DecimalField(_("SLA, app leads (hours)"), default=Decimal("2"), **SLA_HOURS)
    sla_phone_hours = models.DecimalField(_("SLA, phone leads (hours)"), default=Decimal("4"), **SLA_HOURS)
    sla_walk_in_hours = models.DecimalField(_("SLA, walk-in leads (hours)"), default=Decimal("24"), **SLA_HOURS)
    sla_partner_hours = models.DecimalField(_("SLA, partner leads (hours)"), default=Decimal("8"), **SLA_HOURS)
    sla_qr_code_hours = models.DecimalField(_("SLA, lead page leads (hours)"), default=Decimal("2"), **SLA_HOURS)
    note = models.CharField(_("note"), max_length=200, blank=True)
    created_by = models.ForeignKey(
        "dealerops.User", verbose_name=_("created by"), null=True, blank=True, on_delete=models.SET_NULL
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["-version"]
        verbose_name = _("routing settings")
        verbose_name_plural = _("routing settings")
        constraints = [
            models.CheckConstraint(
                name="routing_settings_weights_not_all_zero",
                condition=GreaterThan(sum((F(f"{part}_weight") for part in SCORE_PARTS[1:]), F("distance_weight")), 0),
                violation_error_message=_("At least one weight must be above zero."),
            ),
        ]
        triggers = [pgtrigger.Protect(name="routing_settings_versions_are_final", operation=pgtrigger.Update)]

    def __str__(self) -> str:
        return gettext("Routing settings v%(version)s") % {"version": self.version}

    def weights(self) -> dict[str, Decimal]:
        return {part: getattr(self, f"{part}_weight") for part in SCORE_PARTS}

    def sla_hours(self, source: str) -> Decimal:
        return getattr(self, sla_field(source))

    def sla_by_source(self) -> list[tuple[str, Decimal]]:
        """(source label, hours) in the sources' order, for the pages."""
        return [(label, self.sla_hours(value)) for value, label in LeadSource.choices]


class LeadPage(models.Model):
    """A public lead page: one URL (and its QR code) that anyone opens without logging in to
    leave their details, for a dealer (its leads go to that dealer while it is active) or for
    a campaign (routed to the best dealer). ``code`` is random: the URLs cannot be guessed."""

    code = models.SlugField(_("code"), max_length=16, unique=True)
    name = models.CharField(_("name"), max_length=64)
    dealer = models.OneToOneField(
        Dealer, verbose_name=_("dealer"), null=True, blank=True, on_delete=models.CASCADE, related_name="lead_page"
    )
    region = models.ForeignKey(
        Region,
        verbose_name=_("region"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("A campaign of one region (its managers see it); empty for the whole network."),
    )
    model_of_interest = models.ForeignKey(
        "inventory.VehicleModel",
        verbose_name=_("model of interest"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("A campaign for one model: its leads ask for it unless the customer picks another."),
    )
    active = models.BooleanField(_("active"), default=True)
    created_by = models.ForeignKey(
        "dealerops.User", verbose_name=_("created by"), null=True, blank=True, on_delete=models.SET_NULL
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("lead page")
        verbose_name_plural = _("lead pages")
        constraints = [
            models.CheckConstraint(
                name="lead_page_code_is_a_slug",
                condition=Q(code__regex=r"^[A-Za-z0-9_-]{6,16}$"),
                violation_error_message=_("A page's code is 6 to 16 letters, digits, - or _."),
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("channels:lead-page-detail", args=[self.pk])

    def public_path(self) -> str:
        return reverse("channels:public-lead-page", args=[self.code])


class AssignmentKind(models.TextChoices):
    ROUTED = "routed", _("Routed")
    OWN = "own", _("The dealer's own lead")
    REASSIGNED = "reassigned", _("Re-assigned, SLA missed")
    ESCALATED = "escalated", _("Escalated to the regional manager")
    MANUAL = "manual", _("Assigned by hand")


class AssignmentReason(models.TextChoices):
    BEST_SCORE = "best_score", _("Highest score among the candidates")
    PAGE_DEALER = "page_dealer", _("Left on this dealer's lead page")
    NEAREST = "nearest", _("No dealer within reach: the nearest active one")
    ONLINE_ORDER = "online_order", _("Online order: the nearest 4S store delivers")
    OWN_LEAD = "own_lead", _("Entered by the dealer itself")
    NEXT_CANDIDATE = "next_candidate", _("Not contacted within the SLA: the next candidate")
    NO_CANDIDATE_LEFT = "no_candidate_left", _("Not contacted within the SLA and no candidate left")
    TOO_MANY_REASSIGNMENTS = "too_many_reassignments", _("Not contacted within the SLA, re-assigned too often")
    BY_HAND = "by_hand", _("Chosen by a manager")


class LeadAssignment(models.Model):
    """One step of a lead's routing history: who received it, when, why, and until when it
    had to be contacted. A routed row keeps the scored candidates, best first (each with its
    distance, score parts and the figures behind them); later steps (re-assignment,
    escalation) refer to the lead's first routed row for the candidates."""

    lead = models.ForeignKey(Lead, verbose_name=_("lead"), on_delete=models.CASCADE, related_name="assignments")
    kind = models.CharField(_("kind"), max_length=16, choices=AssignmentKind.choices)
    reason = models.CharField(_("reason"), max_length=32, choices=AssignmentReason.choices)
    dealer = models.ForeignKey(Dealer, verbose_name=_("dealer"), on_delete=models.PROTECT, related_name="+")
    previous_dealer = models.ForeignKey(
        Dealer, verbose_name=_("previous dealer"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    at = models.DateTimeField(_("at"))
    sla_due_at = models.DateTimeField(_("contact due by"), null=True, blank=True)
    candidates = models.JSONField(_("candidates"), default=list, blank=True)
    settings = models.ForeignKey(
        RoutingSettings, verbose_name=_("routing settings"), null=True, blank=True, on_delete=models.PROTECT
    )
    assigned_by = models.ForeignKey(
        "dealerops.User",
        verbose_name=_("assigned by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    job_run = models.ForeignKey(
        "dealerops.JobRun", verbose_name=_("job run"), null=True, blank=True, on_delete=models.SET_NULL
    )
    note = models.CharField(_("note"), max_length=200, blank=True, default="", db_default="")

    class Meta:
        ordering = ["lead", "at", "id"]
        verbose_name = _("lead assignment")
        verbose_name_plural = _("lead assignments")
        indexes = [models.Index(fields=["lead", "at"])]
        constraints = [
            models.CheckConstraint(
                name="lead_assignment_due_after_it",
                condition=Q(sla_due_at__isnull=True) | Q(sla_due_at__gte=F("at")),
                violation_error_message=_("A lead's contact cannot be due before it was assigned."),
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.lead_id} {self.get_kind_display()} {self.at:%Y-%m-%d %H:%M}"
