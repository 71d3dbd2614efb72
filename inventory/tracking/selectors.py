"""Reads of the units on their way: each with its latest position and whether it is late
against its ETA or its tracker has gone silent."""

from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import BooleanField, Case, F, Q, QuerySet, Value, When
from django.utils import timezone

from dealerops.validation import today
from inventory.models import Position, StockStatus, StockUnit


def silent_since(at: datetime | None = None) -> datetime:
    """Positions older than this leave a unit's tracker silent (``TRACKER_SILENT_HOURS``)."""
    return (at or timezone.now()) - timedelta(hours=settings.TRACKER_SILENT_HOURS)


def in_transit_units(at: datetime | None = None) -> QuerySet[StockUnit]:
    """Units in transit annotated with their latest position (``last_seen``, ``last_latitude``,
    ``last_longitude``, ``last_speed``, ``last_note``: None without one), ``late`` (past their
    ETA) and ``silent`` (no position, or none within ``TRACKER_SILENT_HOURS``); late and silent
    first."""
    day = timezone.localtime(at).date() if at else today()
    return (
        StockUnit.objects.filter(status=StockStatus.IN_TRANSIT)
        .select_related("model", "dealer")
        .annotate(
            last_seen=F("latest_position__recorded_at"),
            last_latitude=F("latest_position__latitude"),
            last_longitude=F("latest_position__longitude"),
            last_speed=F("latest_position__speed_kmh"),
            last_note=F("latest_position__note"),
            late=Case(When(eta__lt=day, then=Value(True)), default=Value(False), output_field=BooleanField()),
            silent=Case(
                When(
                    Q(latest_position__isnull=True) | Q(latest_position__recorded_at__lt=silent_since(at)),
                    then=Value(True),
                ),
                default=Value(False),
                output_field=BooleanField(),
            ),
        )
        .order_by("-late", "-silent", "eta", "vin")
    )


def unit_track(unit: StockUnit, limit: int = 50) -> list[Position]:
    """The unit's newest positions, newest first."""
    return list(Position.objects.filter(stock_unit=unit).order_by("-recorded_at")[:limit])
