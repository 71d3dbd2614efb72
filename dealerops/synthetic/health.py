"""The channel-health side of a generated network: every dealer scored for its recent months,
oldest first (so probation sees the month before), as the nightly job would have left them."""

from dateutil.relativedelta import relativedelta

from channels.health.services import health_month_compute
from dealerops.synthetic.spec import NetworkSpec

HEALTH_MONTHS = 13  # a year of trend plus the month to date


def health_build(spec: NetworkSpec, *, months: int = HEALTH_MONTHS) -> int:
    """Score the last ``months`` months of the network (at most its own); returns the rows written."""
    last_month = spec.end_date.replace(day=1)
    count = min(months, spec.months)
    return sum(
        health_month_compute(month=last_month - relativedelta(months=back)).rows for back in reversed(range(count))
    )
