"""Validation shared by services: clear, field-named errors before the database's own checks."""

from datetime import date, datetime, time

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _


def day_start(day: date) -> datetime:
    """Midnight at the start of ``day`` in the portal's time zone (Asia/Shanghai)."""
    return timezone.make_aware(datetime.combine(day, time.min))


def today() -> date:
    """Today in the portal's time zone (Asia/Shanghai), not the server's."""
    return timezone.localdate()


def ensure_not_future(**dates: date | None) -> None:
    """Raise a ValidationError naming every field dated after today."""
    errors = {
        field: _("This date is in the future.")
        for field, value in dates.items()
        if value is not None and value > today()
    }
    if errors:
        raise ValidationError(errors)
