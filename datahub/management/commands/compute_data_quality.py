"""Score every dealer's data quality for one month by hand (the nightly job's service)."""

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from channels.management.commands.compute_health import month_argument
from datahub.quality.services import data_quality_compute


class Command(BaseCommand):
    help = "Compute the data-quality scores, issues and alerts of every dealer for one month (YYYY-MM)."

    def add_arguments(self, parser):
        parser.add_argument("--month", required=True, type=month_argument, help="The month, e.g. 2026-10.")

    def handle(self, *args, month, **options):
        try:
            run = data_quality_compute(month=month)
        except ValidationError as error:
            raise CommandError("; ".join(error.messages)) from None
        self.stdout.write(f"{month:%Y-%m}: {run.rows} dealers scored in {run.duration_seconds:.2f} s.")
