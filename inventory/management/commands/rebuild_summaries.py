"""Recompute the home pages' summaries from the raw rows (repair, or after a load that bypassed
the triggers): ``manage.py rebuild_summaries``."""

import time

from django.core.management.base import BaseCommand
from django.db import transaction

from inventory import summaries


class Command(BaseCommand):
    help = "Recompute the sales, stock and loan summaries the home pages read, from the raw rows."

    def handle(self, *args, **options) -> None:
        started = time.perf_counter()
        with transaction.atomic():
            summaries.rebuild()
        self.stdout.write(f"Summaries rebuilt in {time.perf_counter() - started:.1f} s.")
