"""The dealer network: the ground floor every other app points down to."""

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

LATITUDE_VALIDATORS = [MinValueValidator(-90), MaxValueValidator(90)]
LONGITUDE_VALIDATORS = [MinValueValidator(-180), MaxValueValidator(180)]


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
            models.CheckConstraint(
                name="dealer_coordinates_valid",
                condition=Q(latitude__gte=-90, latitude__lte=90, longitude__gte=-180, longitude__lte=180),
                violation_error_message=_("Latitude must lie in -90..90 and longitude in -180..180."),
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


class LeadOutcome(models.TextChoices):
    OPEN = "open", _("Open")
    CONTACTED = "contacted", _("Contacted")
    TEST_DRIVE = "test_drive", _("Test drive")
    WON = "won", _("Won")
    LOST = "lost", _("Lost")


class Lead(models.Model):
    """A sales lead, assigned to the dealer best placed to serve it."""

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

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("lead")
        verbose_name_plural = _("leads")
        indexes = [models.Index(fields=["dealer", "assigned_at"])]
        constraints = [
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
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.get_source_display()} {self.customer_city}"
