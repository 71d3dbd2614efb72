"""Recording trackers' positions: the one service the API, the data hub's position files and
the MQTT subscriber write through. A batch is checked whole first (``position_refusals``) and
written all or nothing, set-based: one ``INSERT … SELECT FROM unnest`` for the positions and
one upsert of the units' latest positions."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from channels.models import CHINA_LATITUDES, CHINA_LONGITUDES
from inventory.models import StockStatus, StockUnit

# A device's clock may run a little ahead of the server's.
CLOCK_SKEW = timedelta(minutes=5)
FASTEST_KMH = Decimal(200)  # a car carrier on an expressway is limited to 100 km/h: beyond this, a broken reading


@dataclass(frozen=True)
class PositionIn:
    """One position as reported: the unit by its VIN, where and when, and how fast."""

    vin: str
    recorded_at: datetime
    latitude: Decimal
    longitude: Decimal
    speed_kmh: Decimal | None = None
    note: str = ""
    tracker_id: int | None = None


@dataclass(frozen=True)
class PositionsRecorded:
    written: int  # new positions
    repeated: int  # positions already recorded (the same unit and time), left as they were


def position_refusals(positions: Sequence[PositionIn], *, at: datetime | None = None) -> dict[int, dict[str, str]]:
    """Why each position cannot be recorded, by its index and field (absent when it can): the
    VIN must name a unit in transit, the time must not lie ahead nor before the unit's order,
    the place must lie in China and the speed be a plausible one."""
    at = at or timezone.now()
    units = {
        vin: (status, ordered_on)
        for vin, status, ordered_on in StockUnit.objects.filter(
            vin__in={position.vin for position in positions}
        ).values_list("vin", "status", "ordered_on")
    }
    statuses = dict(StockStatus.choices)
    refusals: dict[int, dict[str, str]] = {}
    for index, position in enumerate(positions):
        problems: dict[str, str] = {}
        unit = units.get(position.vin)
        if unit is None:
            problems["vin"] = _("No unit has the VIN %(vin)s.") % {"vin": position.vin}
        elif unit[0] != StockStatus.IN_TRANSIT:
            problems["vin"] = _("%(vin)s is %(status)s, not in transit: positions are kept for units on their way.") % {
                "vin": position.vin,
                "status": str(statuses[unit[0]]).lower(),
            }
        if position.recorded_at > at + CLOCK_SKEW:
            problems["recorded_at"] = _("%(time)s is in the future.") % {"time": _shown(position.recorded_at)}
        elif unit is not None and timezone.localtime(position.recorded_at).date() < unit[1]:
            problems["recorded_at"] = _("%(time)s is before the unit was ordered (%(ordered)s).") % {
                "time": _shown(position.recorded_at),
                "ordered": unit[1].isoformat(),
            }
        if not CHINA_LATITUDES[0] <= position.latitude <= CHINA_LATITUDES[1]:
            problems["latitude"] = _("%(value)s lies outside China (latitudes %(low)s to %(high)s° N).") % {
                "value": position.latitude,
                "low": CHINA_LATITUDES[0],
                "high": CHINA_LATITUDES[1],
            }
        if not CHINA_LONGITUDES[0] <= position.longitude <= CHINA_LONGITUDES[1]:
            problems["longitude"] = _("%(value)s lies outside China (longitudes %(low)s to %(high)s° E).") % {
                "value": position.longitude,
                "low": CHINA_LONGITUDES[0],
                "high": CHINA_LONGITUDES[1],
            }
        if position.speed_kmh is not None and position.speed_kmh < 0:
            problems["speed_kmh"] = _("A speed cannot be negative.")
        elif position.speed_kmh is not None and position.speed_kmh > FASTEST_KMH:
            problems["speed_kmh"] = _("%(value)s km/h is no car carrier's speed: check the reading.") % {
                "value": position.speed_kmh
            }
        if len(position.note) > 200:
            problems["note"] = _("A note has at most 200 characters.")
        if problems:
            refusals[index] = problems
    return refusals


def _shown(moment: datetime) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M")


INSERT_POSITIONS = """
INSERT INTO inventory_position
  (stock_unit_id, recorded_at, latitude, longitude, speed_kmh, note, source, tracker_id, received_at)
SELECT u.id, p.recorded_at, p.latitude, p.longitude, p.speed_kmh, p.note, %s, p.tracker_id, now()
FROM unnest(%s::text[], %s::timestamptz[], %s::numeric[], %s::numeric[], %s::numeric[], %s::text[], %s::bigint[])
  AS p(vin, recorded_at, latitude, longitude, speed_kmh, note, tracker_id)
JOIN inventory_stockunit u ON u.vin = p.vin
ON CONFLICT (stock_unit_id, recorded_at) DO NOTHING
RETURNING stock_unit_id
"""

# The newest of the batch's positions of each unit, where it is newer than the one kept.
UPSERT_LATEST = """
INSERT INTO inventory_latestposition (stock_unit_id, recorded_at, latitude, longitude, speed_kmh, note)
SELECT DISTINCT ON (p.stock_unit_id) p.stock_unit_id, p.recorded_at, p.latitude, p.longitude, p.speed_kmh, p.note
FROM inventory_position p
WHERE p.stock_unit_id = ANY(%s)
ORDER BY p.stock_unit_id, p.recorded_at DESC
ON CONFLICT (stock_unit_id) DO UPDATE SET
  recorded_at = EXCLUDED.recorded_at, latitude = EXCLUDED.latitude, longitude = EXCLUDED.longitude,
  speed_kmh = EXCLUDED.speed_kmh, note = EXCLUDED.note
WHERE EXCLUDED.recorded_at > inventory_latestposition.recorded_at
"""


def positions_record(*, positions: Sequence[PositionIn], source: str) -> PositionsRecorded:
    """Record ``positions`` (from ``source``, a ``PositionSource``) in one transaction. Every
    one is checked first: a refused one raises a ValidationError naming its field (for a batch,
    its row too) and nothing is written. A position already recorded is left as it was."""
    refusals = position_refusals(positions)
    if refusals:
        if len(positions) == 1:
            raise ValidationError(refusals[0])
        by_field: dict[str, list[str]] = {}
        for index, problems in refusals.items():
            for field, message in problems.items():
                by_field.setdefault(field, []).append(
                    _("row %(row)s: %(message)s") % {"row": index + 1, "message": message}
                )
        raise ValidationError(by_field)
    if not positions:
        return PositionsRecorded(0, 0)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            INSERT_POSITIONS,
            [
                source,
                [position.vin for position in positions],
                [position.recorded_at for position in positions],
                [position.latitude for position in positions],
                [position.longitude for position in positions],
                [position.speed_kmh for position in positions],
                [position.note for position in positions],
                [position.tracker_id for position in positions],
            ],
        )
        inserted = cursor.fetchall()
        units = sorted({row[0] for row in inserted})
        if units:
            cursor.execute(UPSERT_LATEST, [units])
    return PositionsRecorded(written=len(inserted), repeated=len(positions) - len(inserted))
