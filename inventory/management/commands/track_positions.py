"""Run the MQTT subscriber for trackers' positions (its own process: docker-compose's
``tracker`` service). Stops cleanly on SIGTERM or Ctrl-C, saying what it took and rejected."""

import signal
import threading

from django.conf import settings
from django.core.management.base import BaseCommand

from inventory.tracking.mqtt import PositionSubscriber, serve


class Command(BaseCommand):
    help = "Subscribe to trackers' positions over MQTT and record them."

    def add_arguments(self, parser):
        parser.add_argument("--host", default=settings.MQTT_HOST)
        parser.add_argument("--port", type=int, default=settings.MQTT_PORT)
        parser.add_argument("--topic", default=settings.MQTT_TOPIC)
        parser.add_argument("--client-id", default="dealerops-positions", help="the broker keeps this session")

    def handle(self, *args, host, port, topic, client_id, **options):
        stop = threading.Event()
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda *_: stop.set())
        subscriber = PositionSubscriber()
        self.stdout.write(f"Listening on {host}:{port} for {topic}")
        serve(host=host, port=port, topic=topic, client_id=client_id, stop=stop, subscriber=subscriber)
        rejected = ", ".join(f"{reason} {count}" for reason, count in subscriber.rejected.items()) or "none"
        self.stdout.write(f"Stopped: {subscriber.taken} positions recorded; rejected: {rejected}")
