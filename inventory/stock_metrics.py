"""Stock depth of dealers, regions and the network: set-based reads (one statement per call).

Definitions (``as_of`` is the day the figures are for, today by default):

- **units by status**: units ordered, in transit and in stock (sold and transferred-away
  units are out of stock).
- **age** of a unit in stock: days since ``arrived_on``, the day it reached the network (a
  transfer keeps the date), bucketed 0-30, 31-60, 61-90 and over 90 days.
- **inventory coefficient** (China Automobile Dealers Association; warning line 1.5): stock at
  the end of the month ÷ the month's sales. For the month in progress: units in stock now ÷ the
  month's sales so far scaled to the whole month (sales to date × days in month ÷ days elapsed,
  today counted). No value without a sale this month.
- **forward coefficient**: (units in stock + in transit) ÷ the sales forecast for the 30 days
  after ``as_of`` by the newest finished weekly run (``inventory.forecasting``), each forecast
  week counted by its days inside those 30. No value without a forecast.
- **days supply**: units in stock ÷ average daily retail sales of the trailing 45 days (the 45
  days ending on ``as_of``, included). No value without a sale in those days.
- **stock turn** (a year): sales of the trailing 365 days ÷ the average stock over them, the
  average being the unit-days held in those days (each unit now in stock, or sold in them,
  counted from the later of its arrival and the window's start to its sale or ``as_of``) ÷ 365.
- **model-mix deviation**: ½ Σ over models |share of the stock − share of the reference's sales
  of the trailing 90 days|, where the reference is the dealer's region for a dealer or a region,
  and the whole network for the network; 0 is the same mix, 1 nothing in common. No value
  without stock or without reference sales.
- **floorplan ageing cost** of a unit: dealer invoice cost × annual rate ÷ 365 × days in stock,
  rounded half-up to the fen (PostgreSQL's ``round`` of a positive numeric); a dealer's is the
  sum of its units' rounded costs, so the dealer's figure adds up to what the unit pages show.
  The rate is the dealer's own ``FloorplanRate``, else head office's default row, else
  ``DEFAULT_FLOORPLAN_RATE``.

The SQL fragments below are the one place each ratio is defined: ``inventory.alerts`` builds
its per-model figures from them too.
"""

import calendar
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from django.db import connection
from django.db.models import Count, Q, QuerySet

from channels.models import Dealer
from dealerops.money import to_fen
from inventory.models import DEFAULT_FLOORPLAN_RATE, FloorplanRate, StockUnit

SUPPLY_DAYS = 45
MIX_DAYS = 90
TURN_DAYS = 365
AGED_DAYS = 90
COEFFICIENT_WARNING = Decimal("1.5")
AGE_BUCKETS = [(0, 30), (31, 60), (61, 90), (91, None)]


def coefficient_sql(stock: str, month_sales: str) -> str:
    """Stock ÷ the month's sales so far scaled to the whole month (params ``elapsed``, ``month_days``)."""
    return (
        f"CASE WHEN {month_sales} > 0 THEN round(({stock}) * %(elapsed)s::numeric "
        f"/ (({month_sales}) * %(month_days)s), 2) END"
    )


def days_supply_sql(stock: str, window_sales: str) -> str:
    """Stock ÷ average daily sales of the trailing SUPPLY_DAYS."""
    return f"CASE WHEN {window_sales} > 0 THEN round(({stock}) * {SUPPLY_DAYS}.0 / ({window_sales}), 1) END"


# The rate of each unit's dealer, percent a year (see the module's docstring), with ``fr`` the
# dealer's own row joined: head office's default is an uncorrelated subquery, evaluated once.
RATE_SQL = (
    "COALESCE(fr.annual_rate, (SELECT annual_rate FROM inventory_floorplanrate WHERE dealer_id IS NULL),"
    " %(default_rate)s)"
)


def ageing_cost_sql(cost: str, rate: str, days: str) -> str:
    return f"round({cost} * {rate} / 36500.0 * ({days}), 2)"


def period_params(as_of: date) -> dict:
    """The day-based parameters every statement here reads."""
    return {
        "as_of": as_of,
        "month_first": as_of.replace(day=1),
        "elapsed": as_of.day,
        "month_days": calendar.monthrange(as_of.year, as_of.month)[1],
        "supply_from": as_of - timedelta(days=SUPPLY_DAYS - 1),
        "mix_from": as_of - timedelta(days=MIX_DAYS - 1),
        "turn_from": as_of - timedelta(days=TURN_DAYS - 1),
        "turn_start": as_of - timedelta(days=TURN_DAYS),  # held days count from here
        "aged_before": as_of - timedelta(days=AGED_DAYS),
        "default_rate": DEFAULT_FLOORPLAN_RATE,
    }


@dataclass(frozen=True)
class StockMetrics:
    key: int  # dealer id, region id, or 0 for the network
    ordered: int = 0
    in_transit: int = 0
    in_stock: int = 0
    ages: tuple[int, int, int, int] = (0, 0, 0, 0)  # units per AGE_BUCKETS
    overdue: int = 0  # units ordered or in transit past their ETA
    sales_month: int = 0
    sales_supply: int = 0
    sales_year: int = 0
    coefficient: Decimal | None = None
    days_supply: Decimal | None = None
    stock_turn: Decimal | None = None
    mix_deviation: Decimal | None = None
    ageing_cost: Decimal = Decimal("0.00")
    # (in stock + in transit) ÷ the forecast sales of the next 30 days; None without a forecast.
    forward_coefficient: Decimal | None = None
    forecast_30: Decimal | None = None  # those forecast sales, in units
    models: list[dict] = field(default_factory=list)

    @property
    def aged(self) -> int:
        return self.ages[-1]

    @property
    def over_warning(self) -> bool:
        return self.coefficient is not None and self.coefficient > COEFFICIENT_WARNING


# Grouping: (key of a dealer's rows, key of the mix reference over any dealer).
GROUPS = {"dealer": ("d.id", "d.region_id"), "region": ("d.region_id", "d.region_id"), "network": ("0", "0")}

METRICS_SQL = """
WITH d AS (SELECT d.id, d.region_id, {key} AS g, {ref} AS ref FROM channels_dealer d WHERE d.id = ANY(%(dealers)s)),
units AS (
  SELECT d.g, u.model_id, u.status, u.arrived_on, u.eta,
         CASE WHEN u.status = 'in_stock' THEN {cost} END AS ageing_cost
  FROM inventory_stockunit u JOIN d ON d.id = u.dealer_id JOIN inventory_vehiclemodel m ON m.id = u.model_id
  LEFT JOIN inventory_floorplanrate fr ON fr.dealer_id = u.dealer_id
  WHERE u.status IN ('ordered', 'in_transit', 'in_stock')
),
stock AS (
  SELECT g,
    count(*) FILTER (WHERE status = 'ordered') AS ordered,
    count(*) FILTER (WHERE status = 'in_transit') AS in_transit,
    count(*) FILTER (WHERE status = 'in_stock') AS in_stock,
    count(*) FILTER (WHERE status = 'in_stock' AND %(as_of)s - arrived_on <= 30) AS age1,
    count(*) FILTER (WHERE status = 'in_stock' AND %(as_of)s - arrived_on BETWEEN 31 AND 60) AS age2,
    count(*) FILTER (WHERE status = 'in_stock' AND %(as_of)s - arrived_on BETWEEN 61 AND 90) AS age3,
    count(*) FILTER (WHERE status = 'in_stock' AND arrived_on < %(aged_before)s) AS age4,
    count(*) FILTER (WHERE status IN ('ordered', 'in_transit') AND eta < %(as_of)s) AS overdue,
    COALESCE(sum(ageing_cost), 0) AS ageing_cost,
    COALESCE(sum(%(as_of)s - GREATEST(arrived_on, %(turn_start)s)) FILTER (WHERE status = 'in_stock'), 0)
      AS held_days
  FROM units GROUP BY g
),
sold AS (
  SELECT d.g,
    count(*) FILTER (WHERE s.sold_on >= %(month_first)s) AS month,
    count(*) FILTER (WHERE s.sold_on >= %(supply_from)s) AS supply,
    count(*) AS year,
    sum(s.sold_on - GREATEST(u.arrived_on, %(turn_start)s)) AS held_days
  FROM inventory_sale s JOIN d ON d.id = s.dealer_id JOIN inventory_stockunit u ON u.id = s.stock_unit_id
  WHERE s.sold_on BETWEEN %(turn_from)s AND %(as_of)s
  GROUP BY d.g
),
stock_share AS (
  SELECT g, model_id, count(*)::numeric / sum(count(*)) OVER (PARTITION BY g) AS share
  FROM units WHERE status = 'in_stock' GROUP BY g, model_id
),
ref_sales AS (
  SELECT {ref} AS ref, u.model_id, count(*) AS units
  FROM inventory_sale s JOIN channels_dealer d ON d.id = s.dealer_id
  JOIN inventory_stockunit u ON u.id = s.stock_unit_id
  WHERE s.sold_on BETWEEN %(mix_from)s AND %(as_of)s AND {ref} IN (SELECT ref FROM d)
  GROUP BY 1, 2
),
ref_share AS (SELECT ref, model_id, units::numeric / sum(units) OVER (PARTITION BY ref) AS share FROM ref_sales),
-- The next 30 days' forecast sales (the newest finished weekly run), each week by its days in them.
outlook AS (
  SELECT d.g, sum(f.units * (LEAST(f.target_week + 7, %(as_of)s + 31) - GREATEST(f.target_week, %(as_of)s + 1)) / 7.0)
    AS units
  FROM inventory_forecast f JOIN d ON d.id = f.dealer_id
  WHERE f.run_id = (SELECT id FROM inventory_forecastrun WHERE status = 'succeeded' ORDER BY week DESC LIMIT 1)
    AND f.target_week < %(as_of)s + 31 AND f.target_week + 7 > %(as_of)s + 1
  GROUP BY d.g
),
pairs AS (
  SELECT g, model_id, share AS stock_share, 0 AS sales_share FROM stock_share
  UNION ALL
  SELECT groups.g, r.model_id, 0, r.share FROM (SELECT DISTINCT g, ref FROM d) groups JOIN ref_share r USING (ref)
),
mix AS (
  SELECT g, CASE WHEN sum(stock_share) > 0 AND sum(sales_share) > 0 THEN round(0.5 * sum(abs(gap)), 4) END AS deviation
  FROM (SELECT g, model_id, sum(stock_share) AS stock_share, sum(sales_share) AS sales_share,
               sum(stock_share) - sum(sales_share) AS gap FROM pairs GROUP BY g, model_id) per_model
  GROUP BY g
)
SELECT groups.g AS key, COALESCE(st.ordered, 0) AS ordered, COALESCE(st.in_transit, 0) AS in_transit,
  COALESCE(st.in_stock, 0) AS in_stock, COALESCE(st.age1, 0) AS age1, COALESCE(st.age2, 0) AS age2,
  COALESCE(st.age3, 0) AS age3, COALESCE(st.age4, 0) AS age4, COALESCE(st.overdue, 0) AS overdue,
  COALESCE(so.month, 0) AS sales_month, COALESCE(so.supply, 0) AS sales_supply, COALESCE(so.year, 0) AS sales_year,
  {coefficient} AS coefficient, {days_supply} AS days_supply,
  CASE WHEN COALESCE(st.held_days, 0) + COALESCE(so.held_days, 0) > 0
       THEN round(so.year * {turn_days}.0 / (COALESCE(st.held_days, 0) + COALESCE(so.held_days, 0)), 2) END
    AS stock_turn,
  mix.deviation AS mix_deviation, COALESCE(st.ageing_cost, 0) AS ageing_cost,
  CASE WHEN outlook.units > 0
       THEN round(((COALESCE(st.in_stock, 0) + COALESCE(st.in_transit, 0)) / outlook.units)::numeric, 2) END
    AS forward_coefficient,
  round(outlook.units::numeric, 1) AS forecast_30
FROM (SELECT DISTINCT g FROM d) groups
LEFT JOIN stock st USING (g) LEFT JOIN sold so USING (g) LEFT JOIN mix USING (g) LEFT JOIN outlook USING (g)
"""


def metrics_sql(by: str) -> str:
    """The statement of ``stock_metrics`` (named columns, ``%(dealers)s`` the dealer ids and
    ``period_params``): the nightly alerts select from it too."""
    key, ref = GROUPS[by]
    cost = ageing_cost_sql("m.dealer_invoice_cost", RATE_SQL, "%(as_of)s - u.arrived_on")
    return METRICS_SQL.format(
        key=key,
        ref=ref,
        cost=cost,
        coefficient=coefficient_sql("COALESCE(st.in_stock, 0)", "COALESCE(so.month, 0)"),
        days_supply=days_supply_sql("COALESCE(st.in_stock, 0)", "COALESCE(so.supply, 0)"),
        turn_days=TURN_DAYS,
    )


def stock_metrics(dealers: QuerySet[Dealer], *, by: str, as_of: date) -> list[StockMetrics]:
    """The figures of the module's docstring for ``dealers`` (already scoped by the caller),
    one row per dealer, per region or for the network (``by``: "dealer", "region", "network")."""
    params = {**period_params(as_of), "dealers": list(dealers.order_by().values_list("pk", flat=True))}
    with connection.cursor() as cursor:
        cursor.execute(metrics_sql(by) + " ORDER BY key", params)
        rows = cursor.fetchall()
    return [
        StockMetrics(
            key=row[0],
            ordered=row[1],
            in_transit=row[2],
            in_stock=row[3],
            ages=(row[4], row[5], row[6], row[7]),
            overdue=row[8],
            sales_month=row[9],
            sales_supply=row[10],
            sales_year=row[11],
            coefficient=row[12],
            days_supply=row[13],
            stock_turn=row[14],
            mix_deviation=row[15],
            ageing_cost=to_fen(row[16]),
            forward_coefficient=row[17],
            forecast_30=row[18],
        )
        for row in rows
    ]


def dealer_metrics(dealer: Dealer, *, as_of: date) -> StockMetrics:
    """One dealer's figures (zeros for a dealer with nothing in stock)."""
    rows = stock_metrics(Dealer.objects.filter(pk=dealer.pk), by="dealer", as_of=as_of)
    return rows[0] if rows else StockMetrics(key=dealer.pk)


def stock_by_model(units: QuerySet[StockUnit], *, as_of: date) -> list[dict]:
    """Per model of ``units`` (one dealer's, scoped): units ordered, in transit, in stock, over
    90 days, and the stock's ageing cost; the most units in stock first."""
    rows = (
        units.filter(status__in=["ordered", "in_transit", "in_stock"])
        .values("model_id", "model__brand", "model__series", "model__trim")
        .annotate(
            ordered=Count("pk", filter=Q(status="ordered")),
            in_transit=Count("pk", filter=Q(status="in_transit")),
            in_stock=Count("pk", filter=Q(status="in_stock")),
            aged=Count("pk", filter=Q(status="in_stock", arrived_on__lt=as_of - timedelta(days=AGED_DAYS))),
        )
        .order_by("-in_stock", "model__brand", "model__series", "model__trim")
    )
    return [
        {
            "model_id": row["model_id"],
            "name": f"{row['model__brand']} {row['model__series']} {row['model__trim']}",
            **{name: row[name] for name in ("ordered", "in_transit", "in_stock", "aged")},
        }
        for row in rows
    ]


@dataclass(frozen=True)
class UnitAgeing:
    days: int
    rate: Decimal  # percent a year
    per_day: Decimal  # yuan, to the fen
    cost: Decimal  # yuan, to the fen: what the unit has cost so far


def floorplan_rate(dealer_id: int) -> Decimal:
    """The dealer's annual floorplan rate in percent (see the module's docstring)."""
    own = FloorplanRate.objects.filter(dealer_id=dealer_id).values_list("annual_rate", flat=True).first()
    if own is not None:
        return own
    default = FloorplanRate.objects.filter(dealer__isnull=True).values_list("annual_rate", flat=True).first()
    return default if default is not None else DEFAULT_FLOORPLAN_RATE


def unit_ageing(unit: StockUnit, *, as_of: date) -> UnitAgeing | None:
    """A unit in stock's days held and floorplan cost (None for a unit not in stock)."""
    if unit.status != "in_stock" or unit.arrived_on is None:
        return None
    rate = floorplan_rate(unit.dealer_id)
    days = (as_of - unit.arrived_on).days
    per_day = unit.model.dealer_invoice_cost * rate / Decimal(36500)
    return UnitAgeing(days=days, rate=rate, per_day=to_fen(per_day), cost=to_fen(per_day * days))
