"""How big a network to generate: the demo network and the national benchmark are two sizes
of the same specification."""

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")
SERVICE_VISITS_PER_YEAR = 2.0


def yesterday() -> date:
    """The last full day in Asia/Shanghai, whatever the server's clock zone."""
    return datetime.now(SHANGHAI).date() - timedelta(days=1)


def expected_service_visits(sales: int, months: int) -> int:
    """About two workshop visits a year per car sold, counted from a month after delivery
    (on average a car of the window has been on the road for half the window)."""
    return round(sales * SERVICE_VISITS_PER_YEAR * max(months - 1, 0) / 24)


@dataclass(frozen=True)
class NetworkSpec:
    """The counts of a network and its last day of data (``end_date``, default yesterday in
    Shanghai). The same seed and end date always give the same network."""

    end_date: date = field(default_factory=yesterday)
    seed: int = 2026
    regions: int = 8
    dealers: int = 200
    models: int = 30
    months: int = 24
    sales: int = 100_000
    loan_share: float = 0.60
    lease_share: float = 0.04
    leads_per_sale: float = 3.0
    customers: int = 80_000
    stock_on_hand: int = 7_000
    in_transit: int = 1_500
    ordered: int = 800
    service_visits: int = expected_service_visits(100_000, 24)
    inquiries: int = 6_000
    lenders: int = 8

    @classmethod
    def demo(cls, *, end_date: date | None = None, seed: int = 2026) -> "NetworkSpec":
        """The demo network: 8 regions, 200 dealers, 30 models, 24 months, 100,000 sales."""
        return cls(end_date=end_date or yesterday(), seed=seed)

    @classmethod
    def national(cls, scale: float = 1.0, *, end_date: date | None = None, seed: int = 2026) -> "NetworkSpec":
        """The design card's national size times ``scale``: at 1, 3,000 dealers, 120 models,
        4 million sales over 12 months (2.4 million on loan), 600,000 units on hand,
        12 million leads and 2 million customers."""

        def scaled(count: int, least: int = 1) -> int:
            return max(least, round(count * scale))

        sales = scaled(4_000_000, 100)
        return cls(
            end_date=end_date or yesterday(),
            seed=seed,
            dealers=scaled(3_000, 16),
            models=120,
            months=12,
            sales=sales,
            customers=scaled(2_000_000, 50),
            stock_on_hand=scaled(600_000),
            in_transit=scaled(120_000),
            ordered=scaled(60_000),
            service_visits=expected_service_visits(sales, 12),
            inquiries=scaled(200_000),
        )
