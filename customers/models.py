"""Customers, their service visits, and their inquiries and complaints."""

from decimal import Decimal

import pghistory
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from channels.models import LATITUDE_VALIDATORS, LONGITUDE_VALIDATORS, Dealer, TimeStamped
from dealerops.history import event_meta
from dealerops.indexes import search_index, sort_indexes
from dealerops.privacy import PHONE_PATTERN, mask_phone, phone_validator  # noqa: F401 - customers' names for them


@pghistory.track(pghistory.InsertEvent(), pghistory.UpdateEvent(), pghistory.DeleteEvent(), meta=event_meta("customer"))
class Customer(TimeStamped):
    """A retail customer, at home with one dealer. The phone is stored whole and shown masked
    to every role that has no need for it (see ``dealerops.access.can_see_phone``)."""

    home_dealer = models.ForeignKey(
        Dealer, verbose_name=_("home dealer"), on_delete=models.PROTECT, related_name="customers"
    )
    name = models.CharField(_("name"), max_length=64)
    phone = models.CharField(_("phone"), max_length=11, validators=[phone_validator])
    city = models.CharField(_("city"), max_length=32)
    latitude = models.DecimalField(
        _("latitude"), max_digits=9, decimal_places=6, null=True, blank=True, validators=LATITUDE_VALIDATORS
    )
    longitude = models.DecimalField(
        _("longitude"), max_digits=9, decimal_places=6, null=True, blank=True, validators=LONGITUDE_VALIDATORS
    )
    marketing_consent = models.BooleanField(_("consents to marketing"), default=False)

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("customer")
        verbose_name_plural = _("customers")
        indexes = [
            *sort_indexes("home_dealer", "name", "city", "created_at"),
            search_index("customers_customer", "name"),
            search_index("customers_customer", "city"),
        ]
        constraints = [
            # The natural key imports upsert by.
            models.UniqueConstraint(fields=["home_dealer", "phone"], name="customer_unique_phone_per_dealer"),
            models.CheckConstraint(
                name="customer_phone_format",
                condition=Q(phone__regex=PHONE_PATTERN),
                violation_error_message=phone_validator.message,
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} {self.masked_phone}"

    def get_absolute_url(self) -> str:
        return reverse("customers:customer-detail", args=[self.pk])

    @property
    def masked_phone(self) -> str:
        return mask_phone(self.phone)


class ServiceKind(models.TextChoices):
    MAINTENANCE = "maintenance", _("Maintenance")
    REPAIR = "repair", _("Repair")
    WARRANTY = "warranty", _("Warranty")
    BODYWORK = "bodywork", _("Bodywork")
    INSPECTION = "inspection", _("Inspection")


@pghistory.track(pghistory.InsertEvent(), pghistory.UpdateEvent(), pghistory.DeleteEvent(), meta=event_meta("visit"))
class ServiceVisit(TimeStamped):
    """An after-sales visit of a customer to a dealer's workshop. ``work_order`` is the
    workshop system's order number, the key its imports upsert by."""

    customer = models.ForeignKey(
        Customer, verbose_name=_("customer"), on_delete=models.PROTECT, related_name="service_visits"
    )
    dealer = models.ForeignKey(
        Dealer, verbose_name=_("dealer"), on_delete=models.PROTECT, related_name="service_visits"
    )
    visited_on = models.DateField(_("visited on"))
    kind = models.CharField(_("kind"), max_length=16, choices=ServiceKind.choices)
    amount = models.DecimalField(
        _("amount"), max_digits=12, decimal_places=2, validators=[MinValueValidator(Decimal("0"))]
    )
    satisfaction = models.PositiveSmallIntegerField(
        _("satisfaction (1-5)"), null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    work_order = models.CharField(_("work order"), max_length=32, blank=True, default="", db_default="")

    class Meta:
        ordering = ["-visited_on", "-id"]
        verbose_name = _("service visit")
        verbose_name_plural = _("service visits")
        indexes = [models.Index(fields=["dealer", "visited_on"])]
        constraints = [
            models.UniqueConstraint(
                fields=["dealer", "work_order"],
                condition=~Q(work_order=""),
                name="service_visit_unique_work_order",
                violation_error_message=_("The dealer already has a visit with this work order."),
            ),
            models.CheckConstraint(
                name="service_visit_amount_not_negative",
                condition=Q(amount__gte=0),
                violation_error_message=_("The amount cannot be negative."),
            ),
            models.CheckConstraint(
                name="service_visit_satisfaction_1_to_5",
                condition=Q(satisfaction__isnull=True) | Q(satisfaction__gte=1, satisfaction__lte=5),
                violation_error_message=_("Satisfaction is a score from 1 to 5."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.visited_on} {self.get_kind_display()}"


class InquiryKind(models.TextChoices):
    INQUIRY = "inquiry", _("Inquiry")
    COMPLAINT = "complaint", _("Complaint")


class InquiryStatus(models.TextChoices):
    OPEN = "open", _("Open")
    IN_PROGRESS = "in_progress", _("In progress")
    RESOLVED = "resolved", _("Resolved")
    CLOSED = "closed", _("Closed")


class InquiryCategory(models.TextChoices):
    SALES = "sales", _("Sales")
    SERVICE = "service", _("After-sales service")
    FINANCE = "finance", _("Finance and loans")
    PRODUCT = "product", _("Product quality")
    OTHER = "other", _("Other")


class Inquiry(models.Model):
    """An inquiry or complaint, handled by the dealer it is routed to."""

    customer = models.ForeignKey(
        Customer, verbose_name=_("customer"), on_delete=models.PROTECT, related_name="inquiries"
    )
    dealer = models.ForeignKey(Dealer, verbose_name=_("dealer"), on_delete=models.PROTECT, related_name="inquiries")
    kind = models.CharField(_("kind"), max_length=16, choices=InquiryKind.choices)
    category = models.CharField(_("category"), max_length=16, choices=InquiryCategory.choices)
    text = models.TextField(_("text"))
    opened_at = models.DateTimeField(_("opened at"))
    status = models.CharField(_("status"), max_length=16, choices=InquiryStatus.choices, default=InquiryStatus.OPEN)
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    satisfaction = models.PositiveSmallIntegerField(
        _("satisfaction (1-5)"), null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(5)]
    )

    class Meta:
        ordering = ["-opened_at", "-id"]
        verbose_name = _("inquiry")
        verbose_name_plural = _("inquiries")
        indexes = [*sort_indexes("dealer", "opened_at"), search_index("customers_inquiry", "text")]
        constraints = [
            models.CheckConstraint(
                name="inquiry_satisfaction_1_to_5",
                condition=Q(satisfaction__isnull=True) | Q(satisfaction__gte=1, satisfaction__lte=5),
                violation_error_message=_("Satisfaction is a score from 1 to 5."),
            ),
            models.CheckConstraint(
                name="inquiry_resolved_has_time",
                condition=~Q(status__in=["resolved", "closed"]) | Q(resolved_at__isnull=False),
                violation_error_message=_("A resolved inquiry needs its resolution time."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.pk}"
