"""Helpers of the channel-health tests: run a month as if on a given day, and read the result."""

import datetime as dt
from decimal import Decimal

from channels.health import services
from channels.models import HealthMetricScore, HealthScore
from tests.factories import SaleFactory

OCTOBER = dt.date(2026, 10, 1)
SEPTEMBER = dt.date(2026, 9, 1)
BEFORE_CUTOFF = dt.date(2026, 11, 5)  # October's reporting cut-off day (the default, the 5th)
AFTER_CUTOFF = dt.date(2026, 11, 6)


def compute(monkeypatch, month: dt.date = OCTOBER, *, on: dt.date = BEFORE_CUTOFF):
    """Run the month's computation on day ``on`` (the service reads today's date)."""
    monkeypatch.setattr(services, "today", lambda: on)
    return services.health_month_compute(month=month)


def metric(dealer, name: str, month: dt.date = OCTOBER) -> HealthMetricScore:
    return HealthMetricScore.objects.get(health_score__dealer=dealer, health_score__month=month, metric=name)


def score_of(dealer, month: dt.date = OCTOBER) -> HealthScore:
    return HealthScore.objects.get(dealer=dealer, month=month)


def sell(dealer, sold_on: dt.date, **fields):
    """A sale whose unit arrived ten days before it."""
    fields.setdefault("stock_unit__arrived_on", sold_on - dt.timedelta(days=10))
    return SaleFactory(dealer=dealer, sold_on=sold_on, **fields)


def D(value: str) -> Decimal:
    return Decimal(value)
