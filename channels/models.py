"""The dealer network: the ground floor every other app points down to."""

from datetime import time
from decimal import Decimal

import pghistory
import pgtrigger
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.db.models.lookups import Exact, GreaterThan
from django.urls import reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from dealerops.history import event_meta
from dealerops.indexes import search_index, sort_indexes
from dealerops.privacy import phone_validator

LATITUDE_VALIDATORS = [MinValueValidator(-90), MaxValueValidator(90)]
LONGITUDE_VALIDATORS = [MinValueValidator(-180), MaxValueValidator(180)]
# The box the country's cities lie in (degrees north, degrees east): a point outside it was
# typed wrong (latitude and longitude swapped, a digit lost). A city market must lie in it
# (``channels.planning.markets.city_market_refusals``); data quality flags customers outside it.
CHINA_LATITUDES = (18, 54)
CHINA_LONGITUDES = (73, 135)


def coordinates_valid(prefix: str) -> models.CheckConstraint:
    """The database's check of a row's ``latitude`` and ``longitude``."""
    return models.CheckConstraint(
        name=f"{prefix}_coordinates_valid",
        condition=Q(latitude__gte=-90, latitude__lte=90, longitude__gte=-180, longitude__lte=180),
        violation_error_message=_("Latitude must lie in -90..90 and longitude in -180..180."),
    )


class TimeStamped(models.Model):
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        abstract = True


class Region(TimeStamped):
    """A sales region run by one or more regional managers."""

    code = models.CharField(_("code"), max_length=16, unique=True)
    name = models.CharField(_("name"), max_length=64)

    class Meta:
        ordering = ["code"]
        verbose_name = _("region")
        verbose_name_plural = _("regions")

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class DealerKind(models.TextChoices):
    FOUR_S = "4s", _("4S store")
    SECONDARY = "secondary", _("Secondary dealer")
    SHOWROOM = "showroom", _("City showroom")


class DealerStatus(models.TextChoices):
    APPLYING = "applying", _("Applying")
    ACTIVE = "active", _("Active")
    PROBATION = "probation", _("Probation")
    EXITED = "exited", _("Exited")


class Dealer(TimeStamped):
    """An outlet of the network: a 4S store, a secondary dealer under a parent, or a showroom."""

    code = models.CharField(_("code"), max_length=16, unique=True)
    name = models.CharField(_("name"), max_length=128)
    kind = models.CharField(_("kind"), max_length=16, choices=DealerKind.choices)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent dealer"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="secondary_dealers",
    )
    status = models.CharField(_("status"), max_length=16, choices=DealerStatus.choices, default=DealerStatus.ACTIVE)
    region = models.ForeignKey(Region, verbose_name=_("region"), on_delete=models.PROTECT, related_name="dealers")
    province = models.CharField(_("province"), max_length=32)
    city = models.CharField(_("city"), max_length=32)
    latitude = models.DecimalField(_("latitude"), max_digits=9, decimal_places=6, validators=LATITUDE_VALIDATORS)
    longitude = models.DecimalField(_("longitude"), max_digits=9, decimal_places=6, validators=LONGITUDE_VALIDATORS)
    opened_on = models.DateField(_("opened on"), null=True, blank=True)
    sales_headcount = models.PositiveIntegerField(_("sales headcount"), default=0)
    monthly_sales_target = models.PositiveIntegerField(_("monthly sales target"), default=0)
    # Every day, Shanghai time: a lead's SLA is counted in these hours (channels.routing.hours).
    opens_at = models.TimeField(_("opens at"), default=time(9), db_default=time(9))
    closes_at = models.TimeField(_("closes at"), default=time(18), db_default=time(18))

    class Meta:
        ordering = ["code"]
        verbose_name = _("dealer")
        verbose_name_plural = _("dealers")
        indexes = [models.Index(fields=["region", "kind"])]
        constraints = [
            models.CheckConstraint(
                name="dealer_secondary_has_parent",
                condition=Q(kind="secondary", parent__isnull=False) | (~Q(kind="secondary") & Q(parent__isnull=True)),
                violation_error_message=_("A secondary dealer needs a parent dealer; other kinds have none."),
            ),
            models.CheckConstraint(
                name="dealer_not_own_parent",
                condition=~Q(parent=F("id")),
                violation_error_message=_("A dealer cannot be its own parent."),
            ),
            coordinates_valid("dealer"),
            models.CheckConstraint(
                name="dealer_closes_after_opening",
                condition=Q(closes_at__gt=F("opens_at")),
                violation_error_message=_("A dealer closes after it opens."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    def get_absolute_url(self) -> str:
        return reverse("channels:dealer-detail", args=[self.pk])


class LeadSource(models.TextChoices):
    WEBSITE = "website", _("Website")
    APP = "app", _("App")
    PHONE = "phone", _("Phone")
    WALK_IN = "walk_in", _("Walk-in")
    PARTNER = "partner", _("Partner")
    QR_CODE = "qr_code", _("Lead page (QR code)")


class LeadOutcome(models.TextChoices):
    OPEN = "open", _("Open")
    CONTACTED = "contacted", _("Contacted")
    TEST_DRIVE = "test_drive", _("Test drive")
    WON = "won", _("Won")
    LOST = "lost", _("Lost")


@pghistory.track(
    pghistory.InsertEvent(), pghistory.UpdateEvent(), pghistory.DeleteEvent(), meta=event_meta("city_market")
)
class CityMarket(TimeStamped):
    """A city's market in a year: the inputs of its capacity (``channels.planning.capacity``)
    and the point its demand is spread around (``channels.planning.geometry``). Head office
    keeps it, by its form or by importing the table (``datahub.kinds.city_markets``); both
    write through ``channels.planning.markets``, audited."""

    region = models.ForeignKey(Region, verbose_name=_("region"), on_delete=models.PROTECT, related_name="markets")
    province = models.CharField(_("province"), max_length=32)
    city = models.CharField(_("city"), max_length=32)
    year = models.PositiveSmallIntegerField(_("year"), validators=[MinValueValidator(2000), MaxValueValidator(2100)])
    latitude = models.DecimalField(_("latitude"), max_digits=9, decimal_places=6, validators=LATITUDE_VALIDATORS)
    longitude = models.DecimalField(_("longitude"), max_digits=9, decimal_places=6, validators=LONGITUDE_VALIDATORS)
    population = models.PositiveBigIntegerField(_("population"))
    households = models.PositiveBigIntegerField(_("households"))
    disposable_income = models.DecimalField(
        _("disposable income per capita"), max_digits=12, decimal_places=2, validators=[MinValueValidator(0)]
    )
    vehicles_per_1000 = models.DecimalField(
        _("vehicles per 1,000 people"), max_digits=7, decimal_places=2, validators=[MinValueValidator(0)]
    )
    nev_share = models.DecimalField(
        _("new-energy share of new-car sales"),
        max_digits=5,
        decimal_places=4,
        validators=[MinValueValidator(0), MaxValueValidator(1)],
    )
    # Written with the inputs by ``channels.planning.capacity.market_capacity``: the list sorts
    # and exports them in SQL.
    capacity_units = models.PositiveBigIntegerField(_("market capacity"), default=0)
    nev_capacity_units = models.PositiveBigIntegerField(_("new-energy capacity"), default=0)
    # Refreshed by each plan run (``channels.planning.markets.market_sales_refresh``): the list
    # sorts and exports our penetration in SQL; the city's page counts it live.
    units_sold = models.PositiveIntegerField(_("our units sold (registered in the city)"), default=0)
    penetration = models.DecimalField(_("our penetration"), max_digits=9, decimal_places=4, null=True, blank=True)

    class Meta:
        ordering = ["province", "city", "-year"]
        verbose_name = _("city market")
        verbose_name_plural = _("city markets")
        constraints = [
            models.UniqueConstraint(
                fields=["city", "year"],
                name="city_market_one_per_city_year",
                violation_error_message=_("This city already has its market for that year."),
            ),
            models.CheckConstraint(
                name="city_market_households_within_population",
                condition=Q(households__lte=F("population")),
                violation_error_message=_("A city cannot have more households than people."),
            ),
            models.CheckConstraint(
                name="city_market_nev_share_is_a_share",
                condition=Q(nev_share__gte=0, nev_share__lte=1),
                violation_error_message=_("The new-energy share lies between 0 and 1."),
            ),
            coordinates_valid("city_market"),
        ]

    def __str__(self) -> str:
        return f"{self.city} {self.year}"

    def get_absolute_url(self) -> str:
        return reverse("channels:market-detail", args=[self.pk])


@pghistory.track(pghistory.InsertEvent(), pghistory.UpdateEvent(), pghistory.DeleteEvent(), meta=event_meta("lead"))
class Lead(models.Model):
    """A sales lead, assigned to the dealer best placed to serve it (``channels.routing``:
    every assignment is a ``LeadAssignment`` row with its reason). ``crm_reference`` is the
    lead's id in the dealer's CRM, the key its imports upsert by. ``assigned_at`` is the
    latest assignment: after an SLA re-assignment the response time (health metric 4) counts
    from the moment the dealer holding the lead received it."""

    source = models.CharField(_("source"), max_length=16, choices=LeadSource.choices)
    customer_city = models.CharField(_("customer city"), max_length=32)
    customer_latitude = models.DecimalField(
        _("customer latitude"), max_digits=9, decimal_places=6, null=True, blank=True, validators=LATITUDE_VALIDATORS
    )
    customer_longitude = models.DecimalField(
        _("customer longitude"), max_digits=9, decimal_places=6, null=True, blank=True, validators=LONGITUDE_VALIDATORS
    )
    model_of_interest = models.ForeignKey(
        "inventory.VehicleModel", verbose_name=_("model of interest"), null=True, blank=True, on_delete=models.PROTECT
    )
    created_at = models.DateTimeField(_("created at"))
    dealer = models.ForeignKey(
        Dealer, verbose_name=_("assigned dealer"), null=True, blank=True, on_delete=models.PROTECT, related_name="leads"
    )
    assigned_at = models.DateTimeField(_("assigned at"), null=True, blank=True)
    first_contact_at = models.DateTimeField(_("first contact at"), null=True, blank=True)
    outcome = models.CharField(_("outcome"), max_length=16, choices=LeadOutcome.choices, default=LeadOutcome.OPEN)
    converted_sale = models.OneToOneField(
        "inventory.Sale",
        verbose_name=_("converted sale"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="lead",
    )
    crm_reference = models.CharField(_("CRM reference"), max_length=64, blank=True, default="", db_default="")
    # The network lead platform's id of a lead head office imported from it (datahub's network leads).
    network_reference = models.CharField(
        _("network lead reference"), max_length=64, blank=True, default="", db_default=""
    )
    customer_name = models.CharField(_("customer name"), max_length=64, blank=True, default="", db_default="")
    customer_phone = models.CharField(
        _("customer phone"), max_length=11, blank=True, default="", db_default="", validators=[phone_validator]
    )
    channel_preference = models.CharField(
        _("channel preference"), max_length=16, choices=DealerKind.choices, blank=True, default="", db_default=""
    )
    online_order = models.BooleanField(
        _("online order"), default=False, db_default=False, help_text=_("Delivered by the nearest 4S store.")
    )
    lead_page = models.ForeignKey(
        "channels.LeadPage",
        verbose_name=_("lead page"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="leads",
    )
    consent_at = models.DateTimeField(_("consent given at"), null=True, blank=True)
    # The routing's SLA (channels.routing): when the dealer holding the lead must have called,
    # how often it moved for a missed SLA, and when it went to the regional manager instead.
    sla_due_at = models.DateTimeField(_("contact due by"), null=True, blank=True)
    reassignments = models.PositiveSmallIntegerField(_("re-assignments"), default=0, db_default=0)
    escalated_at = models.DateTimeField(_("escalated at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("lead")
        verbose_name_plural = _("leads")
        indexes = [
            models.Index(fields=["dealer", "assigned_at"]),
            # The SLA task's queue: the leads still waiting for their first call.
            models.Index(
                fields=["sla_due_at"],
                name="lead_sla_queue",
                condition=Q(first_contact_at__isnull=True, escalated_at__isnull=True, outcome="open"),
            ),
            *sort_indexes("dealer", "created_at", "first_contact_at"),
            search_index("channels_lead", "customer_city"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["dealer", "crm_reference"],
                condition=~Q(crm_reference=""),
                name="lead_unique_crm_reference",
                violation_error_message=_("The dealer already has a lead with this CRM reference."),
            ),
            models.UniqueConstraint(
                fields=["network_reference"],
                condition=~Q(network_reference=""),
                name="lead_unique_network_reference",
                violation_error_message=_("A lead with this network reference was imported already."),
            ),
            models.CheckConstraint(
                name="lead_assignment_after_creation",
                condition=Q(assigned_at__isnull=True) | Q(assigned_at__gte=F("created_at")),
                violation_error_message=_("A lead cannot be assigned before it was created."),
            ),
            models.CheckConstraint(
                name="lead_assigned_has_dealer",
                condition=Q(assigned_at__isnull=True) | Q(dealer__isnull=False),
                violation_error_message=_("An assigned lead needs a dealer."),
            ),
            models.CheckConstraint(
                name="lead_contact_after_creation",
                condition=Q(first_contact_at__isnull=True) | Q(first_contact_at__gte=F("created_at")),
                violation_error_message=_("First contact cannot precede the lead's creation."),
            ),
            models.CheckConstraint(
                name="lead_won_has_sale",
                condition=~Q(outcome="won") | Q(converted_sale__isnull=False),
                violation_error_message=_("A won lead names the sale it converted into."),
            ),
            models.CheckConstraint(
                name="lead_sla_after_assignment",
                condition=Q(sla_due_at__isnull=True) | Q(sla_due_at__gte=F("assigned_at")),
                violation_error_message=_("A lead's contact cannot be due before it was assigned."),
            ),
            models.CheckConstraint(
                name="lead_contact_after_assignment",
                condition=Q(first_contact_at__isnull=True) | Q(first_contact_at__gte=F("assigned_at")),
                violation_error_message=_("First contact cannot precede the lead's assignment."),
            ),
        ]
        # The health score's lead metrics read these: once recorded, a first contact stays as it
        # was and a lost lead stays lost (channels.services.lead_follow_up_refusals says why first).
        triggers = [
            pgtrigger.Trigger(
                name="lead_follow_up_kept",
                when=pgtrigger.Before,
                operation=pgtrigger.Update,
                func=pgtrigger.Func(
                    """
                    IF OLD.first_contact_at IS NOT NULL AND NEW.first_contact_at IS DISTINCT FROM OLD.first_contact_at
                    THEN
                      RAISE EXCEPTION 'lead %: its first contact is recorded and cannot change', OLD.id
                        USING ERRCODE = '23514';
                    END IF;
                    IF OLD.outcome = 'lost' AND NEW.outcome <> 'lost' THEN
                      RAISE EXCEPTION 'lead %: a lost lead cannot be reopened', OLD.id USING ERRCODE = '23514';
                    END IF;
                    RETURN NEW;
                    """
                ),
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.get_source_display()} {self.customer_city}"

    def get_absolute_url(self) -> str:
        return reverse("channels:lead-detail", args=[self.pk])


# -- channel health ---------------------------------------------------------------------------


class HealthMetric(models.TextChoices):
    """The 12 core metrics of a dealer's month, in the issue's order."""

    TARGET_ACHIEVEMENT = "target_achievement", _("Target achievement")
    STAFF_EFFICIENCY = "staff_efficiency", _("Staff efficiency")
    LEAD_CONVERSION = "lead_conversion", _("Lead conversion")
    LEAD_RESPONSE = "lead_response", _("Lead response time")
    INVENTORY_COEFFICIENT = "inventory_coefficient", _("Inventory coefficient")
    AGED_STOCK = "aged_stock", _("Aged stock")
    FINANCE_PENETRATION = "finance_penetration", _("Finance penetration")
    PRICE_REALISATION = "price_realisation", _("Price realisation")
    BELOW_FLOOR = "below_floor", _("Below-floor sales")
    SATISFACTION = "satisfaction", _("Customer satisfaction")
    RETENTION = "retention", _("After-sales retention")
    DATA_TIMELINESS = "data_timeliness", _("Data timeliness")


class Rating(models.TextChoices):
    A = "A", "A"
    B = "B", "B"
    C = "C", "C"
    D = "D", "D"


WEIGHT = {"max_digits": 6, "decimal_places": 3, "default": Decimal("1"), "validators": [MinValueValidator(0)]}
SCORE = {"max_digits": 5, "decimal_places": 2}


class HealthWeights(models.Model):
    """One version of the metric weights head office sets. Versions are never edited: a
    change is a new version, so every score names the weights it was computed with."""

    version = models.PositiveIntegerField(_("version"), unique=True)
    target_achievement = models.DecimalField(_("target achievement"), **WEIGHT)
    staff_efficiency = models.DecimalField(_("staff efficiency"), **WEIGHT)
    lead_conversion = models.DecimalField(_("lead conversion"), **WEIGHT)
    lead_response = models.DecimalField(_("lead response time"), **WEIGHT)
    inventory_coefficient = models.DecimalField(_("inventory coefficient"), **WEIGHT)
    aged_stock = models.DecimalField(_("aged stock"), **WEIGHT)
    finance_penetration = models.DecimalField(_("finance penetration"), **WEIGHT)
    price_realisation = models.DecimalField(_("price realisation"), **WEIGHT)
    below_floor = models.DecimalField(_("below-floor sales"), **WEIGHT)
    satisfaction = models.DecimalField(_("customer satisfaction"), **WEIGHT)
    retention = models.DecimalField(_("after-sales retention"), **WEIGHT)
    data_timeliness = models.DecimalField(_("data timeliness"), **WEIGHT)
    note = models.CharField(_("note"), max_length=200, blank=True)
    created_by = models.ForeignKey(
        "dealerops.User", verbose_name=_("created by"), null=True, blank=True, on_delete=models.SET_NULL
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["-version"]
        verbose_name = _("health metric weights")
        verbose_name_plural = _("health metric weights")
        constraints = [
            models.CheckConstraint(
                name="health_weights_not_negative",
                condition=Q(**{f"{metric}__gte": 0 for metric in HealthMetric.values}),
                violation_error_message=_("A weight cannot be negative."),
            ),
            models.CheckConstraint(
                name="health_weights_not_all_zero",
                condition=GreaterThan(sum((F(name) for name in HealthMetric.values[1:]), F(HealthMetric.values[0])), 0),
                violation_error_message=_("At least one weight must be above zero."),
            ),
        ]
        triggers = [pgtrigger.Protect(name="health_weights_versions_are_final", operation=pgtrigger.Update)]

    def __str__(self) -> str:
        return _("Weights v%(version)s") % {"version": self.version}

    def weights(self) -> dict[str, Decimal]:
        return {metric: getattr(self, metric) for metric in HealthMetric.values}

    def summary(self) -> str:
        """What the pages say about this version: head office's note, else "Equal weights"
        (in the UI's language) when every metric weighs the same, as version 1 does."""
        if self.note:
            return self.note
        return gettext("Equal weights") if len(set(self.weights().values())) == 1 else ""


class RatingMethod(models.TextChoices):
    SHARES = "shares", _("Shares of the peer group")
    FLOORS = "floors", _("Composite floors")


# A band's share of the peer group, in percent (two decimals, exact: the shares add up to 100).
PERCENT = {"max_digits": 5, "decimal_places": 2, "null": True, "blank": True}
SHARE_FIELDS = ("a_share", "b_share", "c_share", "d_share")
FLOOR_FIELDS = ("a_floor", "b_floor", "c_floor")
# The default bands (version 2): a stable distribution whatever the composites centre on.
DEFAULT_SHARES = {
    "a_share": Decimal("15"),
    "b_share": Decimal("35"),
    "c_share": Decimal("35"),
    "d_share": Decimal("15"),
}
# The fixed floors every score was rated with before versioned bands (version 1).
LEGACY_FLOORS = {"a_floor": Decimal("85"), "b_floor": Decimal("70"), "c_floor": Decimal("55")}


def _percent_text(value: Decimal) -> str:
    """15.00 -> "15", 12.50 -> "12.5"."""
    return f"{value.normalize():f}"


class RatingBands(models.Model):
    """One version of the rating bands head office sets. Versions are never edited: a change
    is a new version, so every score names the bands it was rated with (``HealthScore.rating_bands``).

    *Shares* (every version head office sets): within each peer group (dealer kind), nationwide,
    the best ``a_share`` percent of the dealers with a composite are rated A, the next
    ``b_share`` percent B, the next ``c_share`` percent C, the rest (``d_share``) D; the four add
    up to 100. *Floors*: a fixed lowest composite per rating, the rule before versioned bands,
    kept as version 1 so the ratings of that time stay explained; no later version uses floors.
    """

    version = models.PositiveIntegerField(_("version"), unique=True)
    method = models.CharField(_("method"), max_length=8, choices=RatingMethod.choices, default=RatingMethod.SHARES)
    a_share = models.DecimalField(_("A: top share of peers (%)"), **PERCENT)
    b_share = models.DecimalField(_("B: next share of peers (%)"), **PERCENT)
    c_share = models.DecimalField(_("C: next share of peers (%)"), **PERCENT)
    d_share = models.DecimalField(_("D: bottom share of peers (%)"), **PERCENT)
    a_floor = models.DecimalField(_("A from composite"), **PERCENT)
    b_floor = models.DecimalField(_("B from composite"), **PERCENT)
    c_floor = models.DecimalField(_("C from composite"), **PERCENT)
    note = models.CharField(_("note"), max_length=200, blank=True)
    created_by = models.ForeignKey(
        "dealerops.User", verbose_name=_("created by"), null=True, blank=True, on_delete=models.SET_NULL
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["-version"]
        verbose_name = _("rating bands")
        verbose_name_plural = _("rating bands")
        constraints = [
            models.CheckConstraint(
                name="rating_bands_shares_or_floors",
                condition=Q(
                    method=RatingMethod.SHARES,
                    **{f"{name}__gte": 0 for name in SHARE_FIELDS},
                    **{f"{name}__isnull": True for name in FLOOR_FIELDS},
                )
                & Exact(F("a_share") + F("b_share") + F("c_share") + F("d_share"), 100)
                | Q(
                    method=RatingMethod.FLOORS,
                    c_floor__gte=0,
                    b_floor__gt=F("c_floor"),
                    a_floor__gt=F("b_floor"),
                    a_floor__lte=100,
                    **{f"{name}__isnull": True for name in SHARE_FIELDS},
                ),
                violation_error_message=_(
                    "Rating bands are four shares (0-100 %) adding up to 100 %, or three falling composite floors."
                ),
            ),
        ]
        triggers = [pgtrigger.Protect(name="rating_bands_versions_are_final", operation=pgtrigger.Update)]

    def __str__(self) -> str:
        return _("Bands v%(version)s") % {"version": self.version}

    def cumulative_shares(self) -> tuple[Decimal, Decimal, Decimal]:
        """The share of peers rated A, A or B, and A to C (percent): the rating SQL's bounds."""
        return self.a_share, self.a_share + self.b_share, self.a_share + self.b_share + self.c_share

    def summary(self) -> str:
        """The bands in the reader's language (no sentence is stored as data)."""
        if self.method == RatingMethod.FLOORS:
            return gettext("Composite floors: A from %(a)s, B from %(b)s, C from %(c)s, D below.") % {
                "a": _percent_text(self.a_floor),
                "b": _percent_text(self.b_floor),
                "c": _percent_text(self.c_floor),
            }
        return gettext(
            "Among dealers of the same kind nationwide: the top %(a)s %% are rated A, the next %(b)s %% B, "
            "the next %(c)s %% C, the bottom %(d)s %% D."
        ) % {name[0]: _percent_text(getattr(self, name)) for name in SHARE_FIELDS}


class HealthMonth(models.Model):
    """The state of one month's scores under one weights version. A month is *final* once it
    has been scored after its reporting cut-off (the ``HEALTH_REPORTING_CUTOFF_DAY`` of the next
    month, end of day): from then on its scores are never rewritten (a trigger refuses it) and
    a re-run writes nothing, unless a newer weights version gives it a new set of scores."""

    month = models.DateField(_("month"))
    weights = models.ForeignKey(HealthWeights, verbose_name=_("weights"), on_delete=models.PROTECT)
    # The bands its scores are rated with: those in force when it was last computed or re-rated.
    rating_bands = models.ForeignKey(RatingBands, verbose_name=_("rating bands"), on_delete=models.PROTECT)
    period_end = models.DateField(_("data up to"))
    dealers = models.PositiveIntegerField(_("dealers scored"), default=0)
    # When its scores were last written: computed, or re-rated (the health pages' cache reads it).
    computed_at = models.DateTimeField(_("computed at"))
    final = models.BooleanField(_("final"), default=False)
    finalised_at = models.DateTimeField(_("final since"), null=True, blank=True)

    class Meta:
        ordering = ["-month", "-weights__version"]
        verbose_name = _("health score month")
        verbose_name_plural = _("health score months")
        constraints = [
            models.UniqueConstraint(fields=["month", "weights"], name="health_month_unique_per_weights"),
            models.CheckConstraint(
                name="health_month_starts_on_the_first",
                condition=Q(month__day=1),
                violation_error_message=_("A month is named by its first day."),
            ),
            models.CheckConstraint(
                name="health_month_final_dated",
                condition=Q(final=True, finalised_at__isnull=False) | Q(final=False, finalised_at__isnull=True),
                violation_error_message=_("A final month records when it became final."),
            ),
            models.CheckConstraint(
                name="health_month_period_end_in_month",
                condition=Q(period_end__gte=F("month")),
                violation_error_message=_("The data of a month cannot end before the month starts."),
            ),
        ]
        triggers = [
            pgtrigger.Protect(
                name="health_month_final_is_final",
                operation=pgtrigger.Update | pgtrigger.Delete,
                condition=pgtrigger.Q(old__final=True),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} v{self.weights.version}"


def final_month_guard(score_of: str) -> str:
    """Trigger body refusing any write to the scores of a final month (see HealthMonth).
    ``score_of`` is SQL giving the written row's (month, weights_id) from ``{row}``."""
    check = """
      IF EXISTS (
        SELECT 1 FROM channels_healthmonth m JOIN ({score}) s ON m.month = s.month AND m.weights_id = s.weights_id
        WHERE m.final
      ) THEN
        RAISE EXCEPTION 'the health scores of a final month cannot be written' USING ERRCODE = '23514';
      END IF;
    """
    return f"""
    BEGIN
      IF TG_OP <> 'INSERT' THEN {check.format(score=score_of.format(row="OLD"))} END IF;
      IF TG_OP <> 'DELETE' THEN {check.format(score=score_of.format(row="NEW"))} RETURN NEW; END IF;
      RETURN OLD;
    END;
    """


class HealthScore(models.Model):
    """A dealer's health in one calendar month under one weights version: the composite of its
    metric scores (``metrics``), its rating under ``rating_bands``, and the probation flag (rated
    D two months running). ``dealer_kind`` is the peer group the dealer was ranked in."""

    dealer = models.ForeignKey(Dealer, verbose_name=_("dealer"), on_delete=models.PROTECT, related_name="health_scores")
    month = models.DateField(_("month"))
    weights = models.ForeignKey(HealthWeights, verbose_name=_("weights"), on_delete=models.PROTECT)
    rating_bands = models.ForeignKey(RatingBands, verbose_name=_("rating bands"), on_delete=models.PROTECT)
    dealer_kind = models.CharField(_("peer group"), max_length=16, choices=DealerKind.choices)
    composite = models.DecimalField(_("composite score"), **SCORE, null=True, blank=True)
    rating = models.CharField(_("rating"), max_length=1, choices=Rating.choices, blank=True)
    probation = models.BooleanField(_("probation review"), default=False)
    metrics_scored = models.PositiveSmallIntegerField(_("metrics with enough data"))
    computed_at = models.DateTimeField(_("computed at"))

    class Meta:
        ordering = ["-month", "dealer__code"]
        verbose_name = _("health score")
        verbose_name_plural = _("health scores")
        indexes = [models.Index(fields=["month", "weights", "rating"])]
        constraints = [
            models.UniqueConstraint(fields=["dealer", "month", "weights"], name="health_score_unique_per_month"),
            models.CheckConstraint(
                name="health_score_month_starts_on_the_first",
                condition=Q(month__day=1),
                violation_error_message=_("A month is named by its first day."),
            ),
            models.CheckConstraint(
                name="health_score_composite_0_to_100",
                condition=Q(composite__isnull=True) | Q(composite__gte=0, composite__lte=100),
                violation_error_message=_("The composite score lies between 0 and 100."),
            ),
            # Which rating a composite gets depends on its peers' composites (RatingBands), which
            # a row's check cannot read: the check keeps that a dealer is rated exactly when it
            # has a composite; the computation rates all of a month's dealers in one statement.
            models.CheckConstraint(
                name="health_score_rated_when_composite",
                condition=Q(composite__isnull=True, rating="") | (Q(composite__isnull=False) & ~Q(rating="")),
                violation_error_message=_("A dealer is rated exactly when it has a composite score."),
            ),
            models.CheckConstraint(
                name="health_score_probation_only_when_d",
                condition=Q(probation=False) | Q(rating=Rating.D),
                violation_error_message=_("Only a dealer rated D can be flagged for probation review."),
            ),
            models.CheckConstraint(
                name="health_score_metrics_scored_0_to_12",
                condition=Q(metrics_scored__lte=len(HealthMetric.values)),
                violation_error_message=_("There are 12 metrics."),
            ),
        ]
        triggers = [
            pgtrigger.Trigger(
                name="health_score_final_month_untouched",
                when=pgtrigger.Before,
                operation=pgtrigger.Insert | pgtrigger.Update | pgtrigger.Delete,
                func=final_month_guard("SELECT {row}.month, {row}.weights_id"),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.dealer_id} {self.month:%Y-%m} {self.rating or '-'}"


class HealthMetricScore(models.Model):
    """One metric of a dealer's month: the raw value, the sample it came from, and its 0–100
    percentile score among the peers, or no score when the sample is below the metric's minimum."""

    health_score = models.ForeignKey(
        HealthScore, verbose_name=_("health score"), on_delete=models.CASCADE, related_name="metrics"
    )
    metric = models.CharField(_("metric"), max_length=32, choices=HealthMetric.choices)
    value = models.DecimalField(_("raw value"), max_digits=14, decimal_places=4, null=True, blank=True)
    sample = models.PositiveIntegerField(_("sample size"))
    score = models.DecimalField(_("score"), **SCORE, null=True, blank=True)
    insufficient = models.BooleanField(_("insufficient data"))

    class Meta:
        ordering = ["health_score", "id"]
        verbose_name = _("health metric score")
        verbose_name_plural = _("health metric scores")
        constraints = [
            models.UniqueConstraint(fields=["health_score", "metric"], name="health_metric_unique_per_score"),
            models.CheckConstraint(
                name="health_metric_score_0_to_100",
                condition=Q(score__isnull=True) | Q(score__gte=0, score__lte=100),
                violation_error_message=_("A metric score lies between 0 and 100."),
            ),
            models.CheckConstraint(
                name="health_metric_scored_unless_insufficient",
                condition=Q(insufficient=True, score__isnull=True)
                | Q(insufficient=False, score__isnull=False, value__isnull=False),
                violation_error_message=_("A metric is scored exactly when it has enough data."),
            ),
        ]
        triggers = [
            pgtrigger.Trigger(
                name="health_metric_final_month_untouched",
                when=pgtrigger.Before,
                operation=pgtrigger.Insert | pgtrigger.Update | pgtrigger.Delete,
                func=final_month_guard(
                    "SELECT h.month, h.weights_id FROM channels_healthscore h WHERE h.id = {row}.health_score_id"
                ),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_metric_display()}: {self.score if self.score is not None else '-'}"


# The lead routing's tables (settings, lead pages, assignments) live beside its logic.
# The network plan's tables live beside its maths (channels.planning); importing them here
# registers them as this app's models.
# Dealer admission (channels.admission): applications, their documents and the decisions.
from channels.admission.models import (  # noqa: E402, F401
    AdmissionDecision,
    AdmissionOutcome,
    ApplicationDocument,
    ApplicationStatus,
    DealerApplication,
    DocumentKind,
)

# The dealer graph's tables live beside its maths (channels.graph), registered the same way.
from channels.graph.models import (  # noqa: E402, F401
    GraphCluster,
    GraphNode,
    GraphRun,
    GraphTie,
    RiskEvaluation,
    RiskOutcome,
    TieKind,
)

# Field inspections (channels.inspections): imported here, they are this app's models too.
from channels.inspections.models import (  # noqa: E402, F401
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
from channels.planning.models import (  # noqa: E402, F401
    ChangeKind,
    DealerDecision,
    DecisionKind,
    OutletOverlap,
    PlanningRun,
    PlanningSettings,
    Recommendation,
    RecommendationKind,
    RunCells,
    Scenario,
    ScenarioChange,
    ScenarioEffect,
    ScenarioStatus,
    TradeArea,
    WhiteSpot,
)
from channels.routing.models import (  # noqa: E402, F401
    AssignmentKind,
    AssignmentReason,
    LeadAssignment,
    LeadPage,
    RoutingSettings,
)
