"""`make run`: migrate, load the demo network unless it is already there, and serve."""

import signal
import sys

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Migrate, seed the demo network if the database is empty, and start the development server."

    def add_arguments(self, parser):
        parser.add_argument("addrport", nargs="?", default="127.0.0.1:8000")

    def handle(self, *args, addrport: str, **options):
        call_command("migrate", interactive=False, verbosity=0)
        self.stdout.write("Database migrated.")
        call_command("seed_demo")
        database = settings.DATABASES["default"]
        self.stdout.write(f"Database: {database['NAME']} on {database['HOST'] or 'localhost'}")
        self.stdout.write(self.style.SUCCESS(f"Open http://{addrport}/ and log in with one of the accounts above."))
        # No autoreloader: one process holds the embedded PostgreSQL and stops it on exit. A
        # SIGTERM or SIGHUP would end Python without its exit handlers, leaving the server running.
        for stop_signal in (signal.SIGTERM, signal.SIGHUP):
            signal.signal(stop_signal, lambda signum, frame: sys.exit(0))
        call_command("runserver", addrport, use_reloader=False)
