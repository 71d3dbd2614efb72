"""Reads for stock and sales: set-based aggregates over querysets already scoped by the caller.

The home pages read the same figures from summaries (``inventory.summaries``); these raw-row
aggregates are what those must equal (tests/inventory/test_summaries.py and bench/home.py
compare them), and what pages of one dealer read directly."""

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.db.models import Case, Count, Q, QuerySet, Sum, When
from django.db.models.functions import TruncMonth

from inventory.models import AlertStatus, Payment, Sale, StockAlert, StockStatus, StockUnit


@dataclass(frozen=True)
class MonthlySales:
    month: date
    units: int
    revenue: Decimal
    financed_units: int  # loan and lease sales


def month_start(day: date, months_back: int = 0) -> date:
    """First day of the month ``months_back`` months before ``day``'s month."""
    index = day.year * 12 + day.month - 1 - months_back
    return date(index // 12, index % 12 + 1, 1)


def monthly_sales(sales: QuerySet[Sale], *, first_month: date, last_day: date) -> list[MonthlySales]:
    """Units, revenue and financed units per calendar month, every month present (zeros included)."""
    rows = (
        sales.filter(sold_on__gte=first_month, sold_on__lte=last_day)
        .annotate(month=TruncMonth("sold_on"))
        .values("month")
        .annotate(
            units=Count("id"),
            revenue=Sum("transaction_price"),
            financed=Count("id", filter=Q(payment__in=[Payment.LOAN, Payment.LEASE])),
        )
        .order_by()
    )
    by_month = {row["month"]: row for row in rows}
    result = []
    month = first_month
    while month <= last_day:
        row = by_month.get(month, {})
        result.append(
            MonthlySales(
                month=month,
                units=row.get("units", 0),
                revenue=row.get("revenue") or Decimal("0.00"),
                financed_units=row.get("financed", 0),
            )
        )
        month = month_start(month, -1)
    return result


def units_sold(sales: QuerySet[Sale], *, first_day: date, last_day: date) -> int:
    """Units sold from ``first_day`` to ``last_day``, both included. One query."""
    return sales.filter(sold_on__gte=first_day, sold_on__lte=last_day).count()


def monthly_sales_by_group(
    sales: QuerySet[Sale], *, group: str, first_month: date, last_day: date
) -> dict[str, dict[date, int]]:
    """Units per month split by ``group`` (a lookup such as ``dealer__region__name``)."""
    rows = (
        sales.filter(sold_on__gte=first_month, sold_on__lte=last_day)
        .annotate(month=TruncMonth("sold_on"))
        .values("month", group)
        .annotate(units=Count("id"))
        .order_by()
    )
    series: dict[str, dict[date, int]] = {}
    for row in rows:
        series.setdefault(str(row[group]), {})[row["month"]] = row["units"]
    return dict(sorted(series.items()))


@dataclass(frozen=True)
class StockSummary:
    in_stock: int
    in_transit: int
    aged_over_90_days: int


def stock_summary(units: QuerySet[StockUnit], *, today: date) -> StockSummary:
    """Units on hand, on the way, and on hand for more than 90 days, in one query."""
    counts = units.aggregate(
        in_stock=Count("id", filter=Q(status=StockStatus.IN_STOCK)),
        in_transit=Count("id", filter=Q(status__in=[StockStatus.ORDERED, StockStatus.IN_TRANSIT])),
        aged=Count("id", filter=Q(status=StockStatus.IN_STOCK, arrived_on__lt=today - timedelta(days=90))),
    )
    return StockSummary(in_stock=counts["in_stock"], in_transit=counts["in_transit"], aged_over_90_days=counts["aged"])


def stock_colours(units: QuerySet[StockUnit], *, recent: int = 5000, limit: int = 30) -> list[str]:
    """The colours of ``units``' latest ``recent`` units with one, the most common first: what
    an entry form suggests, so a dealer keeps naming a paint one way (a bounded read whatever
    the stock's size)."""
    latest = units.exclude(colour="").order_by("-pk").values("pk")[:recent]
    rows = (
        StockUnit.objects.filter(pk__in=latest)
        .values("colour")
        .annotate(units=Count("pk"))
        .order_by("-units", "colour")
        .values_list("colour", flat=True)
    )
    return list(rows[:limit])


def live_stock_alerts(alerts: QuerySet[StockAlert], *, limit: int = 10) -> tuple[list[StockAlert], int]:
    """The open and acknowledged alerts of ``alerts`` (scoped by the caller), open ones first,
    newest first, at most ``limit``; and how many there are in all."""
    live = alerts.exclude(status=AlertStatus.RESOLVED)
    shown = live.select_related("dealer", "model", "rule").order_by(
        Case(When(status=AlertStatus.OPEN, then=0), default=1), "-opened_at", "-id"
    )[:limit]
    return list(shown), live.count()
