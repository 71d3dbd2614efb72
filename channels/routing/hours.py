"""A lead's SLA counted in its dealer's opening hours (every day, Shanghai time): a website
lead assigned at 17:30 to a dealer open 09:00-18:00 with a 2-hour SLA has 30 minutes that
evening and is due at 10:30 the next morning."""

from datetime import datetime, time, timedelta
from decimal import Decimal
from functools import lru_cache

from django.utils import timezone


@lru_cache(maxsize=4096)  # a batch routed at one moment asks for a few dozen combinations
def sla_due(start: datetime, hours: Decimal | float, opens_at: time, closes_at: time) -> datetime:
    """When ``hours`` of opening time have passed since ``start`` (an aware datetime)."""
    left = timedelta(hours=float(hours))
    moment = timezone.localtime(start)
    while True:
        day = moment.date()
        opening = datetime.combine(day, opens_at, tzinfo=moment.tzinfo)
        closing = datetime.combine(day, closes_at, tzinfo=moment.tzinfo)
        if moment >= closing:
            moment = opening + timedelta(days=1)
            continue
        moment = max(moment, opening)
        if moment + left <= closing:
            return moment + left
        left -= closing - moment
        moment = opening + timedelta(days=1)
