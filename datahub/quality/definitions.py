"""Definitions shared by data quality and channel health, so the two cannot disagree, and the
evidence a data-quality score needs.

Channel health's metric 12 (data timeliness) and the data-quality timeliness dimension both
count a sale as *timely* with ``timely_sale_sql``; they read the same month bounds
(``channels.health.services.HealthPeriod.params``: ``tz``, ``cutoff_ts``).
"""

# A sale is timely when it was entered within 48 hours after the end of its sale day (a sale
# has a date, not a time: the end of day ``sold_on`` is the start of ``sold_on + 1``, so the
# deadline is the start of ``sold_on + 3``, portal time) and not changed after the month's
# reporting cut-off (``cutoff_ts``: end of ``HEALTH_REPORTING_CUTOFF_DAY`` of the next month).
TIMELY_SALE = (
    "({s}.recorded_at < (({s}.sold_on + 3)::timestamp AT TIME ZONE %(tz)s) AND {s}.updated_at < %(cutoff_ts)s)"
)

# Why a sale is not timely, for the detail (NULL when it is timely).
LATE_SALE_REASON = (
    "CASE WHEN {s}.recorded_at >= (({s}.sold_on + 3)::timestamp AT TIME ZONE %(tz)s) THEN 'entered late'"
    " WHEN {s}.updated_at >= %(cutoff_ts)s THEN 'changed after the cut-off' END"
)


def timely_sale_sql(alias: str = "s") -> str:
    """The SQL condition "sale ``alias`` is timely" (parameters ``tz`` and ``cutoff_ts``)."""
    return TIMELY_SALE.format(s=alias)


def late_sale_reason_sql(alias: str = "s") -> str:
    return LATE_SALE_REASON.format(s=alias)


# A dealer's overall data-quality score is the mean of its measurable dimensions (those with at
# least one check). Built on fewer than this many of the five, it would look perfect on a
# handful of checks (one dimension at 100 read as 100.00 overall): it is left empty instead,
# shown as insufficient data and ranked last.
MIN_MEASURABLE_DIMENSIONS = 3
