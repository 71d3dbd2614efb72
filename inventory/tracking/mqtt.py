"""The MQTT subscriber for trackers that publish their positions themselves. A device publishes
JSON to ``dealerops/trackers/<device id>/positions``: one position or a list of them, each
``{"recorded_at": ISO 8601, "latitude", "longitude", "speed_kmh"?, "note"?}`` (the unit is the
one the device is fitted to, ``Tracker.stock_unit``). A message that is not JSON, names an
unknown device or is refused by ``positions_record`` is logged and counted
(``TrackerRejection``), never allowed to stop the subscriber."""

import json
import logging
import threading
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

import paho.mqtt.client as mqtt
from django.core.exceptions import ValidationError
from django.db import close_old_connections, connections
from django.utils.dateparse import parse_datetime

from inventory.models import PositionSource, Tracker, TrackerRejection
from inventory.tracking.services import PositionIn, positions_record

logger = logging.getLogger(__name__)
PAYLOAD_KEPT = 500  # characters of a rejected message kept for its rejection


class Rejected(ValueError):
    """Why a message cannot be taken, in words for the operations log."""


@dataclass
class PositionSubscriber:
    """Turns tracker messages into positions; counts what it took and what it rejected."""

    taken: int = 0
    rejected: Counter = field(default_factory=Counter)

    def handle(self, topic: str, payload: bytes) -> None:
        device_id = _device_of(topic)
        try:
            tracker = Tracker.objects.select_related("stock_unit").filter(device_id=device_id).first()
            if tracker is None:
                raise Rejected(f"unknown device {device_id!r}")
            positions = [_position(item, tracker) for item in _items(payload)]
            try:
                recorded = positions_record(positions=positions, source=PositionSource.MQTT)
            except ValidationError as refused:
                reasons = (f"{name}: {' '.join(errors)}" for name, errors in refused.message_dict.items())
                raise Rejected("; ".join(reasons)) from None
        except Rejected as rejection:
            self._reject(topic, device_id, str(rejection), payload)
        except Exception as error:  # the database away, a bug: log it, keep the subscriber up
            logger.exception("tracker message on %s failed", topic)
            self._reject(topic, device_id, f"{type(error).__name__}: {error}", payload)
        else:
            self.taken += recorded.written

    def _reject(self, topic: str, device_id: str, reason: str, payload: bytes) -> None:
        self.rejected[reason.split(":")[0]] += 1
        logger.warning("rejected tracker message on %s: %s", topic, reason)
        try:
            TrackerRejection.objects.create(
                topic=_text(topic)[:200],
                device_id=_text(device_id)[:64],
                reason=_text(reason)[:300],
                payload=_text(payload.decode("utf-8", errors="replace"))[:PAYLOAD_KEPT],
            )
        except Exception:  # noqa: BLE001 - the count and the log line stand without the row
            logger.exception("could not record the rejection")


def _text(value: str) -> str:
    """Text PostgreSQL can store: a device's garbage may hold NUL bytes."""
    return value.replace("\x00", "\\x00")


def _device_of(topic: str) -> str:
    parts = topic.split("/")
    return parts[-2] if len(parts) >= 3 else ""


def _items(payload: bytes) -> list[dict]:
    try:
        document = json.loads(payload)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise Rejected(f"not valid JSON ({error})") from None
    items = document if isinstance(document, list) else [document]
    if not items or not all(isinstance(item, dict) for item in items):
        raise Rejected("not a position or a list of positions")
    return items


def _position(item: dict, tracker: Tracker) -> PositionIn:
    recorded_at = parse_datetime(str(item.get("recorded_at", "")))
    if recorded_at is None or recorded_at.tzinfo is None:
        raise Rejected("recorded_at: give an ISO 8601 time with its offset")
    return PositionIn(
        vin=tracker.stock_unit.vin,
        recorded_at=recorded_at,
        latitude=_decimal(item, "latitude"),
        longitude=_decimal(item, "longitude"),
        speed_kmh=_decimal(item, "speed_kmh") if item.get("speed_kmh") is not None else None,
        note=str(item.get("note") or "")[:200],
        tracker_id=tracker.pk,
    )


def _decimal(item: dict, name: str) -> Decimal:
    value = item.get(name)
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise Rejected(f"{name}: not a number")
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        raise Rejected(f"{name}: not a number") from None
    if not number.is_finite():
        raise Rejected(f"{name}: not a number")
    return number.quantize(Decimal("0.000001") if name != "speed_kmh" else Decimal("0.1"))


def serve(
    *,
    host: str,
    port: int,
    topic: str,
    client_id: str,
    stop: threading.Event,
    subscriber: PositionSubscriber,
    subscribed: threading.Event | None = None,
) -> None:
    """Subscribe and hand each message to ``subscriber`` until ``stop`` is set (``subscribed``
    is set once the broker confirms the subscription); paho reconnects by itself after the
    broker goes away. QoS 1 on a kept session (``client_id``): the broker holds the messages
    published while the subscriber was down and delivers them on its return."""
    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=client_id, clean_session=False)
    client.reconnect_delay_set(min_delay=1, max_delay=30)

    def on_connect(client, userdata, flags, reason_code, properties):
        logger.info("connected to %s:%s (%s), subscribing to %s", host, port, reason_code, topic)
        client.subscribe(topic, qos=1)

    def on_subscribe(client, userdata, mid, reason_codes, properties):
        if subscribed is not None:
            subscribed.set()

    def on_message(client, userdata, message):
        close_old_connections()  # a long-lived process: drop a connection the server closed
        subscriber.handle(message.topic, message.payload)

    client.on_connect = on_connect
    client.on_subscribe = on_subscribe
    client.on_message = on_message
    client.connect(host, port, keepalive=30)

    def stop_when_asked():
        stop.wait()
        client.disconnect()  # ends loop_forever

    threading.Thread(target=stop_when_asked, daemon=True).start()
    try:
        # Messages are handled on this thread, so the database connection is this thread's.
        client.loop_forever()
    finally:
        connections.close_all()
