"""Score every dealer for one month by hand (the nightly job's service)."""

from datetime import datetime

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from channels.health.services import health_month_compute


def month_argument(value: str):
    try:
        return datetime.strptime(value, "%Y-%m").date()
    except ValueError:
        raise CommandError(f"--month must look like 2026-10, not {value!r}") from None


class Command(BaseCommand):
    help = "Compute the channel health scores of every dealer for one month (YYYY-MM); a final month is left as is."

    def add_arguments(self, parser):
        parser.add_argument("--month", required=True, type=month_argument, help="The month, e.g. 2026-10.")

    def handle(self, *args, month, **options):
        try:
            run = health_month_compute(month=month)
        except ValidationError as error:
            raise CommandError("; ".join(error.messages)) from None
        self.stdout.write(f"{month:%Y-%m}: {run.rows} dealers scored in {run.duration_seconds:.2f} s.")
