"""The tracker subscriber against the real Mosquitto broker of this machine kind (127.0.0.1:1883):
a device publishes its positions; a broken message is rejected and counted while the subscriber
keeps running and takes the next one."""

import datetime as dt
import json
import socket
import threading
import uuid
from decimal import Decimal

import paho.mqtt.publish as publish
import pytest
from django.conf import settings
from django.utils import timezone

from inventory.models import Position, PositionSource, StockStatus, Tracker, TrackerRejection
from inventory.tracking.mqtt import PositionSubscriber, serve
from tests.background import wait_for
from tests.factories import StockUnitFactory
from tests.requirements import require

pytestmark = pytest.mark.django_db(transaction=True)


def broker_reachable() -> bool:
    try:
        with socket.create_connection((settings.MQTT_HOST, settings.MQTT_PORT), timeout=2):
            return True
    except OSError:
        return False


@pytest.fixture
def subscriber():
    require(broker_reachable(), f"An MQTT broker at {settings.MQTT_HOST}:{settings.MQTT_PORT}")
    prefix = f"dealerops-test-{uuid.uuid4().hex[:8]}"
    stop, subscribed, handler = threading.Event(), threading.Event(), PositionSubscriber()
    thread = threading.Thread(
        target=serve,
        kwargs={
            "host": settings.MQTT_HOST,
            "port": settings.MQTT_PORT,
            "topic": f"{prefix}/trackers/+/positions",
            "client_id": prefix,
            "stop": stop,
            "subscriber": handler,
            "subscribed": subscribed,
        },
        daemon=True,
    )
    thread.start()
    assert subscribed.wait(10), "the broker did not confirm the subscription"
    yield prefix, handler
    stop.set()
    thread.join(10)


def test_a_device_publishes_positions_and_a_broken_message_does_not_stop_the_subscriber(subscriber, network):
    prefix, handler = subscriber
    unit = StockUnitFactory(dealer=network.home_dealer, status=StockStatus.IN_TRANSIT, arrived_on=None)
    Tracker.objects.create(device_id="GPS-7", stock_unit=unit)
    topic = f"{prefix}/trackers/GPS-7/positions"
    now = timezone.now().replace(microsecond=0)
    broker = {"hostname": settings.MQTT_HOST, "port": settings.MQTT_PORT, "qos": 1}

    publish.single(topic, b"\x00 not json", **broker)
    publish.single(f"{prefix}/trackers/GPS-404/positions", json.dumps({"latitude": 31}), **broker)
    positions = [
        {"recorded_at": (now - dt.timedelta(minutes=minutes)).isoformat(), "latitude": 31.2, "longitude": 121.4}
        for minutes in (20, 10)
    ]
    publish.single(topic, json.dumps(positions), **broker)

    wait_for(lambda: Position.objects.count() == 2 or None, timeout=20, what="the positions")
    assert set(Position.objects.values_list("source", "latitude")) == {(PositionSource.MQTT, Decimal("31.200000"))}
    assert handler.taken == 2
    assert TrackerRejection.objects.count() == 2 and sum(handler.rejected.values()) == 2
    assert set(TrackerRejection.objects.values_list("device_id", flat=True)) == {"GPS-7", "GPS-404"}
