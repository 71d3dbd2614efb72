"""Recompute every trigger-kept summary from the raw rows (repair, or after a load that bypassed
the triggers): ``manage.py rebuild_summaries``. The home pages' (inventory) and the finance
reports' in one transaction, so the pages never read one set rebuilt and the other not."""

import time

from django.core.management.base import BaseCommand
from django.db import transaction

from finance.services.summaries import summaries_rebuild
from inventory import summaries


class Command(BaseCommand):
    help = "Recompute the summaries the home pages and the finance reports read, from the raw rows."

    def handle(self, *args, **options) -> None:
        started = time.perf_counter()
        with transaction.atomic():
            summaries.rebuild()
            summaries_rebuild()
        self.stdout.write(f"Summaries rebuilt in {time.perf_counter() - started:.1f} s.")
