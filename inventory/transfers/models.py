"""Transfers of units between dealers and the plans that propose them. Imported by
``inventory.models`` so the app's models are one module to Django."""

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from dealerops.indexes import sort_indexes


class TransferStatus(models.TextChoices):
    PROPOSED = "proposed", _("Proposed")
    CONFIRMED = "confirmed", pgettext_lazy("transfer", "Confirmed")
    ARRIVED = "arrived", _("Arrived")
    DECLINED = "declined", _("Declined")


# A unit has at most one transfer in these statuses at a time.
OPEN_STATUSES = [TransferStatus.PROPOSED, TransferStatus.CONFIRMED]


class TransferPlan(models.Model):
    """One run of the transfer planner for one model: its parameters, the exact plan's cost
    and the greedy nearest-surplus plan's cost beside it; its lines are the proposed transfers."""

    model = models.ForeignKey(
        "inventory.VehicleModel", verbose_name=_("model"), on_delete=models.PROTECT, related_name="transfer_plans"
    )
    as_of = models.DateField(_("as of"))
    parameters = models.JSONField(_("parameters"), default=dict)
    units = models.PositiveIntegerField(_("units"), default=0)
    total_cost = models.DecimalField(_("total cost"), max_digits=14, decimal_places=2)
    greedy_units = models.PositiveIntegerField(_("greedy units"), default=0)
    greedy_cost = models.DecimalField(_("greedy cost"), max_digits=14, decimal_places=2)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("created by"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("transfer plan")
        verbose_name_plural = _("transfer plans")

    def __str__(self) -> str:
        return f"{self.model} {self.as_of}"

    def get_absolute_url(self) -> str:
        return reverse("inventory:transfer-plan-detail", args=[self.pk])

    @property
    def saving(self):
        """Greedy cost − the plan's, when both move as many units (else they do not compare)."""
        return self.greedy_cost - self.total_cost if self.greedy_units == self.units else None


class Transfer(models.Model):
    """A unit's move from one dealer to another: proposed, then confirmed (the unit goes in
    transit with an ETA) and arrived (in stock at the receiving dealer), or declined."""

    stock_unit = models.ForeignKey(
        "inventory.StockUnit", verbose_name=_("stock unit"), on_delete=models.PROTECT, related_name="transfers"
    )
    from_dealer = models.ForeignKey(
        "channels.Dealer", verbose_name=_("from dealer"), on_delete=models.PROTECT, related_name="transfers_out"
    )
    to_dealer = models.ForeignKey(
        "channels.Dealer", verbose_name=_("to dealer"), on_delete=models.PROTECT, related_name="transfers_in"
    )
    status = models.CharField(
        _("status"), max_length=16, choices=TransferStatus.choices, default=TransferStatus.PROPOSED
    )
    distance_km = models.DecimalField(
        _("distance (km)"), max_digits=7, decimal_places=1, validators=[MinValueValidator(0)]
    )
    cost = models.DecimalField(_("cost"), max_digits=12, decimal_places=2, validators=[MinValueValidator(0)])
    eta = models.DateField(_("ETA"), null=True, blank=True)
    plan = models.ForeignKey(
        TransferPlan,
        verbose_name=_("plan"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="transfers",
    )
    proposed_at = models.DateTimeField(_("proposed at"))
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)  # confirmed or declined
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    arrived_on = models.DateField(_("arrived on"), null=True, blank=True)
    arrived_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-proposed_at", "-id"]
        verbose_name = _("transfer")
        verbose_name_plural = _("transfers")
        indexes = [
            models.Index(fields=["from_dealer", "status"]),
            models.Index(fields=["to_dealer", "status"]),
            # The list's sorts, for the network, a region and the sender; and for the receiver.
            *sort_indexes("from_dealer", "proposed_at", "cost"),
            *(models.Index(fields=["to_dealer", field, "id"]) for field in ("proposed_at", "cost")),
        ]
        constraints = [
            models.CheckConstraint(
                name="transfer_between_two_dealers",
                condition=~Q(from_dealer=F("to_dealer")),
                violation_error_message=_("A transfer goes to another dealer."),
            ),
            models.UniqueConstraint(
                fields=["stock_unit"],
                condition=Q(status__in=OPEN_STATUSES),
                name="transfer_one_open_per_unit",
                violation_error_message=_("This unit already has a transfer under way."),
            ),
            models.CheckConstraint(
                name="transfer_confirmed_has_eta",
                condition=Q(eta__isnull=False) | ~Q(status__in=[TransferStatus.CONFIRMED, TransferStatus.ARRIVED]),
                violation_error_message=_("A confirmed transfer needs an ETA."),
            ),
            models.CheckConstraint(
                name="transfer_arrival_recorded",
                condition=Q(arrived_on__isnull=False) | ~Q(status=TransferStatus.ARRIVED),
                violation_error_message=_("An arrived transfer needs its arrival date."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.stock_unit_id}: {self.from_dealer_id} → {self.to_dealer_id}"

    def get_absolute_url(self) -> str:
        return reverse("inventory:transfer-detail", args=[self.pk])
