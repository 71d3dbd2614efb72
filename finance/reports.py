"""Finance reports: the ledger by period × dealer × lender, payables per lender, finance
penetration with commission per loan, and the risk view.

The reports read the summary tables (finance.models.summaries), which triggers keep exact as
entries, loans and sales change: thousands of rows, not millions. Every function aggregates
querysets the caller has already scoped with ``dealerops.access.scope`` (and narrowed with
``ReportFilters``). The risk view of the whole network reads RiskSummary (no regions), a
region's view the region-level summaries; one dealer's figures (a dealer user, or a dealer
filter) are summed from its own loans, which its index bounds. The penetration page takes its
regions and totals from RegionMonthSummary and its dealers a page at a time. Long tables
come back as ``LazyRows`` so a page slices them and an export streams them.
"""

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Generic, TypeVar

from django.db import connection
from django.db.models import (
    Case,
    CharField,
    Count,
    DecimalField,
    Exists,
    Expression,
    F,
    Func,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Round

from channels.models import Dealer
from finance.models import (
    DISBURSED_STATUSES,
    ClawbackSummary,
    CommissionEntry,
    DealerMonthSummary,
    EntryKind,
    ExposureFigure,
    ExposureSnapshot,
    LedgerRollup,
    LedgerSummary,
    Loan,
    LoanOutcomeSummary,
    LoanStatus,
    RegionMonthSummary,
    RiskSummary,
    TermBand,
)
from finance.selectors import ZERO, LedgerTotals

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

    def ledger(self, cells: QuerySet[LedgerSummary]) -> QuerySet[LedgerSummary]:
        """The ledger's cells of the range's periods that hold entries of the kind chosen."""
        cells = self._network(cells).filter(month__gte=self.first_month, month__lte=self.last_month)
        if self.lender_id:
            cells = cells.filter(lender=self.lender_id)
        if self.kind:
            cells = cells.filter(**{f"{LEDGER_COLUMNS[self.kind][0]}__gt": 0})
        return cells

    def rollup(self, rollup: QuerySet[LedgerRollup]) -> QuerySet[LedgerRollup]:
        """The ledger's region-level sums of the range's periods (kinds are its columns)."""
        rollup = rollup.filter(month__gte=self.first_month, month__lte=self.last_month)
        return self.regional(rollup)

    def monthly(self, cells: QuerySet) -> QuerySet:
        """Cells of a per-dealer monthly summary (sales, disbursements) within the range."""
        return self._network(cells).filter(month__gte=self.first_month, month__lte=self.last_month)

    def region_months(self, cells: QuerySet[RegionMonthSummary]) -> QuerySet[RegionMonthSummary]:
        """Cells of the per-region monthly summary within the range (and the region chosen)."""
        cells = cells.filter(month__gte=self.first_month, month__lte=self.last_month)
        return cells.filter(region=self.region_id) if self.region_id else cells

    def regional(self, cells: QuerySet) -> QuerySet:
        """Cells of a per-region summary within the range's months (``month`` None: any)."""
        if self.region_id:
            cells = cells.filter(region=self.region_id)
        if self.lender_id:
            cells = cells.filter(lender=self.lender_id)
        return cells

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

    def __init__(self, values: QuerySet, make: Callable[[dict], T], count: Callable[[], int] | None = None):
        self.values = values
        self.make = make
        self.counted = count or values.count

    def count(self) -> int:
        return self.counted()

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


# LedgerSummary's count and amount columns of each kind, as LedgerTotals names the amount.
LEDGER_COLUMNS = {
    EntryKind.ACCRUAL: ("accruals", "accrued"),
    EntryKind.CLAWBACK: ("clawbacks", "clawed_back"),
    EntryKind.ADJUSTMENT: ("adjustments", "adjusted"),
    EntryKind.RECEIPT: ("receipts", "received"),
}


def _kinds(kind: str) -> list[str]:
    return [kind] if kind else list(LEDGER_COLUMNS)


def ledger_sums(kind: str = "") -> dict[str, Sum]:
    """Sums of the ledger's cells as LedgerTotals names them, of ``kind``'s entries only if set."""
    kinds = _kinds(kind)
    sums = {LEDGER_COLUMNS[k][1]: Sum(LEDGER_COLUMNS[k][1], default=ZERO) for k in kinds}
    counts = [F(LEDGER_COLUMNS[k][0]) for k in kinds]
    entries = counts[0]
    for count in counts[1:]:
        entries = entries + count
    return {**sums, "entries": Sum(entries, default=0)}


def net_sum(kind: str = "") -> Sum | None:
    """The net commission (receipts aside) of the cells, None when ``kind`` leaves none."""
    columns = [F(LEDGER_COLUMNS[k][1]) for k in _kinds(kind) if k in NET_KINDS]
    if not columns:
        return None
    net = columns[0]
    for column in columns[1:]:
        net = net + column
    return Sum(net, default=ZERO)


def _totals(row: dict) -> LedgerTotals:
    return LedgerTotals(
        **{total: row.get(total, ZERO) for _count, total in LEDGER_COLUMNS.values()}, entries=row["entries"] or 0
    )


def ledger_totals(cells: QuerySet[LedgerSummary], kind: str = "") -> LedgerTotals:
    return _totals(cells.aggregate(**ledger_sums(kind)))


def ledger_totals_per_period(cells: QuerySet) -> dict[int, LedgerTotals]:
    """Totals per period of ledger cells (``LedgerSummary``) or their region-level rollup."""
    rows = cells.values("period").annotate(**ledger_sums()).order_by()
    return {row.pop("period"): _totals(row) for row in rows}


# The ledger list's filters that the summaries' keys answer (any other, a search or a reason,
# needs the entries themselves).
SUMMARISED_LEDGER_FILTERS = frozenset({"period", "month_from", "month_to", "region", "dealer", "lender", "kind"})


def ledger_list_totals(cells: QuerySet, filters: dict) -> LedgerTotals:
    """The ledger list's totals for ``filters`` (of ``SUMMARISED_LEDGER_FILTERS`` only, the
    cleaned values of its FilterSet) from scoped ledger cells or their rollup."""
    lookups = {
        "period": "period",
        "month_from": "month__gte",
        "month_to": "month__lte",
        "dealer": "dealer",
        "lender": "lender",
        "region": "region" if cells.model is LedgerRollup else "dealer__region",
    }
    narrowed = cells.filter(**{lookups[name]: value for name, value in filters.items() if name != "kind"})
    return ledger_totals(narrowed, filters.get("kind", ""))


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


def _cells_column(kind: str) -> str:
    """The rollup's column counting cells of ``kind`` (all kinds when empty)."""
    return f"{kind}_cells" if kind else "cells"


def ledger_cell_count(source: QuerySet, kind: str = "") -> int:
    """How many ledger cells (of ``kind``) ``source`` holds: a sum of the rollup's cell
    counts, or a count of the cells themselves."""
    if source.model is LedgerRollup:
        return source.aggregate(n=Sum(_cells_column(kind), default=0))["n"]
    return source.count()


def ledger_rows(
    cells: QuerySet[LedgerSummary], kind: str = "", rollup: QuerySet[LedgerRollup] | None = None
) -> LazyRows[LedgerRow]:
    """One row per period, dealer and lender, latest month first: a cell of the summary each.
    ``rollup`` (the same cells' region-level sums) counts them without reading them."""
    kinds = _kinds(kind)
    columns = [name for k in kinds for name in LEDGER_COLUMNS[k]]
    values = cells.values(
        "period", "month", "dealer", "dealer__code", "dealer__name", "lender", "lender__name", *columns
    ).order_by("-month", "dealer__code", "lender__name")

    def make(row: dict) -> LedgerRow:
        entries = sum(row[LEDGER_COLUMNS[k][0]] for k in kinds)
        return LedgerRow(
            month=row["month"],
            period_id=row["period"],
            dealer_id=row["dealer"],
            dealer_code=row["dealer__code"],
            dealer=row["dealer__name"],
            lender_id=row["lender"],
            lender=row["lender__name"],
            totals=_totals({**row, "entries": entries}),
        )

    if rollup is None:
        return LazyRows(values, make, count=lambda: ledger_cell_count(cells, kind))
    return MonthSeekingRows(values, make, rollup, kind)


class MonthSeekingRows(LazyRows[T]):
    """Ledger rows (latest month first) whose pages read only the months they fall in: the
    rollup's cells per month say where each month's rows start, so a deep page sorts one
    month's cells, as the first does, rather than every month's before it."""

    def __init__(self, values: QuerySet, make: Callable[[dict], T], rollup: QuerySet[LedgerRollup], kind: str):
        super().__init__(values, make, count=lambda: ledger_cell_count(rollup, kind))
        self.rollup = rollup
        self.cells_column = _cells_column(kind)

    def __getitem__(self, index: slice) -> list[T]:
        start, stop = index.start or 0, index.stop
        per_month = self.rollup.values("month").annotate(n=Sum(self.cells_column)).order_by("-month")
        months, offset, first = [], 0, 0
        for row in per_month:
            if row["n"] and first + row["n"] > start and (stop is None or first < stop):
                if not months:
                    offset = start - first
                months.append(row["month"])
            first += row["n"]
        if not months:
            return []
        window = self.values.filter(month__in=months)
        end = None if stop is None else offset + stop - start
        return [self.make(row) for row in window[offset:end]]


@dataclass(frozen=True)
class MonthlyNet:
    month: date
    lender: str
    net: Decimal


def monthly_net_by_lender(cells: QuerySet[LedgerSummary], kind: str = "") -> list[MonthlyNet]:
    """Net commission (receipts aside) per booking month and lender, for the chart."""
    net = net_sum(kind)
    if net is None:
        return []
    rows = cells.values("month", "lender__name").annotate(net=net).order_by("month", "lender__name")
    return [MonthlyNet(month=row["month"], lender=row["lender__name"], net=row["net"]) for row in rows]


# --- b. payables and receivables per lender ----------------------------------------------


@dataclass(frozen=True)
class LenderPayable:
    lender_id: int
    lender: str
    totals: LedgerTotals


def payables_by_lender(cells: QuerySet[LedgerSummary]) -> list[LenderPayable]:
    """What each lender owes on the cells' entries: accrued, clawed back, adjusted, net,
    received, outstanding (net − received)."""
    rows = cells.values("lender", "lender__name").annotate(**ledger_sums()).order_by("lender__name")
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


def _penetration_row(row: dict, key, code: str, name: str) -> PenetrationRow:
    """A penetration table's row from its summed figures (none: zeros)."""
    return PenetrationRow(
        key=key,
        code=code,
        name=name,
        sales=row.get("sales") or 0,
        loan_sales=row.get("loan_sales") or 0,
        loans=row.get("loans") or 0,
        net_commission=row.get("net_commission") or ZERO,
    )


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
    months: QuerySet[DealerMonthSummary],
    name: str,
) -> PenetrationReport:
    """Penetration and commission per loan for each of ``regions`` (None: no region table) and
    ``dealers`` that sold, lent or earned anything (most sales first), and in all.

    One grouped pass over the dealers' months gives every region, every dealer and the total."""
    figures: dict[str, dict] = {group: {} for group in PENETRATION_GROUPING.values()}
    # The figures per dealer, then summed by region (the dealers joined after the grouping, not
    # to every row) and in all.
    passes = (
        (
            months,
            {
                "sales": Sum("sales"),
                "loan_sales": Sum("loan_sales"),
                "loans": Sum("loans"),
                "net": Sum("net_commission"),
            },
            "sum(sales_sum)::bigint AS sales, sum(loan_sales_sum)::bigint AS loan_sales,"
            " sum(loans_sum)::bigint AS loans, sum(net_sum) AS net_commission",
        ),
    )
    for queryset, per_dealer, select in passes:
        # Named apart from the summaries' own columns, which they sum.
        dealer_rows = (
            queryset.annotate(g_dealer=F("dealer"))
            .values("g_dealer")
            .annotate(**{f"{name}_sum": total for name, total in per_dealer.items()})
        )
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
        return _penetration_row(figures[group].get(key, {}), key, code, name)

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


PENETRATION_FIGURES = ("sales", "loan_sales", "loans", "net_commission")


def _penetration_sums(cells: QuerySet, by: str | None) -> dict:
    """The figures of a monthly summary's ``cells`` summed per ``by`` (None: in all), named
    apart from the columns they sum while in SQL."""
    sums = {f"sum_{name}": Sum(name, default=ZERO if name == "net_commission" else 0) for name in PENETRATION_FIGURES}
    if by is None:
        found = [cells.aggregate(**sums)]
    else:
        found = cells.order_by().annotate(g_key=F(by)).values("g_key").annotate(**sums)
    return {row.get("g_key"): {name: row[f"sum_{name}"] for name in PENETRATION_FIGURES} for row in found}


def active_dealers(dealers: QuerySet[Dealer], months: QuerySet[DealerMonthSummary]) -> QuerySet[Dealer]:
    """``dealers`` that sold, lent or earned anything in ``months`` (each found through its own
    months' index, so a page of them costs what the page holds)."""
    busy = months.filter(dealer=OuterRef("pk")).exclude(sales=0, loans=0, net_commission=0)
    return dealers.filter(Exists(busy))


def penetration_page(
    *,
    regions: QuerySet | None,
    region_cells: QuerySet,
    region_key: str,
    dealers: list[Dealer],
    dealer_cells: QuerySet[DealerMonthSummary],
    name: str,
) -> PenetrationReport:
    """The penetration report for a page of ``dealers`` (in their order, from their own months),
    ``regions`` (None: no region table, most sales first) and in all, both from
    ``region_cells``: RegionMonthSummary by ``region``, or a dealer's months by ``dealer__region``.
    Its cost is the page's dealers and the regions' months, not the network's dealers."""

    def penetration_row(figures: dict, key, code: str, label: str) -> PenetrationRow:
        return _penetration_row(figures.get(key, {}), key, code, label)

    by_dealer = _penetration_sums(dealer_cells.filter(dealer__in=[dealer.pk for dealer in dealers]), "dealer")
    region_rows = []
    if regions is not None:
        by_region = _penetration_sums(region_cells, region_key)
        active = [key for key, row in by_region.items() if any(row.values())]
        region_rows = sorted(
            (
                penetration_row(by_region, pk, code, label)
                for pk, code, label in regions.filter(pk__in=active).values_list("pk", "code", "name")
            ),
            key=lambda row: (-row.sales, row.code),
        )
    return PenetrationReport(
        regions=region_rows,
        dealers=[penetration_row(by_dealer, dealer.pk, dealer.code, dealer.name) for dealer in dealers],
        totals=penetration_row(_penetration_sums(region_cells, None), None, "", name),
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


# Each figure's group: a lender, a credit grade, a term band.
RISK_KEYS = {
    "g_lender": F("lender"),
    "g_lender_name": F("lender__name"),
    "g_grade": F("credit_grade"),
    "g_band": term_band("term_months"),
}
SUMMARY_RISK_KEYS = {**RISK_KEYS, "g_band": F("term_band")}
RISK_FIGURES = ("loans", "defaulted", "paid_off_early", "clawed_back", "live_loans", "exposure")


@dataclass(frozen=True)
class RiskReport:
    tables: dict[str, list[RiskRow]]  # by RISK_DIMENSIONS
    totals: RiskRow
    # When the live loans and exposure were computed (a nightly snapshot); None: just now.
    exposure_computed_at: datetime | None = None


@dataclass(frozen=True)
class RiskSources:
    """The scoped tables a risk report reads: raw loans and entries for one dealer, the
    region-level summaries for more."""

    loans: QuerySet[Loan]
    entries: QuerySet[CommissionEntry]
    outcomes: QuerySet[LoanOutcomeSummary]
    clawbacks: QuerySet[ClawbackSummary]
    exposure: QuerySet[ExposureFigure]
    snapshots: QuerySet[ExposureSnapshot]
    # The network's figures without regions, for a view of the whole network (None: not one).
    network: QuerySet[RiskSummary] | None = None


def _raw_risk_rows(sources: RiskSources, filters: ReportFilters, *, live_only: bool = False) -> list[dict]:
    """The figures per lender × grade × band of the loans and clawbacks themselves."""
    cohort, live = _cohort(filters), _live(filters)
    closed_by = Q(closed_on__lte=filters.as_of)
    loans = filters.loans(sources.loans).filter(status__in=DISBURSED_STATUSES)
    figures = {
        "live_loans": Count("pk", filter=live),
        "exposure": Sum(amortised_balance(filters.as_of), filter=live, default=ZERO),
    }
    if live_only:
        return list(loans.filter(live).annotate(**RISK_KEYS).values(*RISK_KEYS).annotate(**figures))
    figures |= {
        "loans": Count("pk", filter=cohort),
        "defaulted": Count("pk", filter=cohort & closed_by & Q(status=LoanStatus.DEFAULTED)),
        "paid_off_early": Count("pk", filter=cohort & closed_by & Q(status=LoanStatus.PAID_OFF_EARLY)),
    }
    rows = list(loans.filter(cohort | live).annotate(**RISK_KEYS).values(*RISK_KEYS).annotate(**figures))
    entries = filters.entries(sources.entries).filter(kind=EntryKind.CLAWBACK)
    rows += entries.annotate(**RISK_KEYS).values(*RISK_KEYS).annotate(clawed_back=Sum("amount"))
    return rows


def _summed(cells: QuerySet, **sums: Sum) -> list[dict]:
    """``sums`` of a region-level summary per lender × grade × band (annotated under other
    names: the sums are named as the columns they add up)."""
    rows = (
        cells.annotate(**SUMMARY_RISK_KEYS)
        .values(*SUMMARY_RISK_KEYS)
        .annotate(**{f"sum_{name}": total for name, total in sums.items()})
    )
    return [
        {**{key: row[key] for key in SUMMARY_RISK_KEYS}, **{name: row[f"sum_{name}"] for name in sums}} for row in rows
    ]


def _summary_risk_rows(sources: RiskSources, filters: ReportFilters) -> tuple[list[dict], datetime | None]:
    """The same figures from the summaries: cohorts and their outcomes, the range's clawbacks,
    and the live loans of the as-of day's snapshot (from the loans when there is none)."""
    as_of_month = filters.as_of.replace(day=1)
    in_range = {"month__gte": filters.first_month, "month__lte": filters.last_month}
    outcomes = filters.regional(sources.outcomes).filter(**in_range)
    if sources.network is not None and not filters.region_id:
        # The network's cohorts count their closings whenever they came: take back those after
        # the as-of month (none when it is the latest; the closing month's index finds them).
        network = filters.regional(sources.network).filter(**in_range)
        rows = _summed(
            network,
            loans=Sum("loans"),
            defaulted=Sum("defaulted"),
            paid_off_early=Sum("paid_off_early"),
            clawed_back=Sum("clawed_back"),
        )
        later = outcomes.filter(closed_month__gt=as_of_month)
        rows += [
            {**row, "defaulted": -row["defaulted"], "paid_off_early": -row["paid_off_early"]}
            for row in _summed(
                later,
                defaulted=Sum("loans", filter=Q(status=LoanStatus.DEFAULTED), default=0),
                paid_off_early=Sum("loans", filter=Q(status=LoanStatus.PAID_OFF_EARLY), default=0),
            )
        ]
    else:
        closed_by = Q(closed_month__lte=as_of_month)
        rows = _summed(
            outcomes,
            loans=Sum("loans"),
            defaulted=Sum("loans", filter=closed_by & Q(status=LoanStatus.DEFAULTED), default=0),
            paid_off_early=Sum("loans", filter=closed_by & Q(status=LoanStatus.PAID_OFF_EARLY), default=0),
        )
        clawbacks = filters.regional(sources.clawbacks).filter(**in_range)
        rows += _summed(clawbacks, clawed_back=Sum("clawed_back"))
    if filters.as_of != month_end(as_of_month):
        # The summary knows closing months: take back the cohort's loans closed after the
        # as-of day within its month (its (status, closed_on) index finds them).
        late = (
            filters.loans(sources.loans)
            .filter(_cohort(filters), closed_on__gt=filters.as_of, closed_on__lte=month_end(as_of_month))
            .filter(status__in=[LoanStatus.DEFAULTED, LoanStatus.PAID_OFF_EARLY])
        )
        rows += [
            {**row, "defaulted": -row["defaulted"], "paid_off_early": -row["paid_off_early"]}
            for row in late.annotate(**RISK_KEYS)
            .values(*RISK_KEYS)
            .annotate(
                defaulted=Count("pk", filter=Q(status=LoanStatus.DEFAULTED)),
                paid_off_early=Count("pk", filter=Q(status=LoanStatus.PAID_OFF_EARLY)),
            )
        ]
    snapshot = sources.snapshots.filter(as_of=filters.as_of).first()
    if snapshot is None:
        return rows + _raw_risk_rows(sources, filters, live_only=True), None
    exposure = filters.regional(sources.exposure).filter(snapshot=snapshot)
    rows += _summed(exposure, live_loans=Sum("live_loans"), exposure=Sum("exposure"))
    return rows, snapshot.computed_at


def risk_report(*, sources: RiskSources, filters: ReportFilters, label: str, by_summary: bool) -> RiskReport:
    """The risk figures per lender, credit grade and term band, and their totals, from the
    summaries (``by_summary``) or from the loans and entries themselves. Every source gives
    figures per lender × grade × band (a few hundred groups at most), summed here per table
    and in all."""
    if by_summary:
        rows, computed_at = _summary_risk_rows(sources, filters)
    else:
        rows, computed_at = _raw_risk_rows(sources, filters), None
    band_labels = {band.value: str(band.label) for band in TermBand}
    groups: dict[str, dict] = {dimension: {} for dimension in (*RISK_DIMENSIONS, "total")}
    for row in rows:
        if not any(row.get(figure) for figure in RISK_FIGURES):
            continue
        for dimension, key, name in (
            ("lender", str(row["g_lender"]), row["g_lender_name"]),
            ("credit_grade", row["g_grade"], row["g_grade"]),
            ("term_band", row["g_band"], band_labels.get(row["g_band"], row["g_band"])),
            ("total", "", label),
        ):
            group = groups[dimension].setdefault(key, {"label": name})
            for figure in RISK_FIGURES:
                group[figure] = group.get(figure, 0) + (row.get(figure) or 0)

    def risk_row(key: str, group: dict) -> RiskRow:
        return RiskRow(
            key=key,
            label=str(group["label"]),
            loans=group.get("loans", 0),
            defaulted=group.get("defaulted", 0),
            paid_off_early=group.get("paid_off_early", 0),
            clawed_back=group.get("clawed_back") or ZERO,
            live_loans=group.get("live_loans", 0),
            exposure=group.get("exposure") or ZERO,
        )

    band_order = [band.value for band in TermBand]

    def order(dimension: str, key: str, group: dict) -> tuple:
        # Term bands in their natural order; lenders and grades by name.
        return (band_order.index(key) if dimension == "term_band" else 0, str(group["label"]))

    tables = {
        dimension: [
            risk_row(key, group)
            for key, group in sorted(groups[dimension].items(), key=lambda item, d=dimension: order(d, *item))
        ]
        for dimension in RISK_DIMENSIONS
    }
    return RiskReport(
        tables=tables, totals=risk_row("", groups["total"].get("", {"label": label})), exposure_computed_at=computed_at
    )
