"""Trackers, the positions they report and each unit's latest one. Imported by
``inventory.models`` so the app's models are one module to Django."""

from decimal import Decimal

from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class PositionSource(models.TextChoices):
    API = "api", _("API")
    IMPORT = "import", _("Import")
    MQTT = "mqtt", _("Tracker (MQTT)")


class Tracker(models.Model):
    """A GPS device fitted to a unit for its journey; its MQTT topic names it by ``device_id``."""

    device_id = models.CharField(_("device id"), max_length=64, unique=True)
    stock_unit = models.ForeignKey(
        "inventory.StockUnit", verbose_name=_("stock unit"), on_delete=models.PROTECT, related_name="trackers"
    )
    fitted_at = models.DateTimeField(_("fitted at"), default=timezone.now)

    class Meta:
        ordering = ["device_id"]
        verbose_name = _("tracker")
        verbose_name_plural = _("trackers")

    def __str__(self) -> str:
        return self.device_id


class Position(models.Model):
    """Where a unit was at a moment, as its tracker or carrier reported it. A report sent twice
    (a device resending after a dropped connection) is one position: unique by unit and time."""

    stock_unit = models.ForeignKey(
        "inventory.StockUnit", verbose_name=_("stock unit"), on_delete=models.CASCADE, related_name="positions"
    )
    recorded_at = models.DateTimeField(_("recorded at"))
    latitude = models.DecimalField(_("latitude"), max_digits=9, decimal_places=6)
    longitude = models.DecimalField(_("longitude"), max_digits=9, decimal_places=6)
    speed_kmh = models.DecimalField(
        _("speed (km/h)"),
        max_digits=5,
        decimal_places=1,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal(0))],
    )
    note = models.CharField(_("note"), max_length=200, blank=True, default="")
    source = models.CharField(_("source"), max_length=8, choices=PositionSource.choices)
    tracker = models.ForeignKey(
        Tracker, verbose_name=_("tracker"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    received_at = models.DateTimeField(_("received at"), default=timezone.now)

    class Meta:
        ordering = ["-recorded_at", "-id"]
        verbose_name = _("position")
        verbose_name_plural = _("positions")
        constraints = [
            models.UniqueConstraint(fields=["stock_unit", "recorded_at"], name="position_one_per_unit_and_time"),
            models.CheckConstraint(
                name="position_speed_not_negative",
                condition=Q(speed_kmh__isnull=True) | Q(speed_kmh__gte=0),
                violation_error_message=_("A speed cannot be negative."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.stock_unit_id} @ {self.recorded_at:%Y-%m-%d %H:%M}"


class LatestPosition(models.Model):
    """Each tracked unit's newest position, kept by ``positions_record`` so the in-transit map
    reads one row a unit instead of the newest of its whole track."""

    stock_unit = models.OneToOneField(
        "inventory.StockUnit", primary_key=True, on_delete=models.CASCADE, related_name="latest_position"
    )
    recorded_at = models.DateTimeField()
    latitude = models.DecimalField(max_digits=9, decimal_places=6)
    longitude = models.DecimalField(max_digits=9, decimal_places=6)
    speed_kmh = models.DecimalField(max_digits=5, decimal_places=1, null=True)
    note = models.CharField(max_length=200, blank=True, default="")

    def __str__(self) -> str:
        return f"{self.stock_unit_id} @ {self.recorded_at:%Y-%m-%d %H:%M}"


class TrackerRejection(models.Model):
    """A tracker message the subscriber could not take (not JSON, an unknown device, a refused
    position): logged and counted here, so a device that misbehaves shows on the page."""

    received_at = models.DateTimeField(default=timezone.now, db_index=True)
    topic = models.CharField(max_length=200)
    device_id = models.CharField(max_length=64, blank=True, default="")
    reason = models.CharField(max_length=300)
    payload = models.TextField(blank=True, default="")  # the first 500 characters

    class Meta:
        ordering = ["-received_at", "-id"]

    def __str__(self) -> str:
        return f"{self.topic}: {self.reason}"
