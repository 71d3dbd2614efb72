"""Stock depth and the nightly stock alerts on the dataset DATABASE_URL holds.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench python bench/generate.py --scale S
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench python bench/inventory.py

As of the dataset's last sale, with the demo's alert rules (``dealerops.synthetic.stock``):

- ``inventory_metrics``: ``stock_metrics`` for every dealer (units by status, age buckets,
  coefficient, days supply, stock turn, mix deviation, ageing cost), against the floor of the
  same aggregates in hand-written SQL (three plain GROUP BY statements: units, sales, mix);
- ``inventory_alerts``: the nightly run (``stock_alerts_run``: per dealer × model figures, the
  dealers' mix, the upsert and the resolution, one transaction) on an empty alert table,
  against the floor of the per-dealer × model aggregates by hand plus the mix statement;
- ``inventory_alerts_rerun``: the same run again (nothing to open: the idempotent path).

Each floor is the second of two passes, so both sides find the tables cached.
"""

import argparse
import time

from common import last_sale_and_complete_month, print_table, result_line, setup_django, timed

UNITS_BY_DEALER = """
SELECT u.dealer_id,
  count(*) FILTER (WHERE u.status = 'ordered'), count(*) FILTER (WHERE u.status = 'in_transit'),
  count(*) FILTER (WHERE u.status = 'in_stock'),
  count(*) FILTER (WHERE u.status = 'in_stock' AND %(as_of)s - u.arrived_on <= 30),
  count(*) FILTER (WHERE u.status = 'in_stock' AND %(as_of)s - u.arrived_on BETWEEN 31 AND 60),
  count(*) FILTER (WHERE u.status = 'in_stock' AND %(as_of)s - u.arrived_on BETWEEN 61 AND 90),
  count(*) FILTER (WHERE u.status = 'in_stock' AND u.arrived_on < %(aged_before)s),
  count(*) FILTER (WHERE u.status IN ('ordered', 'in_transit') AND u.eta < %(as_of)s),
  sum(round(m.dealer_invoice_cost * %(default_rate)s / 36500.0 * (%(as_of)s - u.arrived_on), 2))
    FILTER (WHERE u.status = 'in_stock'),
  sum(%(as_of)s - GREATEST(u.arrived_on, %(turn_start)s)) FILTER (WHERE u.status = 'in_stock')
FROM inventory_stockunit u JOIN inventory_vehiclemodel m ON m.id = u.model_id
WHERE u.status IN ('ordered', 'in_transit', 'in_stock') GROUP BY 1
"""
SALES_BY_DEALER = """
SELECT s.dealer_id, count(*) FILTER (WHERE s.sold_on >= %(month_first)s),
  count(*) FILTER (WHERE s.sold_on >= %(supply_from)s), count(*),
  sum(s.sold_on - GREATEST(u.arrived_on, %(turn_start)s))
FROM inventory_sale s JOIN inventory_stockunit u ON u.id = s.stock_unit_id
WHERE s.sold_on BETWEEN %(turn_from)s AND %(as_of)s GROUP BY 1
"""
MIX_BY_DEALER = """
WITH st AS (
  SELECT dealer_id, model_id, count(*)::numeric / sum(count(*)) OVER (PARTITION BY dealer_id) AS share
  FROM inventory_stockunit WHERE status = 'in_stock' GROUP BY 1, 2
), rs AS (
  SELECT d.region_id, u.model_id, count(*)::numeric / sum(count(*)) OVER (PARTITION BY d.region_id) AS share
  FROM inventory_sale s JOIN channels_dealer d ON d.id = s.dealer_id
  JOIN inventory_stockunit u ON u.id = s.stock_unit_id
  WHERE s.sold_on BETWEEN %(mix_from)s AND %(as_of)s GROUP BY 1, 2
)
SELECT x.dealer_id, 0.5 * sum(abs(x.s - x.r)) FROM (
  SELECT st.dealer_id, st.share AS s, COALESCE(rs.share, 0) AS r
  FROM st JOIN channels_dealer d ON d.id = st.dealer_id
  LEFT JOIN rs ON rs.region_id = d.region_id AND rs.model_id = st.model_id
  UNION ALL
  SELECT d.id, 0, rs.share FROM channels_dealer d JOIN rs ON rs.region_id = d.region_id
  WHERE EXISTS (SELECT 1 FROM st WHERE st.dealer_id = d.id)
    AND NOT EXISTS (SELECT 1 FROM st WHERE st.dealer_id = d.id AND st.model_id = rs.model_id)
) x GROUP BY 1
"""
UNITS_BY_MODEL = """
SELECT dealer_id, model_id, count(*) FILTER (WHERE status = 'in_stock'),
  count(*) FILTER (WHERE status = 'in_stock' AND arrived_on < %(aged_before)s),
  count(*) FILTER (WHERE status IN ('ordered', 'in_transit') AND eta < %(as_of)s)
FROM inventory_stockunit WHERE status IN ('ordered', 'in_transit', 'in_stock') GROUP BY 1, 2
"""
SALES_BY_MODEL = """
SELECT s.dealer_id, u.model_id, count(*) FILTER (WHERE s.sold_on >= %(month_first)s), count(*)
FROM inventory_sale s JOIN inventory_stockunit u ON u.id = s.stock_unit_id
WHERE s.sold_on BETWEEN %(supply_from)s AND %(as_of)s GROUP BY 1, 2
"""
LEADS_BY_MODEL = """
SELECT dealer_id, model_of_interest_id, count(*) FROM channels_lead
WHERE outcome = 'open' AND dealer_id IS NOT NULL AND model_of_interest_id IS NOT NULL GROUP BY 1, 2
"""


def floor(statements: list[str], params: dict) -> tuple[float, int]:
    """The statements by hand, every row fetched; the second of two passes: (seconds, rows)."""
    from django.db import connection

    for _warm_up in range(2):
        rows = 0
        started = time.perf_counter()
        with connection.cursor() as cursor:
            for statement in statements:
                cursor.execute(statement, params)
                rows += len(cursor.fetchall())
        seconds = time.perf_counter() - started
    return seconds, rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.parse_args()
    setup_django()

    from django.core.management import call_command
    from django.db import connection
    from django.db.models import Count

    from channels.models import Dealer
    from dealerops.synthetic.stock import DEMO_RULES
    from inventory.alerts import stock_alerts_run
    from inventory.models import StockAlert, StockAlertRule, StockUnit
    from inventory.stock_metrics import period_params, stock_metrics

    call_command("migrate", interactive=False, verbosity=0)
    as_of, _month = last_sale_and_complete_month()
    for name, kind, threshold, segment in DEMO_RULES:
        StockAlertRule.objects.update_or_create(name=name, defaults={"kind": kind, "threshold": threshold, **segment})
    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE inventory_stockalert")
    params = period_params(as_of)
    units = StockUnit.objects.filter(status__in=["ordered", "in_transit", "in_stock"]).count()
    print(f"Dealers: {Dealer.objects.count():,}; units ordered, in transit or in stock: {units:,}; as of {as_of}")

    metrics_floor, metrics_floor_rows = floor([UNITS_BY_DEALER, SALES_BY_DEALER, MIX_BY_DEALER], params)
    stock_metrics(Dealer.objects.all(), by="dealer", as_of=as_of)  # warm, as the floor's first pass
    with timed() as metrics_run:
        figures = stock_metrics(Dealer.objects.all(), by="dealer", as_of=as_of)

    alerts_floor, alerts_floor_rows = floor([UNITS_BY_MODEL, SALES_BY_MODEL, LEADS_BY_MODEL, MIX_BY_DEALER], params)
    with timed() as job:
        run = stock_alerts_run(as_of=as_of)
    with timed() as rerun:
        again = stock_alerts_run(as_of=as_of)

    by_rule = StockAlert.objects.values_list("rule__kind").annotate(n=Count("id")).order_by("rule__kind")
    print_table([(kind, f"{n:,}") for kind, n in by_rule], ("alert kind", "alerts"))
    aged = sum(row.aged for row in figures)
    print_table(
        [
            (
                "stock metrics, every dealer",
                f"{len(figures):,}",
                f"{metrics_run['seconds']:.2f}",
                f"{metrics_floor:.2f}",
            ),
            ("alerts run", f"{run.rows:,}", f"{job['seconds']:.2f}", f"{alerts_floor:.2f}"),
            ("alerts re-run", f"{again.rows:,}", f"{rerun['seconds']:.2f}", "–"),
        ],
        ("step", "rows", "seconds", "floor seconds"),
    )
    print(result_line("inventory_metrics", metrics_run["seconds"], metrics_floor, dealers=len(figures),
                      aged_units=aged, floor_rows=metrics_floor_rows))  # fmt: skip
    print(result_line("inventory_alerts", job["seconds"], alerts_floor, alerts=run.rows,
                      floor_rows=alerts_floor_rows))  # fmt: skip
    print(result_line("inventory_alerts_rerun", rerun["seconds"], rows=again.rows))


if __name__ == "__main__":
    main()
