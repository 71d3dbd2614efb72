"""Reads of the units on their way: each with its latest position and whether it is late
against its ETA or its tracker has gone silent."""

from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ObjectDoesNotExist
from django.db.models import BooleanField, Case, Q, QuerySet, Value, When
from django.utils import timezone

from dealerops.validation import today
from inventory.models import LatestPosition, Position, StockStatus, StockUnit


def silent_since(at: datetime | None = None) -> datetime:
    """Positions older than this leave a unit's tracker silent (``TRACKER_SILENT_HOURS``)."""
    return (at or timezone.now()) - timedelta(hours=settings.TRACKER_SILENT_HOURS)


def in_transit_units(at: datetime | None = None) -> QuerySet[StockUnit]:
    """Units in transit with their latest position (``latest_of``), annotated ``late`` (past
    their ETA) and ``silent`` (no position, or none within ``TRACKER_SILENT_HOURS``); late and
    silent first."""
    day = timezone.localtime(at).date() if at else today()
    return (
        StockUnit.objects.filter(status=StockStatus.IN_TRANSIT)
        .select_related("model", "dealer", "latest_position")
        .annotate(
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


def latest_of(unit: StockUnit) -> LatestPosition | None:
    """The unit's latest position, None before its first."""
    try:
        return unit.latest_position
    except ObjectDoesNotExist:
        return None


def unit_track(unit: StockUnit, limit: int = 50) -> list[Position]:
    """The unit's newest positions, newest first."""
    return list(Position.objects.filter(stock_unit=unit).order_by("-recorded_at")[:limit])
