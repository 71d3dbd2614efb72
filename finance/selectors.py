"""Reads for loans and the commission ledger: aggregates over querysets already scoped by the caller."""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db.models import Avg, Count, DecimalField, Exists, F, Func, OuterRef, Prefetch, Q, QuerySet, Sum

from dealerops.formats import format_percent
from finance.models import (
    DISBURSED_STATUSES,
    CommissionEntry,
    DisbursementSummary,
    EntryKind,
    Lender,
    LenderStatement,
    Loan,
    LoanStatusReport,
    MatchStatus,
    ReportDecision,
    StatementLine,
)


@dataclass(frozen=True)
class LenderVolume:
    lender: str
    loans: int
    principal: Decimal
    average_rate: Decimal | None

    @property
    def average_rate_percent(self) -> str:
        return format_percent(self.average_rate)


def loan_pending_report(loan: Loan) -> LoanStatusReport | None:
    """The loan's reported move awaiting finance's confirmation, if any."""
    return loan.status_reports.filter(decision=ReportDecision.PENDING).select_related("reported_by").first()


def pending_reports() -> Prefetch:
    """Prefetch each loan's move awaiting confirmation as ``loan.pending_reports`` (a list)."""
    reports = LoanStatusReport.objects.filter(decision=ReportDecision.PENDING).select_related("reported_by")
    return Prefetch("status_reports", queryset=reports, to_attr="pending_reports")


def _has_pending_report() -> Exists:
    return Exists(LoanStatusReport.objects.filter(loan=OuterRef("pk"), decision=ReportDecision.PENDING))


def awaiting_confirmation(loans: QuerySet[Loan]) -> QuerySet[Loan]:
    """The loans with a reported move finance has not decided yet."""
    return loans.filter(_has_pending_report())


def with_awaiting_confirmation(loans: QuerySet[Loan]) -> QuerySet[Loan]:
    """Each loan with ``awaiting_confirmation``: whether a reported move awaits finance (one
    subquery in the list's own query, not a query per row)."""
    return loans.annotate(awaiting_confirmation=_has_pending_report())


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


# The same two from finance.DisbursementSummary (month × dealer × lender), for the finance home:
# whole months, from ``first_month`` to ``last_month`` (both firsts of months). For a period
# ending today that is exact, month so far included: no loan is disbursed in the future (the
# loan services and the data hub refuse future dates).


def summary_disbursement_totals(
    summaries: QuerySet[DisbursementSummary], first_month: date, last_month: date
) -> tuple[int, Decimal]:
    """As ``disbursement_totals`` over the months' summary rows."""
    totals = summaries.filter(month__gte=first_month, month__lte=last_month).aggregate(
        count=Sum("loans", default=0), principal=Sum("principal", default=Decimal("0.00"))
    )
    return totals["count"], totals["principal"]


def summary_volume_by_lender(
    summaries: QuerySet[DisbursementSummary], first_month: date, last_month: date
) -> list[LenderVolume]:
    """As ``volume_by_lender`` over the months' summary rows, largest principal first (the
    average rate is the rates' sum over the loans, as ``AVG`` divides)."""
    # Grouped by the lender's key alone, the names read after (a handful of rows): grouped by
    # name through the join, the planner may rescan the months' rows once per lender.
    rows = list(
        summaries.filter(month__gte=first_month, month__lte=last_month)
        .values("lender")
        .annotate(loans=Sum("loans"), principal=Sum("principal"), rate_sum=Sum("rate_sum"))
        # The triggers leave a cell whose loans all went at zero: no lender without loans.
        .filter(loans__gt=0)
        # numeric / bigint: the same division (and scale) as AVG's sum over count.
        .annotate(
            average_rate=Func(
                F("rate_sum"), F("loans"), template="%(expressions)s", arg_joiner=" / ", output_field=DecimalField()
            )
        )
        .order_by()
    )
    names = dict(Lender.objects.filter(pk__in=[row["lender"] for row in rows]).values_list("pk", "name"))
    volumes = [
        LenderVolume(
            lender=names[row["lender"]],
            loans=row["loans"],
            principal=row["principal"],
            average_rate=row["average_rate"],
        )
        for row in rows
    ]
    return sorted(volumes, key=lambda volume: (-volume.principal, volume.lender))


@dataclass(frozen=True)
class LedgerTotals:
    """Sums of a set of ledger entries by kind; ``net`` is what the lender owes on them
    before receipts, ``outstanding`` what is still to be received."""

    accrued: Decimal
    clawed_back: Decimal
    adjusted: Decimal
    received: Decimal
    entries: int

    @property
    def net(self) -> Decimal:
        return self.accrued + self.clawed_back + self.adjusted

    @property
    def outstanding(self) -> Decimal:
        return self.net - self.received


ZERO = Decimal("0.00")
# Sums of ledger amounts by kind, for ``aggregate`` or ``annotate`` (the fields of LedgerTotals).
KIND_SUMS = {
    "accrued": Sum("amount", filter=Q(kind=EntryKind.ACCRUAL), default=ZERO),
    "clawed_back": Sum("amount", filter=Q(kind=EntryKind.CLAWBACK), default=ZERO),
    "adjusted": Sum("amount", filter=Q(kind=EntryKind.ADJUSTMENT), default=ZERO),
    "received": Sum("amount", filter=Q(kind=EntryKind.RECEIPT), default=ZERO),
    "entries": Count("id"),
}


def ledger_totals(entries: QuerySet[CommissionEntry]) -> LedgerTotals:
    return LedgerTotals(**entries.aggregate(**KIND_SUMS))


def ledger_totals_by(
    rows: QuerySet, *fields: str, sums: dict | None = None, limit: int | None = None
) -> list[tuple[dict, LedgerTotals]]:
    """Totals per group of ``fields`` (e.g. "period", "lender__name"), largest net first (the
    first ``limit`` groups only, sorted and cut by the database): of ledger entries, or of the
    ledger's summary cells with their ``sums`` (``reports.ledger_sums``)."""
    grouped = (
        rows.values(*fields)
        .annotate(**(sums or KIND_SUMS))
        .annotate(net=F("accrued") + F("clawed_back") + F("adjusted"))
        .order_by("-net", *fields)
    )
    if limit is not None:
        grouped = grouped[:limit]
    found = []
    for row in grouped:
        del row["net"]
        found.append(({field: row.pop(field) for field in fields}, LedgerTotals(**row)))
    return found


@dataclass(frozen=True)
class MatchTotals:
    """One category of a reconciliation: its lines and the sums of both sides."""

    status: str
    label: str
    lines: int
    statement_amount: Decimal
    ledger_amount: Decimal
    difference: Decimal


def statement_match_totals(lines: QuerySet[StatementLine]) -> tuple[list[MatchTotals], MatchTotals]:
    """Totals per match category (every category, empty ones as zero) and over all of them."""
    rows = {
        row["status"]: row
        for row in lines.order_by()
        .values("status")
        .annotate(
            lines=Count("id"),
            statement_amount=Sum("amount", default=ZERO),
            ledger_amount=Sum("ledger_amount", default=ZERO),
            difference=Sum("difference", default=ZERO),
        )
    }
    empty = {"lines": 0, "statement_amount": ZERO, "ledger_amount": ZERO, "difference": ZERO}
    categories = [
        MatchTotals(
            status=status.value,
            label=status.label,
            **{key: rows.get(status.value, empty)[key] for key in empty},
        )
        for status in MatchStatus
    ]
    overall = MatchTotals(
        status="",
        label="",
        **{key: sum((getattr(category, key) for category in categories), empty[key]) for key in empty},
    )
    return categories, overall


def statement_receipts(entries: QuerySet[CommissionEntry], statement: LenderStatement) -> tuple[int, Decimal]:
    """Number and amount of the receipts booked from ``statement``."""
    totals = entries.filter(
        kind=EntryKind.RECEIPT, lender_id=statement.lender_id, statement_reference=statement.reference
    ).aggregate(count=Count("id"), amount=Sum("amount", default=ZERO))
    return totals["count"], totals["amount"]
