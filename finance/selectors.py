"""Reads for loans: aggregates over querysets already scoped by the caller."""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db.models import Avg, Count, QuerySet, Sum

from finance.models import DISBURSED_STATUSES, Loan


@dataclass(frozen=True)
class LenderVolume:
    lender: str
    loans: int
    principal: Decimal
    average_rate: Decimal | None

    @property
    def average_rate_percent(self) -> str:
        return "–" if self.average_rate is None else f"{self.average_rate * 100:.2f} %"


def disbursed_between(loans: QuerySet[Loan], first_day: date, last_day: date) -> QuerySet[Loan]:
    return loans.filter(status__in=DISBURSED_STATUSES, disbursed_on__gte=first_day, disbursed_on__lte=last_day)


def disbursement_totals(loans: QuerySet[Loan], first_day: date, last_day: date) -> tuple[int, Decimal]:
    """Number and principal of loans disbursed in the period."""
    totals = disbursed_between(loans, first_day, last_day).aggregate(count=Count("id"), principal=Sum("principal"))
    return totals["count"], totals["principal"] or Decimal("0.00")


def volume_by_lender(loans: QuerySet[Loan], first_day: date, last_day: date) -> list[LenderVolume]:
    rows = (
        disbursed_between(loans, first_day, last_day)
        .values("lender__name")
        .annotate(loans=Count("id"), principal=Sum("principal"), average_rate=Avg("annual_rate"))
        .order_by("-principal")
    )
    return [
        LenderVolume(
            lender=row["lender__name"],
            loans=row["loans"],
            principal=row["principal"],
            average_rate=row["average_rate"],
        )
        for row in rows
    ]
