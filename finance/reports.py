"""Finance reports: the ledger by period × dealer × lender, payables per lender, finance
penetration with commission per loan, and the risk view.

Every function aggregates querysets the caller has already scoped with
``dealerops.access.scope`` (and narrowed with ``ReportFilters``): one SQL statement per table
or figure (one pass over a table for all of a report's groupings, with GROUPING SETS, where a
report shows several), no ledger row, sale or loan passes through Python. Long tables come back as
``LazyRows`` so a page slices them and an export streams them.
"""

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Generic, TypeVar

from django.db import connection
from django.db.models import (
    Case,
    CharField,
    Count,
    DecimalField,
    Expression,
    F,
    Func,
    IntegerField,
    Q,
    QuerySet,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Round

from channels.models import Dealer
from finance.models import DISBURSED_STATUSES, CommissionEntry, EntryKind, Loan, LoanStatus, TermBand
from finance.selectors import KIND_SUMS, ZERO, LedgerTotals
from inventory.models import Payment, Sale

T = TypeVar("T")
FEN = Decimal("0.01")
SHARE_PLACES = Decimal("0.0001")
NET_KINDS = [EntryKind.ACCRUAL, EntryKind.CLAWBACK, EntryKind.ADJUSTMENT]


def month_end(month: date) -> date:
    return (month.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)


def share(part: int | Decimal, whole: int | Decimal) -> Decimal | None:
    """``part / whole`` as a fraction to four places (half-up), None when there is no whole."""
    if not whole:
        return None
    return (Decimal(part) / Decimal(whole)).quantize(SHARE_PLACES, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class ReportFilters:
    """What a report is narrowed to. Months are first days; ``as_of`` is the day the risk view
    takes its picture (the range's last day, or today while the range is still running)."""

    first_month: date
    last_month: date
    as_of: date
    region_id: int | None = None
    dealer_id: int | None = None
    lender_id: int | None = None
    kind: str = ""

    @property
    def last_day(self) -> date:
        return month_end(self.last_month)

    @property
    def months(self) -> int:
        """How many months the range spans, both ends included."""
        return (self.last_month.year - self.first_month.year) * 12 + self.last_month.month - self.first_month.month + 1

    def _network(self, queryset: QuerySet) -> QuerySet:
        if self.region_id:
            queryset = queryset.filter(dealer__region=self.region_id)
        return queryset.filter(dealer=self.dealer_id) if self.dealer_id else queryset

    def dealers(self, dealers: QuerySet) -> QuerySet:
        if self.region_id:
            dealers = dealers.filter(region=self.region_id)
        return dealers.filter(pk=self.dealer_id) if self.dealer_id else dealers

    def regions(self, regions: QuerySet) -> QuerySet:
        if self.region_id:
            regions = regions.filter(pk=self.region_id)
        return regions.filter(dealers=self.dealer_id) if self.dealer_id else regions

    def entries(self, entries: QuerySet[CommissionEntry]) -> QuerySet[CommissionEntry]:
        """Entries booked in the range's periods (the ledger's own months)."""
        entries = self._network(entries).filter(period__month__gte=self.first_month, period__month__lte=self.last_month)
        if self.lender_id:
            entries = entries.filter(lender=self.lender_id)
        if self.kind:
            entries = entries.filter(kind=self.kind)
        return entries

    def sales(self, sales: QuerySet[Sale]) -> QuerySet[Sale]:
        return self._network(sales).filter(sold_on__gte=self.first_month, sold_on__lte=self.last_day)

    def loans(self, loans: QuerySet[Loan]) -> QuerySet[Loan]:
        loans = self._network(loans)
        return loans.filter(lender=self.lender_id) if self.lender_id else loans

    def disbursed(self, loans: QuerySet[Loan]) -> QuerySet[Loan]:
        """Loans disbursed within the range."""
        return self.loans(loans).filter(
            status__in=DISBURSED_STATUSES, disbursed_on__gte=self.first_month, disbursed_on__lte=self.last_day
        )


class LazyRows(Generic[T]):
    """Grouped rows still in the database: a paginator slices them, an export streams them."""

    def __init__(self, values: QuerySet, make: Callable[[dict], T]):
        self.values = values
        self.make = make

    def count(self) -> int:
        return self.values.count()

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, index: slice) -> list[T]:
        return [self.make(row) for row in self.values[index]]

    def __iter__(self) -> Iterator[T]:
        return (self.make(row) for row in self.values.iterator(chunk_size=2000))


def _grouping_sets(queryset: QuerySet, *, keys: tuple[str, ...], sets: str, select: str, join: str = "") -> list[dict]:
    """``select`` (aggregates over the columns of ``queryset``, a ``values()`` query) for each of
    ``sets`` in one pass: GROUPING SETS, which the ORM cannot write. Each row has ``keys`` and
    ``grouping``, GROUPING(keys): a bit for each key its set leaves out, the first key highest.
    ``join`` joins a table to ``grouped`` (the query's rows) for keys of its own."""
    sql, inner_params = queryset.order_by().query.sql_with_params()
    columns = ", ".join(keys)
    with connection.cursor() as cursor:
        # The interpolated parts are this module's constants and the ORM's own SQL; values are parameters.
        query = (
            f"SELECT {columns}, GROUPING({columns}) AS grouping, {select} FROM ({sql}) AS grouped {join}"  # noqa: S608
            f" GROUP BY GROUPING SETS ({sets})"
        )
        cursor.execute(query, inner_params)
        names = [column.name for column in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def _totals(row: dict) -> LedgerTotals:
    return LedgerTotals(**{name: row[name] for name in KIND_SUMS})


# --- a. the ledger by period x dealer x lender -------------------------------------------


@dataclass(frozen=True)
class LedgerRow:
    month: date
    period_id: int
    dealer_id: int
    dealer_code: str
    dealer: str
    lender_id: int
    lender: str
    totals: LedgerTotals


def ledger_rows(entries: QuerySet[CommissionEntry]) -> LazyRows[LedgerRow]:
    """One row per period, dealer and lender, latest month first."""
    values = (
        entries.values("period", "period__month", "dealer", "dealer__code", "dealer__name", "lender", "lender__name")
        .annotate(**KIND_SUMS)
        .order_by("-period__month", "dealer__code", "lender__name")
    )
    return LazyRows(
        values,
        lambda row: LedgerRow(
            month=row["period__month"],
            period_id=row["period"],
            dealer_id=row["dealer"],
            dealer_code=row["dealer__code"],
            dealer=row["dealer__name"],
            lender_id=row["lender"],
            lender=row["lender__name"],
            totals=_totals(row),
        ),
    )


@dataclass(frozen=True)
class MonthlyNet:
    month: date
    lender: str
    net: Decimal


def monthly_net_by_lender(entries: QuerySet[CommissionEntry]) -> list[MonthlyNet]:
    """Net commission (receipts aside) per booking month and lender, for the chart."""
    rows = (
        entries.filter(kind__in=NET_KINDS)
        .values("period__month", "lender__name")
        .annotate(net=Sum("amount"))
        .order_by("period__month", "lender__name")
    )
    return [MonthlyNet(month=row["period__month"], lender=row["lender__name"], net=row["net"]) for row in rows]


# --- b. payables and receivables per lender ----------------------------------------------


@dataclass(frozen=True)
class LenderPayable:
    lender_id: int
    lender: str
    totals: LedgerTotals


def payables_by_lender(entries: QuerySet[CommissionEntry]) -> list[LenderPayable]:
    """What each lender owes on the entries: accrued, clawed back, adjusted, net, received,
    outstanding (net − received)."""
    rows = entries.values("lender", "lender__name").annotate(**KIND_SUMS).order_by("lender__name")
    return [LenderPayable(lender_id=row["lender"], lender=row["lender__name"], totals=_totals(row)) for row in rows]


# --- c. finance penetration and commission per loan --------------------------------------


@dataclass(frozen=True)
class PenetrationRow:
    """``loan_sales / sales`` is the penetration; ``net_commission / loans`` (loans disbursed
    in the range) the commission per loan."""

    key: int | None
    code: str
    name: str
    sales: int
    loan_sales: int
    loans: int
    net_commission: Decimal

    @property
    def penetration(self) -> Decimal | None:
        return share(self.loan_sales, self.sales)

    @property
    def commission_per_loan(self) -> Decimal | None:
        if not self.loans:
            return None
        return (self.net_commission / self.loans).quantize(FEN, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class PenetrationReport:
    regions: list[PenetrationRow]
    dealers: list[PenetrationRow]
    totals: PenetrationRow


# GROUPING(d.region_id, g_dealer) of each set.
PENETRATION_GROUPING = {0b01: "region", 0b10: "dealer", 0b11: "total"}


def penetration_report(
    *,
    regions: QuerySet | None,
    dealers: QuerySet,
    sales: QuerySet[Sale],
    loans: QuerySet[Loan],
    entries: QuerySet[CommissionEntry],
    name: str,
) -> PenetrationReport:
    """Penetration and commission per loan for each of ``regions`` (None: no region table) and
    ``dealers`` that sold, lent or earned anything (most sales first), and in all.

    One grouped pass over each table (sales, loans, entries) gives every region, every dealer
    and the total at once; the tables meet on the group's id."""
    figures: dict[str, dict] = {group: {} for group in PENETRATION_GROUPING.values()}
    # Each table's figures per dealer (a plain GROUP BY, which PostgreSQL runs in parallel:
    # GROUPING SETS over the table's rows would not), then summed by region (the dealers
    # joined after the grouping, not to every row) and in all.
    passes = (
        (
            sales,
            {"sales": Count("pk"), "loan_sales": Count("pk", filter=Q(payment=Payment.LOAN))},
            "sum(sales)::bigint AS sales, sum(loan_sales)::bigint AS loan_sales",
        ),
        (loans, {"loans": Count("pk")}, "sum(loans)::bigint AS loans"),
        (entries.filter(kind__in=NET_KINDS), {"net": Sum("amount")}, "sum(net) AS net_commission"),
    )
    for queryset, per_dealer, select in passes:
        dealer_rows = queryset.annotate(g_dealer=F("dealer")).values("g_dealer").annotate(**per_dealer)
        for row in _grouping_sets(
            dealer_rows,
            keys=("d.region_id", "g_dealer"),
            sets="(d.region_id), (g_dealer), ()",
            select=select,
            join=f"JOIN {Dealer._meta.db_table} d ON d.id = grouped.g_dealer",
        ):
            group = PENETRATION_GROUPING[row["grouping"]]
            key = {"region": row["region_id"], "dealer": row["g_dealer"], "total": None}[group]
            figures[group].setdefault(key, {}).update(row)

    def penetration_row(group: str, key, code: str, name: str) -> PenetrationRow:
        row = figures[group].get(key, {})
        return PenetrationRow(
            key=key,
            code=code,
            name=name,
            sales=row.get("sales") or 0,
            loan_sales=row.get("loan_sales") or 0,
            loans=row.get("loans") or 0,
            net_commission=row.get("net_commission") or ZERO,
        )

    def table(group: str, groups: QuerySet) -> list[PenetrationRow]:
        found = figures[group]
        active = {
            key for key, row in found.items() if row.get("sales") or row.get("loans") or row.get("net_commission")
        }
        rows = [
            penetration_row(group, pk, code, name)
            for pk, code, name in groups.filter(pk__in=active).values_list("pk", "code", "name")
        ]
        return sorted(rows, key=lambda row: (-row.sales, row.code))

    return PenetrationReport(
        regions=table("region", regions) if regions is not None else [],
        dealers=table("dealer", dealers),
        totals=penetration_row("total", None, "", name),
    )


# --- d. risk: defaults, early payoffs, clawbacks, exposure -------------------------------


class SqlFormula(Func):
    """A SQL formula over named expressions, each of which may appear several times
    (a plain Func template would pass a repeated expression's parameters only once)."""

    formula = ""
    names: tuple[str, ...] = ()

    def __init__(self, **expressions):
        super().__init__(*(expressions[name] for name in self.names))

    def as_sql(self, compiler, connection, **extra_context):
        compiled = {
            name: compiler.compile(expression)
            for name, expression in zip(self.names, self.get_source_expressions(), strict=True)
        }
        params: list = []

        def placeholder(match: re.Match) -> str:
            sql, parts = compiled[match.group(1)]
            params.extend(parts)
            return f"({sql})"

        return re.sub(r"\{(\w+)\}", placeholder, self.formula), params


class InstalmentsPaid(SqlFormula):
    """Monthly instalments fallen due between disbursement and ``as_of`` (whole months, as
    PostgreSQL's age() counts them), at most the term."""

    names = ("as_of", "disbursed_on", "term_months")
    formula = (
        "LEAST({term_months}, (EXTRACT(YEAR FROM age({as_of}, {disbursed_on})) * 12"
        " + EXTRACT(MONTH FROM age({as_of}, {disbursed_on})))::integer)"
    )
    output_field = IntegerField()


class AmortisedBalance(SqlFormula):
    """Principal still owed after ``paid`` equal monthly instalments (standard annuity):
    P × ((1 + r)^n − (1 + r)^k) / ((1 + r)^n − 1) with r the monthly rate, in numeric."""

    names = ("principal", "annual_rate", "term_months", "paid")
    formula = (
        "{principal} * (power(1 + {annual_rate} / 12, {term_months}) - power(1 + {annual_rate} / 12, {paid}))"
        " / (power(1 + {annual_rate} / 12, {term_months}) - 1)"
    )
    output_field = DecimalField(max_digits=16, decimal_places=2)


def amortised_balance(as_of: date) -> Expression:
    """A loan's principal outstanding on ``as_of``, rounded half-up to the fen, in SQL."""
    paid = InstalmentsPaid(as_of=Value(as_of), disbursed_on=F("disbursed_on"), term_months=F("term_months"))
    balance = AmortisedBalance(
        principal=F("principal"), annual_rate=F("annual_rate"), term_months=F("term_months"), paid=paid
    )
    return Round(balance, 2, output_field=DecimalField(max_digits=16, decimal_places=2))


def term_band(field: str) -> Case:
    """The TermBand value of a term in months, in SQL."""
    bands = sorted(TermBand, key=lambda band: int(band.value.split("_")[1]))
    return Case(
        *(When(**{f"{field}__lte": int(band.value.split("_")[1])}, then=Value(band.value)) for band in bands),
        output_field=CharField(),
    )


RISK_DIMENSIONS = ("lender", "credit_grade", "term_band")


@dataclass(frozen=True)
class RiskRow:
    """``loans``: disbursed within the range, of which ``defaulted`` and ``paid_off_early`` by
    the as-of day; ``clawed_back``: clawbacks booked in the range; ``live_loans`` and
    ``exposure``: every loan still running on the as-of day and its amortised balance."""

    key: str
    label: str
    loans: int
    defaulted: int
    paid_off_early: int
    clawed_back: Decimal
    live_loans: int
    exposure: Decimal

    @property
    def default_rate(self) -> Decimal | None:
        return share(self.defaulted, self.loans)

    @property
    def early_payoff_rate(self) -> Decimal | None:
        return share(self.paid_off_early, self.loans)


def _cohort(filters: ReportFilters) -> Q:
    return Q(disbursed_on__gte=filters.first_month, disbursed_on__lte=filters.last_day)


def _live(filters: ReportFilters) -> Q:
    return Q(disbursed_on__lte=filters.as_of) & (Q(closed_on__isnull=True) | Q(closed_on__gt=filters.as_of))


def _risk_loans(loans: QuerySet[Loan], filters: ReportFilters) -> QuerySet[Loan]:
    """The loans the risk view reads: the range's cohort and those live on the as-of day."""
    return filters.loans(loans).filter(status__in=DISBURSED_STATUSES).filter(_cohort(filters) | _live(filters))


# The risk tables' groups; GROUPING(g_lender, g_grade, g_band) tells them apart.
RISK_GROUP_KEYS = ("g_lender", "g_grade", "g_band")
RISK_SETS = "(g_lender, g_lender_name), (g_grade), (g_band), ()"
RISK_GROUPING = {0b011: "lender", 0b101: "credit_grade", 0b110: "term_band", 0b111: "total"}
RISK_KEYS = {
    "g_lender": F("lender"),
    "g_lender_name": F("lender__name"),
    "g_grade": F("credit_grade"),
    "g_band": term_band("term_months"),
}


def _risk_groups(rows: list[dict]) -> dict[str, dict]:
    """Rows of ``_grouping_sets`` by dimension ("total" too), then by the group's key and label."""
    groups: dict[str, dict] = {dimension: {} for dimension in RISK_GROUPING.values()}
    for row in rows:
        dimension = RISK_GROUPING[row["grouping"]]
        if dimension == "lender":
            key, label = row["g_lender"], row["g_lender_name"]
        elif dimension == "credit_grade":
            key = label = row["g_grade"]
        elif dimension == "term_band":
            key = label = row["g_band"]
        else:
            key = label = ""
        groups[dimension][key] = {**row, "label": label}
    return groups


@dataclass(frozen=True)
class RiskReport:
    tables: dict[str, list[RiskRow]]  # by RISK_DIMENSIONS
    totals: RiskRow


def risk_report(
    *, loans: QuerySet[Loan], entries: QuerySet[CommissionEntry], filters: ReportFilters, label: str
) -> RiskReport:
    """The risk figures per lender, credit grade and term band, and their totals. ``loans`` is
    scoped, ``entries`` scoped and filtered to the range. One pass over the loans (each loan's
    amortised balance worked out once for every table and the total) and one over the range's
    clawbacks; the two meet on the group key."""
    cohort, live = _cohort(filters), _live(filters)
    closed_by = Q(closed_on__lte=filters.as_of)
    # Each loan's figures are worked out once, summed per lender, grade and band (a plain
    # GROUP BY, which PostgreSQL runs in parallel: GROUPING SETS over 2 million loans would
    # not), and those sums summed again per table and in all.
    fine = (
        _risk_loans(loans, filters)
        .annotate(**RISK_KEYS)
        .values(*RISK_KEYS)
        .annotate(
            loans=Count("pk", filter=cohort),
            defaulted=Count("pk", filter=cohort & closed_by & Q(status=LoanStatus.DEFAULTED)),
            paid_off_early=Count("pk", filter=cohort & closed_by & Q(status=LoanStatus.PAID_OFF_EARLY)),
            live_loans=Count("pk", filter=live),
            exposure=Sum(amortised_balance(filters.as_of), filter=live),
        )
    )
    figures = _risk_groups(
        _grouping_sets(
            fine,
            keys=RISK_GROUP_KEYS,
            sets=RISK_SETS,
            select="g_lender_name, sum(loans)::bigint AS loans, sum(defaulted)::bigint AS defaulted,"
            " sum(paid_off_early)::bigint AS paid_off_early, sum(live_loans)::bigint AS live_loans,"
            " sum(exposure) AS exposure",
        )
    )
    clawback_rows = (
        entries.filter(kind=EntryKind.CLAWBACK).annotate(**RISK_KEYS).values(*RISK_KEYS).annotate(clawed=Sum("amount"))
    )
    clawed = _risk_groups(
        _grouping_sets(
            clawback_rows, keys=RISK_GROUP_KEYS, sets=RISK_SETS, select="g_lender_name, sum(clawed) AS total"
        )
    )
    band_labels = {band.value: str(band.label) for band in TermBand}
    band_order = [band.value for band in TermBand]

    def risk_row(dimension: str, group, label: str) -> RiskRow:
        row = figures[dimension].get(group, {})
        total = clawed[dimension].get(group, {}).get("total")
        return RiskRow(
            key=str(group),
            label=label,
            loans=row.get("loans") or 0,
            defaulted=row.get("defaulted") or 0,
            paid_off_early=row.get("paid_off_early") or 0,
            clawed_back=ZERO if total is None else total,
            live_loans=row.get("live_loans") or 0,
            exposure=row.get("exposure") or ZERO,
        )

    tables = {}
    for dimension in RISK_DIMENSIONS:

        def label_of(group, dimension=dimension) -> str:
            return str((figures[dimension].get(group) or clawed[dimension][group])["label"])

        def order(group, dimension=dimension) -> tuple:
            # Term bands in their natural order; lenders and grades by name.
            return (band_order.index(group) if dimension == "term_band" else 0, label_of(group))

        tables[dimension] = [
            risk_row(dimension, group, band_labels.get(label_of(group), label_of(group)))
            for group in sorted(set(figures[dimension]) | set(clawed[dimension]), key=order)
        ]
    return RiskReport(tables=tables, totals=risk_row("total", "", label))
