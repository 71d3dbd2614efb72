"""The home pages' summaries of sales and stock: how they are kept and how they are read.

Each summary table (inventory.models: SalesMonth, SalesDay, StockMonth, StockDay) is
the ``GROUP BY`` of a raw table; RegionSalesMonth and RegionStockMonth are those of the dealers'
month summaries by the dealer's region (a trigger on channels_dealer moves a dealer's figures
when its region changes). Statement-level triggers on the raw tables (created by
migrations 0005 and 0006 from ``trigger_sql``) add each statement's net change, computed from its
transition tables, to the summary rows it touches, in the writer's transaction: one
``INSERT … ON CONFLICT`` per statement, so a COPY or a data-hub import of 100,000 rows pays
once, and the summaries are never stale. A bulk load that bypasses triggers (the synthetic
generator's ``session_replication_role = replica``) calls ``rebuild`` afterwards, as does the
``rebuild_summaries`` command, for repair.

The readers below sum at most (regions × months) rows for the roles that see whole regions,
(dealers × days of one month) for the parts of a month, whatever the number of sales.
"""

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.db import connection
from django.db.models import OuterRef, Q, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce

from inventory.models import (
    RegionSalesMonth,
    RegionStockMonth,
    SalesDay,
    SalesMonth,
    StockDay,
    StockMonth,
    StockStatus,
)
from inventory.selectors import MonthlySales, StockSummary, month_start


@dataclass(frozen=True)
class Summary:
    """A summary table as the ``GROUP BY`` of its source rows ``r``: ``keys`` and ``measures``
    map its columns to SQL over one row (measures are summed); ``counted`` is the measure
    that counts rows (a row whose count falls to 0 is deleted)."""

    table: str
    source: str
    where: str
    keys: dict[str, str]
    measures: dict[str, str]
    counted: str
    nullable: frozenset[str] = frozenset()
    join: str = ""  # e.g. the dealer of a row, for its region

    def grouped(self, rows: str, sign: str = "", join: str | None = None, region: str | None = None) -> str:
        """The source rows of ``rows`` (a table or transition table) as key and measure columns;
        ``join`` and ``region`` replace the summary's own join and ``region_id`` key."""
        keys = {**self.keys, **({"region_id": region} if region else {})}
        columns = [f"{sql} AS {name}" for name, sql in keys.items()]
        columns += [f"{sign}({sql}) AS {name}" for name, sql in self.measures.items()]
        where = f" WHERE {self.where}" if self.where else ""
        join = self.join if join is None else join
        return f"SELECT {', '.join(columns)} FROM {rows} r {join}{where}"  # noqa: S608 - SUMMARIES' SQL only

    def add(self, parts: list[str]) -> str:
        """Add the net of ``parts`` (signed ``grouped`` selects) to the summary rows."""
        keys = ", ".join(self.keys)
        sums = ", ".join(f"SUM({name})" for name in self.measures)
        changed = " OR ".join(f"SUM({name}) <> 0" for name in self.measures)
        updates = ", ".join(f"{name} = {self.table}.{name} + EXCLUDED.{name}" for name in self.measures)
        union = " UNION ALL ".join(parts)
        # ORDER BY: concurrent writers lock the rows they share in one order (no deadlock).
        return (
            f"INSERT INTO {self.table} ({keys}, {', '.join(self.measures)}) "  # noqa: S608 - SUMMARIES' SQL only
            f"SELECT {keys}, {sums} FROM ({union}) delta GROUP BY {keys} HAVING {changed} ORDER BY {keys} "
            f"ON CONFLICT ({keys}) DO UPDATE SET {updates};"
        )

    def prune(self, rows: str) -> str:
        """Delete the summary rows of ``rows``' keys that no longer count anything."""
        # "=" where a key is never null, so the join can use the summary's unique index.
        match = " AND ".join(
            f"s.{name} IS NOT DISTINCT FROM k.{name}" if name in self.nullable else f"s.{name} = k.{name}"
            for name in self.keys
        )
        keys = ", ".join(f"{sql} AS {name}" for name, sql in self.keys.items())
        where = f" WHERE {self.where}" if self.where else ""
        return (
            f"DELETE FROM {self.table} s USING (SELECT DISTINCT {keys} FROM {rows} r {self.join}{where}) k "  # noqa: S608 - as above
            f"WHERE {match} AND s.{self.counted} = 0;"
        )

    def rebuild(self) -> list[str]:
        """Empty the summary and sum the whole source into it (no conflicts to resolve)."""
        keys = ", ".join(self.keys)
        sums = ", ".join(f"SUM({name})" for name in self.measures)
        return [
            f"DELETE FROM {self.table};",  # noqa: S608 - names of SUMMARIES only
            f"INSERT INTO {self.table} ({keys}, {', '.join(self.measures)}) "  # noqa: S608 - as above
            f"SELECT {keys}, {sums} FROM ({self.grouped(self.source)}) r GROUP BY {keys};",
        ]


MONTH = "date_trunc('month', {})::date"
SALE_MEASURES = {
    "units": "1",
    "financed_units": "CASE WHEN r.payment IN ('loan', 'lease') THEN 1 ELSE 0 END",
    "revenue": "r.transaction_price",
}
STOCK_WHERE = "r.status IN ('ordered', 'in_transit', 'in_stock')"

SUMMARIES = [
    Summary(
        "inventory_salesmonth",
        "inventory_sale",
        "",
        {"dealer_id": "r.dealer_id", "month": MONTH.format("r.sold_on")},
        SALE_MEASURES,
        "units",
    ),
    Summary(
        "inventory_salesday",
        "inventory_sale",
        "",
        {"dealer_id": "r.dealer_id", "day": "r.sold_on"},
        SALE_MEASURES,
        "units",
    ),
    Summary(
        "inventory_stockmonth",
        "inventory_stockunit",
        STOCK_WHERE,
        {"dealer_id": "r.dealer_id", "status": "r.status", "month": MONTH.format("r.arrived_on")},
        {"units": "1"},
        "units",
        nullable=frozenset({"month"}),
    ),
    Summary(
        "inventory_stockday",
        "inventory_stockunit",
        STOCK_WHERE,
        {"dealer_id": "r.dealer_id", "status": "r.status", "day": "r.arrived_on"},
        {"units": "1"},
        "units",
        nullable=frozenset({"day"}),
    ),
]
DEALER = "JOIN channels_dealer d ON d.id = r.dealer_id"
REGION_SUMMARIES = [
    Summary(
        "inventory_regionsalesmonth",
        "inventory_salesmonth",
        "",
        {"region_id": "d.region_id", "month": "r.month"},
        {name: f"r.{name}" for name in SALE_MEASURES},
        "units",
        join=DEALER,
    ),
    Summary(
        "inventory_regionstockmonth",
        "inventory_stockmonth",
        "",
        {"region_id": "d.region_id", "status": "r.status", "month": "r.month"},
        {"units": "r.units"},
        "units",
        nullable=frozenset({"month"}),
        join=DEALER,
    ),
]
SUMMARIES += REGION_SUMMARIES  # after the dealers' summaries they sum (rebuild's order)
SOURCES = ["inventory_sale", "inventory_stockunit", "inventory_salesmonth", "inventory_stockmonth"]
# The dealers whose region a statement on channels_dealer changed, with both regions.
MOVED = (
    "JOIN (SELECT n.id, n.region_id AS new_region, o.region_id AS old_region FROM new_rows n"
    " JOIN old_rows o ON o.id = n.id WHERE n.region_id <> o.region_id) m ON m.id = r.dealer_id"
)


def trigger_sql(sources: list[str]) -> tuple[str, str]:
    """The statements that create the triggers keeping the summaries of ``sources`` (and, with
    the dealers' summaries, the move of a dealer's figures when its region changes), and those
    that drop them."""
    create, drop = [], []
    for source in sources:
        summaries = [summary for summary in SUMMARIES if summary.source == source]
        bodies = {
            "insert": [s.add([s.grouped("new_rows")]) for s in summaries],
            "update": [s.add([s.grouped("new_rows"), s.grouped("old_rows", "-")]) for s in summaries]
            + [s.prune("old_rows") for s in summaries],
            "delete": [s.add([s.grouped("old_rows", "-")]) for s in summaries]
            + [s.prune("old_rows") for s in summaries],
            "truncate": [f"DELETE FROM {s.table};" for s in summaries],  # noqa: S608 - names of SUMMARIES
        }
        referencing = {
            "insert": "REFERENCING NEW TABLE AS new_rows",
            "update": "REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows",
            "delete": "REFERENCING OLD TABLE AS old_rows",
            "truncate": "",
        }
        for operation, body in bodies.items():
            name = f"{source}_summaries_on_{operation}"
            statements = "\n  ".join(body)
            create.append(
                f"CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$\nBEGIN\n  {statements}\n"
                f"  RETURN NULL;\nEND;\n$$;\n"
                f"CREATE TRIGGER {name} AFTER {operation.upper()} ON {source} {referencing[operation]} "
                f"FOR EACH STATEMENT EXECUTE FUNCTION {name}();"
            )
            drop.append(f"DROP TRIGGER {name} ON {source}; DROP FUNCTION {name}();")
    if "inventory_salesmonth" in sources:
        # A move locks the dealers' summaries against writers until it commits, so no sale
        # is added under the old region meanwhile (moves are rare; reads go on).
        moves = [
            s.add(
                [
                    s.grouped(s.source, join=MOVED, region="m.new_region"),
                    s.grouped(s.source, "-", MOVED, "m.old_region"),
                ]
            )
            for s in REGION_SUMMARIES
        ] + [f"DELETE FROM {s.table} WHERE {s.counted} = 0;" for s in REGION_SUMMARIES]  # noqa: S608 - as above
        name = "channels_dealer_region_summaries_on_update"
        tables = ", ".join(s.source for s in REGION_SUMMARIES)
        statements = "\n    ".join(moves)
        create.append(
            f"CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$\nBEGIN\n"  # noqa: S608 - as above
            "  IF EXISTS (SELECT 1 FROM new_rows n JOIN old_rows o ON o.id = n.id WHERE n.region_id <> o.region_id)"
            f" THEN\n    LOCK TABLE {tables} IN SHARE MODE;\n    {statements}\n  END IF;\n  RETURN NULL;\nEND;\n$$;\n"
            f"CREATE TRIGGER {name} AFTER UPDATE ON channels_dealer REFERENCING OLD TABLE AS old_rows"
            f" NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION {name}();"
        )
        drop.append(f"DROP TRIGGER {name} ON channels_dealer; DROP FUNCTION {name}();")
    return "\n".join(create), "\n".join(drop)


def rebuild() -> None:
    """Recompute every summary from the raw rows, in the caller's transaction; the raw tables
    are locked against writes (not reads) until it commits, so none is missed meanwhile."""
    with connection.cursor() as cursor:
        cursor.execute(f"LOCK TABLE {', '.join(SOURCES[:2])}, channels_dealer IN SHARE MODE")
        for summary in SUMMARIES:
            for statement in summary.rebuild():
                cursor.execute(statement)


# Reading -------------------------------------------------------------------------------------


def _next_month(day: date) -> date:
    return month_start(day, -1)


def monthly_sales(
    months: QuerySet[SalesMonth] | QuerySet[RegionSalesMonth],
    days: QuerySet[SalesDay],
    *,
    first_month: date,
    last_day: date,
) -> list[MonthlySales]:
    """As ``inventory.selectors.monthly_sales`` over the summaries: the months' rows, less the
    days of the last month after ``last_day`` (sales dated ahead)."""
    return _monthly(_sales_by(months, days, first_month=first_month, last_day=last_day), first_month, last_day)


def monthly_sales_and_regions(
    months: QuerySet[RegionSalesMonth], days: QuerySet[SalesDay], *, first_month: date, last_day: date
) -> tuple[list[MonthlySales], dict[str, dict[date, int]]]:
    """``monthly_sales`` and the units per month by the dealers' region as it is now (as
    ``monthly_sales_by_group`` with ``dealer__region__name``), from one read of the regions' months."""
    rows = _sales_by(
        months, days, first_month=first_month, last_day=last_day, group=("region__name", "dealer__region__name")
    )
    series: dict[str, dict[date, int]] = {}
    # As the raw rows' GROUP BY: no month without sales, no region without months.
    for (region, month), (units, _financed, _revenue) in sorted(rows.items()):
        if units:
            series.setdefault(str(region), {})[month] = units
    return _monthly(rows, first_month, last_day), series


def _sales_by(
    months: QuerySet, days: QuerySet[SalesDay], *, first_month: date, last_day: date, group: tuple[str, str] = ("", "")
) -> dict[tuple, tuple[int, int, Decimal]]:
    """(units, financed units, revenue) per (group value, month), the sales dated after
    ``last_day`` in its month taken off; ``group`` names the group in the months and in the days."""
    sums = {"units": Sum("units"), "financed": Sum("financed_units"), "revenue": Sum("revenue")}
    by_month, by_day = group
    figures: dict[tuple, tuple[int, int, Decimal]] = {}
    rows = months.filter(month__gte=first_month, month__lte=last_day)
    for row in rows.values("month", *filter(None, [by_month])).annotate(**sums).order_by():
        figures[(row.get(by_month), row["month"])] = (row["units"], row["financed"], row["revenue"])
    this_month = month_start(last_day)
    ahead = days.filter(day__gt=last_day, day__lt=_next_month(last_day))
    for row in ahead.values(by_day).annotate(**sums).order_by() if by_day else [ahead.aggregate(**sums)]:
        if row["units"]:
            key = (row.get(by_day), this_month)
            units, financed, revenue = figures[key]
            figures[key] = (units - row["units"], financed - row["financed"], revenue - row["revenue"])
    return figures


def _monthly(figures: dict[tuple, tuple[int, int, Decimal]], first_month: date, last_day: date) -> list[MonthlySales]:
    """Every month from ``first_month`` to ``last_day``'s, zeros included, summed over the groups."""
    totals: dict[date, list] = {}
    for (_group, month), (units, financed, revenue) in figures.items():
        total = totals.setdefault(month, [0, 0, Decimal("0.00")])
        total[0] += units
        total[1] += financed
        total[2] += revenue
    result = []
    month = first_month
    while month <= last_day:
        units, financed, revenue = totals.get(month, (0, 0, Decimal("0.00")))
        result.append(MonthlySales(month=month, units=units, revenue=revenue, financed_units=financed))
        month = _next_month(month)
    return result


def units_sold(
    months: QuerySet[SalesMonth] | QuerySet[RegionSalesMonth],
    days: QuerySet[SalesDay],
    *,
    first_day: date,
    last_day: date,
) -> int:
    """Units sold from ``first_day`` to ``last_day`` of one month: the days' rows, or the month's
    less the days outside, whichever reads fewer rows."""
    month = month_start(first_day)
    end = _next_month(month)
    if (last_day - first_day).days * 2 <= (end - month).days:
        return days.filter(day__gte=first_day, day__lte=last_day).aggregate(units=Sum("units", default=0))["units"]
    whole = months.filter(month=month).aggregate(units=Sum("units", default=0))["units"]
    outside = days.filter(Q(day__gte=month, day__lt=first_day) | Q(day__gt=last_day, day__lt=end))
    return whole - outside.aggregate(units=Sum("units", default=0))["units"]


def dealer_units(
    months: QuerySet[SalesMonth], days: QuerySet[SalesDay], *, first_day: date, last_day: date
) -> Coalesce:
    """Units each dealer sold from ``first_day`` (a month's first) to ``last_day``, as an
    expression for ``Dealer`` querysets (``annotate(units=…)``)."""
    month = months.filter(dealer=OuterRef("pk"), month=first_day).values("units")
    ahead = (
        days.filter(dealer=OuterRef("pk"), day__gt=last_day, day__lt=_next_month(first_day))
        .values("dealer")
        .annotate(units=Sum("units"))
        .values("units")
    )
    return Coalesce(Subquery(month), 0) - Coalesce(Subquery(ahead), 0)


def stock_summary(
    months: QuerySet[StockMonth] | QuerySet[RegionStockMonth], days: QuerySet[StockDay], *, today: date
) -> StockSummary:
    """As ``inventory.selectors.stock_summary``: on hand, on the way, and on hand for more than
    90 days (arrived before ``today`` − 90: the months before the cut-off's month, and the days
    of that month before it)."""
    cutoff = today - timedelta(days=90)
    in_stock = Q(status=StockStatus.IN_STOCK)
    counts = months.aggregate(
        in_stock=Sum("units", filter=in_stock, default=0),
        in_transit=Sum("units", filter=Q(status__in=[StockStatus.ORDERED, StockStatus.IN_TRANSIT]), default=0),
        aged=Sum("units", filter=in_stock & Q(month__lt=month_start(cutoff)), default=0),
    )
    aged_days = days.filter(in_stock, day__gte=month_start(cutoff), day__lt=cutoff).aggregate(
        units=Sum("units", default=0)
    )
    return StockSummary(
        in_stock=counts["in_stock"],
        in_transit=counts["in_transit"],
        aged_over_90_days=counts["aged"] + aged_days["units"],
    )
