"""Reads about dealers, composed from the other apps' selectors."""

from dataclasses import dataclass
from datetime import date, timedelta

from django.db.models import Case, Count, Prefetch, Q, QuerySet, Value, When

from channels.models import Dealer, HealthMetric, HealthMetricScore, HealthScore
from inventory.models import Payment, Sale, StockUnit
from inventory.selectors import StockSummary, month_start, stock_summary


@dataclass(frozen=True)
class DealerFigures:
    sold_this_month: int
    sold_last_30_days: int
    financed_share_90_days: float | None
    stock: StockSummary


def dealer_figures(dealer: Dealer, today: date) -> DealerFigures:
    """One dealer's headline numbers: two aggregate queries."""
    sales = Sale.objects.filter(dealer=dealer)
    counts = sales.aggregate(
        this_month=Count("id", filter=Q(sold_on__gte=month_start(today), sold_on__lte=today)),
        last_30=Count("id", filter=Q(sold_on__gt=today - timedelta(days=30), sold_on__lte=today)),
        last_90=Count("id", filter=Q(sold_on__gt=today - timedelta(days=90), sold_on__lte=today)),
        financed_90=Count(
            "id",
            filter=Q(
                sold_on__gt=today - timedelta(days=90), sold_on__lte=today, payment__in=[Payment.LOAN, Payment.LEASE]
            ),
        ),
    )
    return DealerFigures(
        sold_this_month=counts["this_month"],
        sold_last_30_days=counts["last_30"],
        financed_share_90_days=counts["financed_90"] / counts["last_90"] if counts["last_90"] else None,
        stock=stock_summary(StockUnit.objects.filter(dealer=dealer), today=today),
    )


def health_scores() -> QuerySet[HealthScore]:
    """Health scores with their dealer, weights version and 12 metrics (in the issue's order)
    in two queries, whatever the number of rows; callers scope it."""
    metric_order = Case(*(When(metric=name, then=Value(index)) for index, name in enumerate(HealthMetric.values)))
    return HealthScore.objects.select_related("dealer", "weights", "rating_bands").prefetch_related(
        Prefetch("metrics", queryset=HealthMetricScore.objects.order_by(metric_order))
    )
