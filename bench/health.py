"""Channel health on the national-scale dataset.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench python bench/generate.py --scale S
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench python bench/health.py

Times the nightly job's work for one month (the last complete month of the data): every
dealer's 12 metrics, percentile scores, composite and rating, upserted in one transaction
(channels.health.services), against the floor: the same raw figures computed by one
hand-written SQL query per family of source data (sales, prices, loans, leads, stock,
service, retention), fetched, in the same run. The families' totals must tie with the samples
the job stored. The health tables are emptied first (TRUNCATE fires no row trigger).
"""

import argparse
import time
from datetime import datetime, timedelta
from datetime import time as clock

from common import last_sale_and_complete_month, print_table, result_line, setup_django, timed

# One hand-written query per family; ``%(...)s`` are the month's bounds.
FLOOR = {
    "sales": """
        SELECT dealer_id, count(*), count(*) FILTER (WHERE payment = 'lease'),
               count(*) FILTER (WHERE recorded_at < (sold_on + 3)::timestamp AT TIME ZONE 'Asia/Shanghai'
                                  AND updated_at < %(cutoff_ts)s)
        FROM inventory_sale WHERE sold_on BETWEEN %(first)s AND %(last)s GROUP BY dealer_id""",
    "prices": """
        SELECT s.dealer_id, count(*), avg(s.transaction_price / m.msrp),
               count(*) FILTER (WHERE s.transaction_price < m.guide_price_floor)
        FROM inventory_sale s JOIN inventory_stockunit u ON u.id = s.stock_unit_id
        JOIN inventory_vehiclemodel m ON m.id = u.model_id
        WHERE s.sold_on BETWEEN %(first)s AND %(last)s GROUP BY s.dealer_id""",
    "loans": """
        SELECT l.dealer_id, count(*) FROM finance_loan l JOIN inventory_sale s ON s.id = l.sale_id
        WHERE s.sold_on BETWEEN %(first)s AND %(last)s AND l.status <> 'rejected' GROUP BY l.dealer_id""",
    "leads": """
        SELECT l.dealer_id,
               count(*) FILTER (WHERE l.assigned_at >= %(window_ts)s),
               count(*) FILTER (WHERE l.assigned_at >= %(window_ts)s
                                  AND cs.sold_on <= LEAST((l.assigned_at AT TIME ZONE 'Asia/Shanghai')::date + 90,
                                                          %(last)s)),
               percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM l.first_contact_at - l.assigned_at))
                 FILTER (WHERE l.assigned_at >= %(start_ts)s AND l.first_contact_at IS NOT NULL)
        FROM channels_lead l LEFT JOIN inventory_sale cs ON cs.id = l.converted_sale_id
        WHERE l.dealer_id IS NOT NULL AND l.assigned_at >= %(window_ts)s AND l.assigned_at < %(end_ts)s
        GROUP BY l.dealer_id""",
    "stock": """
        SELECT u.dealer_id, count(*), count(*) FILTER (WHERE u.arrived_on < %(last)s - 90)
        FROM inventory_stockunit u LEFT JOIN inventory_sale s ON s.stock_unit_id = u.id
        WHERE u.arrived_on <= %(last)s AND ((s.id IS NULL AND u.status = 'in_stock') OR s.sold_on > %(last)s)
        GROUP BY u.dealer_id""",
    "service": """
        SELECT dealer_id, sum(n), sum(total) FROM (
          SELECT dealer_id, count(*) AS n, sum(satisfaction) AS total FROM customers_servicevisit
          WHERE visited_on BETWEEN %(first)s AND %(last)s AND satisfaction IS NOT NULL GROUP BY dealer_id
          UNION ALL
          SELECT dealer_id, count(*), sum(satisfaction) FROM customers_inquiry
          WHERE status IN ('resolved', 'closed') AND resolved_at >= %(start_ts)s AND resolved_at < %(end_ts)s
            AND satisfaction IS NOT NULL GROUP BY dealer_id) x
        GROUP BY dealer_id""",
    "retention": """
        SELECT b.dealer_id, count(*), count(v.customer_id)
        FROM (SELECT DISTINCT dealer_id, customer_id FROM inventory_sale
              WHERE sold_on BETWEEN %(last)s - interval '3 years' AND %(last)s - interval '1 year') b
        LEFT JOIN (SELECT DISTINCT dealer_id, customer_id FROM customers_servicevisit
                   WHERE visited_on > %(last)s - interval '1 year' AND visited_on <= %(last)s) v
          USING (dealer_id, customer_id)
        GROUP BY b.dealer_id""",
}

# Family -> the metric whose stored sample, dealer by dealer, is the family's first figure.
TIES = {"sales": "data_timeliness", "leads": "lead_conversion", "stock": "aged_stock", "retention": "retention"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.parse_args()
    setup_django()

    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone

    from channels.health.services import health_month_compute
    from channels.models import Dealer, HealthMetricScore, HealthMonth

    call_command("migrate", interactive=False, verbosity=0)
    last_sale, month = last_sale_and_complete_month()
    last = last_sale.replace(day=1) - timedelta(days=1)

    def start_of(day):
        return timezone.make_aware(datetime.combine(day, clock.min))

    params = {
        "first": month,
        "last": last,
        "start_ts": start_of(month),
        "end_ts": start_of(last + timedelta(days=1)),
        "window_ts": start_of(last + timedelta(days=1)) - timedelta(days=90),
        "cutoff_ts": start_of(last + timedelta(days=6)),
    }
    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE channels_healthmetricscore, channels_healthscore, channels_healthmonth")
    print(f"Dealers: {Dealer.objects.count():,}; month {month:%Y-%m}")

    # The floor: each family's query, its rows fetched; the second of two passes is timed, so
    # both sides find the tables in the cache.
    floor = {}
    with connection.cursor() as cursor:
        for _warm_up in range(2):
            started = time.perf_counter()
            for family, sql in FLOOR.items():
                cursor.execute(sql, params)
                floor[family] = {row[0]: row[1:] for row in cursor.fetchall()}
            floor_seconds = time.perf_counter() - started

    with timed() as job:
        run = health_month_compute(month=month)
    state = HealthMonth.objects.get(month=month)
    for family, metric in TIES.items():
        stored = dict(
            HealthMetricScore.objects.filter(health_score__month=month, metric=metric).values_list(
                "health_score__dealer_id", "sample"
            )
        )
        expected = {dealer: floor[family].get(dealer, (0,))[0] for dealer in stored}
        assert stored == expected, f"{metric} samples do not tie to the {family} floor"

    with timed() as rerun:
        again = health_month_compute(month=month)

    print_table(
        [
            (family, f"{len(rows):,}", f"{sum(row[0] or 0 for row in rows.values()):,}")
            for family, rows in floor.items()
        ],
        ("floor family", "dealers", "first figure total"),
    )
    print_table(
        [
            (
                f"health month {month:%Y-%m} (final: {state.final})",
                f"{run.rows:,}",
                f"{job['seconds']:.2f}",
                f"{floor_seconds:.2f}",
            ),
            ("re-run of the final month", f"{again.rows:,}", f"{rerun['seconds']:.2f}", "–"),
        ],
        ("step", "dealers", "seconds", "floor seconds"),
    )
    print(result_line("health_month", job["seconds"], floor_seconds, dealers=run.rows))
    print(result_line("health_rerun_final_month", rerun["seconds"], dealers=again.rows))


if __name__ == "__main__":
    main()
