"""Recompute every trigger-kept summary from the raw rows (repair, or after a load that bypassed
the triggers): ``manage.py rebuild_summaries``."""

import time

from django.core.management.base import BaseCommand

from dealerops.summaries import rebuild_all


class Command(BaseCommand):
    help = "Recompute the summaries the home pages and the finance reports read, from the raw rows."

    def handle(self, *args, **options) -> None:
        started = time.perf_counter()
        rebuild_all()
        self.stdout.write(f"Summaries rebuilt in {time.perf_counter() - started:.1f} s.")
