"""The planning tables: the settings head office gives the network plan, and each run of the
plan as it was computed (trade areas, overlapping pairs, white spots, recommendations), so the
pages read stored figures and a run can be compared with the one before.

Imported by ``channels.models``: they are the channels app's models."""

from decimal import Decimal

import pgtrigger
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from channels.models import LATITUDE_VALIDATORS, LONGITUDE_VALIDATORS, Dealer, DealerStatus, Rating, Region
from dealerops.formats import format_count, format_number, format_percent

SHARE = {"max_digits": 5, "decimal_places": 4, "validators": [MinValueValidator(0), MaxValueValidator(1)]}
KM = {"max_digits": 6, "decimal_places": 1}
COORDINATE = {"max_digits": 9, "decimal_places": 6}


class PlanningSettings(models.Model):
    """One version of the network plan's settings. Versions are never edited: a change is a
    new version, and every run names the settings it was computed with."""

    version = models.PositiveIntegerField(_("version"), unique=True)
    detour_factor = models.DecimalField(
        _("detour factor"),
        max_digits=4,
        decimal_places=2,
        default=Decimal("1.30"),
        validators=[MinValueValidator(1), MaxValueValidator(3)],
        help_text=_("Road kilometres per straight-line kilometre."),
    )
    reach_km = models.DecimalField(
        _("reach (road km)"),
        default=Decimal("150.0"),
        validators=[MinValueValidator(10), MaxValueValidator(500)],
        help_text=_("Beyond this road distance an outlet is not a buyer's choice."),
        **KM,
    )
    drive_km = models.DecimalField(
        _("white-spot drive (road km)"),
        default=Decimal("60.0"),
        validators=[MinValueValidator(5), MaxValueValidator(300)],
        help_text=_("Demand with no active outlet within this road distance is a white spot; a new site covers it."),
        **KM,
    )
    strong_share = models.DecimalField(
        _("strong capture"),
        default=Decimal("0.2000"),
        help_text=_("An outlet captures a cell strongly when its Huff share there is at least this."),
        **SHARE,
    )
    overlap_threshold = models.DecimalField(
        _("overlap threshold"),
        default=Decimal("0.3000"),
        help_text=_("A pair is listed when the cells both capture strongly hold this share of either one's demand."),
        **SHARE,
    )
    merge_threshold = models.DecimalField(
        _("merge threshold"),
        default=Decimal("0.5000"),
        help_text=_("A pair sharing this much of both outlets' demand is recommended for a merger."),
        **SHARE,
    )
    new_sites = models.PositiveSmallIntegerField(
        _("new sites to propose"), default=5, validators=[MinValueValidator(0), MaxValueValidator(50)]
    )
    use_fitted_exponent = models.BooleanField(
        _("use the fitted decay"),
        default=True,
        help_text=_("Trade areas use the exponent fitted to our buyers; otherwise the published 1.5."),
    )
    note = models.CharField(_("note"), max_length=200, blank=True)
    created_by = models.ForeignKey(
        "dealerops.User", verbose_name=_("created by"), null=True, blank=True, on_delete=models.SET_NULL
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["-version"]
        verbose_name = _("planning settings")
        verbose_name_plural = _("planning settings")
        constraints = [
            models.CheckConstraint(
                name="planning_settings_merge_above_overlap",
                condition=Q(merge_threshold__gte=F("overlap_threshold")),
                violation_error_message=_("The merge threshold cannot be below the overlap threshold."),
            ),
        ]
        triggers = [pgtrigger.Protect(name="planning_settings_versions_are_final", operation=pgtrigger.Update)]

    def __str__(self) -> str:
        return _("Planning settings v%(version)s") % {"version": self.version}


class PlanningRun(models.Model):
    """One computation of the network plan: its inputs, the decay fitted to our buyers beside
    the published one, and the totals the pages lead with. Its rows are written in the run's
    transaction, so a run is there whole or not at all."""

    job_run = models.OneToOneField("dealerops.JobRun", verbose_name=_("job run"), on_delete=models.CASCADE)
    settings = models.ForeignKey(PlanningSettings, verbose_name=_("settings"), on_delete=models.PROTECT)
    year = models.PositiveSmallIntegerField(_("market year"))
    buyers_from = models.DateField(_("buyers from"))
    buyers_to = models.DateField(_("buyers to"))
    exponent = models.DecimalField(_("decay exponent used"), max_digits=5, decimal_places=3)
    fitted_exponent = models.DecimalField(
        _("fitted decay exponent"), max_digits=5, decimal_places=3, null=True, blank=True
    )
    fit_log_likelihood = models.FloatField(_("log-likelihood, fitted"), null=True, blank=True)
    published_log_likelihood = models.FloatField(_("log-likelihood, published 1.5"), null=True, blank=True)
    flat_log_likelihood = models.FloatField(_("log-likelihood, no decay"), null=True, blank=True)
    fit_buyers = models.PositiveIntegerField(_("buyers fitted"), default=0)
    fit_beyond_reach = models.PositiveIntegerField(_("buyers beyond reach"), default=0)
    outlets = models.PositiveIntegerField(_("active outlets"), default=0)
    cells = models.PositiveIntegerField(_("demand cells"), default=0)
    capacity_units = models.PositiveBigIntegerField(_("market capacity"), default=0)
    uncovered_units = models.PositiveBigIntegerField(_("capacity beyond reach"), default=0)
    white_spot_units = models.PositiveBigIntegerField(_("capacity in white spots"), default=0)
    computed_at = models.DateTimeField(_("computed at"))

    class Meta:
        ordering = ["-computed_at", "-id"]
        verbose_name = _("planning run")
        verbose_name_plural = _("planning runs")

    def __str__(self) -> str:
        return f"#{self.pk} {self.year}"

    @property
    def pseudo_r2(self) -> float | None:
        """McFadden's ρ² of the fitted decay against distance not mattering."""
        return _pseudo_r2(self.fit_log_likelihood, self.flat_log_likelihood)

    @property
    def published_pseudo_r2(self) -> float | None:
        return _pseudo_r2(self.published_log_likelihood, self.flat_log_likelihood)


def _pseudo_r2(log_likelihood: float | None, flat: float | None) -> float | None:
    if log_likelihood is None or not flat:
        return None
    return 1 - log_likelihood / flat


class RunCells(models.Model):
    """A run's demand cells as the plan computed them (H3 index, centre and capacity, numpy's
    compressed ``.npz``), so a what-if on the run redistributes exactly its demand, in a
    moment, whatever the market table holds since. A table of its own: the run's other reads
    never carry these megabytes."""

    run = models.OneToOneField(PlanningRun, verbose_name=_("run"), on_delete=models.CASCADE, related_name="+")
    data = models.BinaryField(_("cells"))

    class Meta:
        verbose_name = _("run cells")
        verbose_name_plural = _("run cells")

    def __str__(self) -> str:
        return f"{self.run_id}"


class TradeArea(models.Model):
    """An outlet's Huff trade area in a run: its attraction and the demand it draws."""

    run = models.ForeignKey(PlanningRun, verbose_name=_("run"), on_delete=models.CASCADE, related_name="trade_areas")
    dealer = models.ForeignKey(Dealer, verbose_name=_("dealer"), on_delete=models.CASCADE, related_name="+")
    attraction = models.DecimalField(_("attraction"), max_digits=8, decimal_places=3)
    composite = models.DecimalField(_("composite"), max_digits=5, decimal_places=2, null=True, blank=True)
    rating = models.CharField(_("rating"), max_length=1, choices=Rating.choices, blank=True)
    # The market's new cars a year the Huff model gives the outlet (all brands: its potential).
    demand_units = models.PositiveBigIntegerField(_("trade-area demand a year"))
    sold_units = models.PositiveIntegerField(_("units sold in the period"), default=0)
    leads = models.PositiveIntegerField(_("leads in the period"), default=0)
    capture = models.DecimalField(
        _("our capture of the demand"),
        max_digits=9,
        decimal_places=4,
        null=True,
        blank=True,
        help_text=_("Units sold in the period ÷ the trade area's demand a year."),
    )
    overlap_share = models.DecimalField(
        _("largest overlap"),
        default=Decimal(0),
        help_text=_("The largest share of its demand it shares with one neighbour."),
        **SHARE,
    )

    class Meta:
        ordering = ["-demand_units", "dealer_id"]
        verbose_name = _("trade area")
        verbose_name_plural = _("trade areas")
        constraints = [models.UniqueConstraint(fields=["run", "dealer"], name="trade_area_one_per_run_dealer")]

    def __str__(self) -> str:
        return f"{self.dealer_id} · {self.demand_units}"


class OutletOverlap(models.Model):
    """Two outlets that capture the same cells strongly. ``first`` is the one that shares the
    larger part of its demand (the one the overlap costs most). ``region`` is the two's region
    when they share one; a pair across a region border has none and is head office's (a
    regional manager sees no other region's outlets)."""

    run = models.ForeignKey(PlanningRun, verbose_name=_("run"), on_delete=models.CASCADE, related_name="overlaps")
    region = models.ForeignKey(
        Region, verbose_name=_("region"), null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    first = models.ForeignKey(Dealer, verbose_name=_("outlet"), on_delete=models.CASCADE, related_name="+")
    second = models.ForeignKey(Dealer, verbose_name=_("neighbour"), on_delete=models.CASCADE, related_name="+")
    first_share = models.DecimalField(_("share of the outlet's demand"), **SHARE)
    second_share = models.DecimalField(_("share of the neighbour's demand"), **SHARE)
    shared_units = models.PositiveBigIntegerField(_("shared demand a year"))
    distance_km = models.DecimalField(_("distance (km)"), **KM)

    class Meta:
        ordering = ["-shared_units", "id"]
        verbose_name = _("overlapping pair")
        verbose_name_plural = _("overlapping pairs")
        constraints = [
            models.UniqueConstraint(fields=["run", "first", "second"], name="outlet_overlap_one_per_run_pair"),
            models.CheckConstraint(
                name="outlet_overlap_first_shares_more",
                condition=Q(first_share__gte=F("second_share")),
                violation_error_message=_("The first outlet of a pair is the one sharing more of its demand."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.first_id} × {self.second_id}"


class WhiteSpot(models.Model):
    """Adjacent demand cells no active outlet reaches within the settings' drive, with their
    capacity and the road distance to the nearest outlet; placed in the region of the nearest
    city market."""

    run = models.ForeignKey(PlanningRun, verbose_name=_("run"), on_delete=models.CASCADE, related_name="white_spots")
    region = models.ForeignKey(Region, verbose_name=_("region"), on_delete=models.CASCADE, related_name="+")
    rank = models.PositiveIntegerField(_("rank"))
    near_city = models.CharField(_("nearest city"), max_length=32)
    cells = models.PositiveIntegerField(_("cells"))
    capacity_units = models.PositiveBigIntegerField(_("capacity a year"))
    latitude = models.DecimalField(_("latitude"), validators=LATITUDE_VALIDATORS, **COORDINATE)
    longitude = models.DecimalField(_("longitude"), validators=LONGITUDE_VALIDATORS, **COORDINATE)
    nearest_km = models.DecimalField(_("to the nearest outlet (road km)"), null=True, **KM)

    class Meta:
        ordering = ["rank"]
        verbose_name = _("white spot")
        verbose_name_plural = _("white spots")
        constraints = [models.UniqueConstraint(fields=["run", "rank"], name="white_spot_rank_unique_per_run")]

    def __str__(self) -> str:
        return f"#{self.rank} {self.near_city}"


class RecommendationKind(models.TextChoices):
    ADD = "add", _("Add an outlet")
    MERGE = "merge", _("Merge the pair")
    RELOCATE = "relocate", _("Relocate")
    PROBATION = "probation", _("Probation")
    EXIT = "exit", _("Exit")


class Recommendation(models.Model):
    """The add / optimise / eliminate cycle's proposals of a run, each with its numbers: what
    is proposed, for which outlet or site, the units at stake and the figures behind it."""

    run = models.ForeignKey(
        PlanningRun, verbose_name=_("run"), on_delete=models.CASCADE, related_name="recommendations"
    )
    kind = models.CharField(_("recommendation"), max_length=16, choices=RecommendationKind.choices)
    # None for a pair across a region border: head office's, as the pair is (OutletOverlap).
    region = models.ForeignKey(
        Region, verbose_name=_("region"), null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    dealer = models.ForeignKey(
        Dealer, verbose_name=_("outlet"), null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    other = models.ForeignKey(
        Dealer, verbose_name=_("other outlet"), null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    near_city = models.CharField(_("city"), max_length=32)
    latitude = models.DecimalField(_("latitude"), validators=LATITUDE_VALIDATORS, **COORDINATE)
    longitude = models.DecimalField(_("longitude"), validators=LONGITUDE_VALIDATORS, **COORDINATE)
    units = models.PositiveBigIntegerField(_("units a year at stake"))
    share = models.DecimalField(
        _("share at stake"),
        null=True,
        blank=True,
        help_text=_("Of the outlet's demand, the part it shares (merge, relocate); of its volume, the fall (exit)."),
        **SHARE,
    )
    figures = models.JSONField(_("figures"), default=dict, help_text=_("The numbers behind the recommendation."))

    class Meta:
        ordering = ["kind", "-units", "id"]
        verbose_name = _("recommendation")
        verbose_name_plural = _("recommendations")
        constraints = [
            models.CheckConstraint(
                name="recommendation_names_its_outlet",
                condition=Q(kind=RecommendationKind.ADD, dealer__isnull=True)
                | (~Q(kind="add") & Q(dealer__isnull=False)),
                violation_error_message=_("A new site names no outlet; every other recommendation names one."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} · {self.near_city}"

    @property
    def reason(self) -> str:
        """Why, with its numbers, in the reader's language."""
        figures = self.figures
        if self.kind == RecommendationKind.ADD:
            return gettext(
                "Covers %(units)s cars a year of white-spot demand in %(cells)s cells that no outlet reaches "
                "within %(km)s km (white spots %(spots)s)."
            ) % {
                "units": format_count(figures["covered_units"]),
                "cells": format_count(figures["cells"]),
                "km": format_count(figures["drive_km"]),
                "spots": ", ".join(f"#{rank}" for rank in figures["white_spots"]),
            }
        if self.kind == RecommendationKind.MERGE:
            return gettext(
                "The two outlets, %(km)s km apart, share %(first)s and %(second)s of their demand "
                "(%(units)s cars a year)."
            ) % {
                "km": format_number(figures["distance_km"], 1),
                "first": format_percent(figures["first_share"]),
                "second": format_percent(figures["second_share"]),
                "units": format_count(figures["shared_units"]),
            }
        if self.kind == RecommendationKind.RELOCATE:
            reason = gettext(
                "%(share)s of this outlet's demand lies where its neighbour, %(km)s km away, also draws strongly "
                "(%(neighbour)s of the neighbour's)."
            ) % {
                "share": format_percent(figures["first_share"]),
                "km": format_number(figures["distance_km"], 1),
                "neighbour": format_percent(figures["second_share"]),
            }
            if "target_city" in figures:
                reason += " " + gettext("Nearest white spot: #%(rank)s near %(city)s, %(units)s cars a year.") % {
                    "rank": figures["target_rank"],
                    "city": figures["target_city"],
                    "units": format_count(figures["target_units"]),
                }
            return reason
        return gettext(
            "Rated D in %(months)s of the last 3 months; %(recent)s units in the last 3 months against "
            "%(before)s in the 3 before (%(change)s)."
        ) % {
            "months": figures["months_rated_d"],
            "recent": format_count(figures["units_recent"]),
            "before": format_count(figures["units_before"]),
            "change": format_percent(figures["change"]),
        }


class ScenarioStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")


class Scenario(models.Model):
    """A named what-if on a plan run: outlets closed, added or moved, and the Huff
    redistribution it gives, computed when saved (so scenarios stay comparable whatever runs
    come after). Nothing in the live network changes: a decision is recorded on the scenario."""

    run = models.ForeignKey(PlanningRun, verbose_name=_("plan run"), on_delete=models.CASCADE, related_name="+")
    name = models.CharField(_("name"), max_length=100, unique=True)
    note = models.CharField(_("note"), max_length=300, blank=True)
    cells = models.PositiveIntegerField(_("cells affected"), default=0)
    # On the cells within reach of a changed outlet (the others do not change).
    uncovered_before = models.PositiveBigIntegerField(_("uncovered demand before"), default=0)
    uncovered_after = models.PositiveBigIntegerField(_("uncovered demand after"), default=0)
    uncovered_share = models.DecimalField(
        _("share of the closed demand left uncovered"), null=True, blank=True, max_digits=5, decimal_places=4
    )
    units_before = models.DecimalField(_("our units a month before"), max_digits=10, decimal_places=1, default=0)
    units_after = models.DecimalField(_("our units a month after"), max_digits=10, decimal_places=1, default=0)
    leads_before = models.DecimalField(_("our leads a month before"), max_digits=10, decimal_places=1, default=0)
    leads_after = models.DecimalField(_("our leads a month after"), max_digits=10, decimal_places=1, default=0)
    status = models.CharField(_("decision"), max_length=16, choices=ScenarioStatus.choices, default="draft")
    decision_note = models.CharField(_("reason for the decision"), max_length=300, blank=True)
    decided_by = models.ForeignKey(
        "dealerops.User",
        verbose_name=_("decided by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    created_by = models.ForeignKey(
        "dealerops.User", verbose_name=_("created by"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("what-if scenario")
        verbose_name_plural = _("what-if scenarios")
        constraints = [
            models.CheckConstraint(
                name="scenario_decision_recorded",
                condition=Q(status="draft", decided_at__isnull=True)
                | (~Q(status="draft") & Q(decided_at__isnull=False) & ~Q(decision_note="")),
                violation_error_message=_("A decision records when it was taken and why."),
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("channels:scenario-detail", args=[self.pk])

    @property
    def units_change(self) -> Decimal:
        return self.units_after - self.units_before

    @property
    def leads_change(self) -> Decimal:
        return self.leads_after - self.leads_before

    @property
    def uncovered_change(self) -> int:
        return self.uncovered_after - self.uncovered_before


class ChangeKind(models.TextChoices):
    CLOSE = "close", _("Close an outlet")
    ADD = "add", _("Add an outlet")
    MOVE = "move", _("Move an outlet")


class ScenarioChange(models.Model):
    """One change of a scenario: an outlet closed, an outlet added at a point with a sales
    team, or an outlet moved to a point (its attraction goes with it)."""

    scenario = models.ForeignKey(Scenario, verbose_name=_("scenario"), on_delete=models.CASCADE, related_name="changes")
    kind = models.CharField(_("change"), max_length=8, choices=ChangeKind.choices)
    dealer = models.ForeignKey(
        Dealer, verbose_name=_("outlet"), null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    latitude = models.DecimalField(_("latitude"), null=True, blank=True, validators=LATITUDE_VALIDATORS, **COORDINATE)
    longitude = models.DecimalField(
        _("longitude"), null=True, blank=True, validators=LONGITUDE_VALIDATORS, **COORDINATE
    )
    sales_headcount = models.PositiveIntegerField(_("sales headcount"), null=True, blank=True)
    demand_before = models.PositiveBigIntegerField(_("its demand before"), default=0)
    demand_after = models.PositiveBigIntegerField(_("its demand after"), default=0)
    units_before = models.DecimalField(_("units a month before"), max_digits=9, decimal_places=1, default=0)
    units_after = models.DecimalField(_("units a month after"), max_digits=9, decimal_places=1, default=0)
    leads_before = models.DecimalField(_("leads a month before"), max_digits=9, decimal_places=1, default=0)
    leads_after = models.DecimalField(_("leads a month after"), max_digits=9, decimal_places=1, default=0)

    class Meta:
        ordering = ["id"]
        verbose_name = _("scenario change")
        verbose_name_plural = _("scenario changes")
        constraints = [
            models.CheckConstraint(
                name="scenario_change_complete",
                condition=Q(kind="close", dealer__isnull=False, latitude__isnull=True)
                | Q(kind="add", dealer__isnull=True, latitude__isnull=False, sales_headcount__isnull=False)
                | Q(kind="move", dealer__isnull=False, latitude__isnull=False),
                violation_error_message=_("A closure names an outlet, an addition a point and its staff, a move both."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.dealer or ''}".strip()


class ScenarioEffect(models.Model):
    """What a scenario does to one existing outlet: its trade-area demand before and after, our
    units and leads a month by its capture of that demand, and, for closures, the share of the
    closed outlets' demand that comes to it."""

    scenario = models.ForeignKey(Scenario, verbose_name=_("scenario"), on_delete=models.CASCADE, related_name="effects")
    dealer = models.ForeignKey(Dealer, verbose_name=_("outlet"), on_delete=models.CASCADE, related_name="+")
    demand_before = models.PositiveBigIntegerField(_("trade-area demand before"))
    demand_after = models.PositiveBigIntegerField(_("trade-area demand after"))
    share_of_closed = models.DecimalField(
        _("share of the closed demand"), null=True, blank=True, max_digits=5, decimal_places=4
    )
    units_before = models.DecimalField(_("units a month before"), max_digits=9, decimal_places=1)
    units_after = models.DecimalField(_("units a month after"), max_digits=9, decimal_places=1)
    leads_before = models.DecimalField(_("leads a month before"), max_digits=9, decimal_places=1)
    leads_after = models.DecimalField(_("leads a month after"), max_digits=9, decimal_places=1)

    class Meta:
        ordering = ["-share_of_closed", "demand_after", "id"]
        verbose_name = _("scenario effect")
        verbose_name_plural = _("scenario effects")
        constraints = [models.UniqueConstraint(fields=["scenario", "dealer"], name="scenario_effect_one_per_dealer")]

    def __str__(self) -> str:
        return f"{self.scenario_id} · {self.dealer_id}"

    @property
    def demand_change(self) -> int:
        return self.demand_after - self.demand_before


class DecisionKind(models.TextChoices):
    PROBATION = "probation", _("Put on probation")
    REINSTATE = "reinstate", _("End the probation")
    EXIT = "exit", _("Exit the network")


class DealerDecision(models.Model):
    """Head office's decision on an outlet's place in the network: probation, its end, or exit,
    with the reason and what prompted it (a plan's recommendation, a what-if scenario). The
    outlet's status changes with it; decisions are its history and are never edited."""

    dealer = models.ForeignKey(Dealer, verbose_name=_("dealer"), on_delete=models.PROTECT, related_name="decisions")
    kind = models.CharField(_("decision"), max_length=16, choices=DecisionKind.choices)
    from_status = models.CharField(_("status before"), max_length=16, choices=DealerStatus.choices)
    to_status = models.CharField(_("status after"), max_length=16, choices=DealerStatus.choices)
    reason = models.CharField(_("reason"), max_length=500)
    # What prompted it, as it read then (the recommendation goes when its run is pruned).
    evidence = models.CharField(_("prompted by"), max_length=500, blank=True)
    recommendation = models.ForeignKey(
        Recommendation, verbose_name=_("recommendation"), null=True, blank=True, on_delete=models.SET_NULL
    )
    scenario = models.ForeignKey(
        "channels.Scenario", verbose_name=_("scenario"), null=True, blank=True, on_delete=models.SET_NULL
    )
    decided_by = models.ForeignKey(
        "dealerops.User", verbose_name=_("decided by"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(_("decided at"))

    class Meta:
        ordering = ["-decided_at", "-id"]
        verbose_name = _("network decision")
        verbose_name_plural = _("network decisions")
        constraints = [
            models.CheckConstraint(
                name="dealer_decision_has_a_reason",
                condition=~Q(reason=""),
                violation_error_message=_("A decision gives its reason."),
            ),
        ]
        triggers = [
            pgtrigger.Protect(name="dealer_decisions_are_history", operation=pgtrigger.Update | pgtrigger.Delete)
        ]

    def __str__(self) -> str:
        return f"{self.dealer} · {self.get_kind_display()}"
