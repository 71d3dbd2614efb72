"""Data quality for one month on the dataset DATABASE_URL holds.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench python bench/generate.py --scale S
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench python bench/quality.py

Times ``data_quality_compute`` for the last complete month of the data: every dealer's five
dimensions from the rule families of ``datahub.quality.rules`` (one statement each, network
wide), the scores, issues and alerts upserted, in one transaction. The floor: the same rule
statements run by hand on a cursor (the temporary tables filled, nothing else), in the same
run, second of two passes so both sides find the tables cached. The data quality tables are
emptied first (TRUNCATE fires no row trigger).

The generated network is loaded without triggers, so the records have no audit trail: the
first run writes their insert events (dated when each record was entered) and tampers with a
few records of the month through the triggers, after its reporting cut-off, so the integrity
rules have something to find: 1 % of its sales and loans edited, 0.1 % of its loans deleted
and entered again under their reference, its loans disbursed and its unsold units arrived on
its last day moved to the next day.
"""

import argparse
import time

from common import last_sale_and_complete_month, print_table, result_line, setup_django, timed

TAMPER = [
    "UPDATE inventory_sale SET salesperson = salesperson || '*' WHERE sold_on BETWEEN %(first)s AND %(last)s "
    "AND id %% 100 = 0",
    "UPDATE finance_loan SET credit_grade = CASE credit_grade WHEN 'A' THEN 'B' ELSE 'A' END "
    "WHERE disbursed_on BETWEEN %(first)s AND %(last)s AND id %% 100 = 1",
    "UPDATE finance_loan SET disbursed_on = disbursed_on + 1 WHERE disbursed_on = %(last)s AND closed_on IS NULL",
    "UPDATE inventory_stockunit SET arrived_on = arrived_on + 1 WHERE arrived_on = %(last)s AND status = 'in_stock'",
    # Deleted and entered again under the same reference (a new id), loans without ledger entries.
    """CREATE TEMP TABLE bench_gone ON COMMIT DROP AS SELECT * FROM finance_loan l
       WHERE l.disbursed_on BETWEEN %(first)s AND %(last)s AND l.id %% 1000 = 2
         AND NOT EXISTS (SELECT 1 FROM finance_commissionentry e WHERE e.loan_id = l.id)""",
    "DELETE FROM finance_loan WHERE id IN (SELECT id FROM bench_gone)",
    "UPDATE bench_gone SET id = nextval(pg_get_serial_sequence('finance_loan', 'id'))",
    "INSERT INTO finance_loan SELECT * FROM bench_gone",
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.parse_args()
    setup_django()

    from dateutil.relativedelta import relativedelta
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection, transaction
    from django.db.models import Count

    from channels.health.services import HealthPeriod
    from channels.models import Dealer
    from datahub.models import DataIssue, DataQualityScore
    from datahub.quality import rules
    from datahub.quality.services import data_quality_compute
    from dealerops.synthetic.quality import record_entries

    call_command("migrate", interactive=False, verbosity=0)
    last_sale, month = last_sale_and_complete_month()
    period = HealthPeriod.of(month, on=last_sale)
    params = {
        **period.params(),
        "month": month,
        "previous_month": month - relativedelta(months=1),
        "backdate_days": settings.DATA_QUALITY_BACKDATE_DAYS,
        "lag_limit_hours": settings.DATA_QUALITY_LAG_LIMIT_HOURS,
        "loan_grace_days": settings.DATA_QUALITY_LOAN_GRACE_DAYS,
    }

    with connection.cursor() as cursor:
        cursor.execute("SELECT EXISTS (SELECT 1 FROM finance_loanevent)")
        fresh = not cursor.fetchone()[0]
    if fresh:
        with timed() as entries, transaction.atomic(), connection.cursor() as cursor:
            record_entries()
            for statement in TAMPER:
                cursor.execute(statement, params)
        print(f"Audit trail written and the month tampered with in {entries['seconds']:.1f} s")
        with connection.cursor() as cursor:
            for table in (
                "inventory_saleevent",
                "finance_loanevent",
                "inventory_stockunitevent",
                "customers_customerevent",
            ):
                cursor.execute(f"ANALYZE {table}")
    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE datahub_dataissue, datahub_dataqualityalert, datahub_dataqualityscore")
    print(f"Dealers: {Dealer.objects.count():,}; month {month:%Y-%m}")

    # The floor: the rule statements by hand, in a transaction rolled back (the temporary
    # tables go with it); the second of two passes is timed.
    for _warm_up in range(2):
        with transaction.atomic(), connection.cursor() as cursor:
            started = time.perf_counter()
            cursor.execute(rules.RESULT_TABLE)
            for family in rules.FAMILIES:
                cursor.execute(family, params)
            cursor.execute("SELECT dimension, count(*), sum(failed) FROM dq_result GROUP BY dimension ORDER BY 1")
            floor_rows = cursor.fetchall()
            floor_seconds = time.perf_counter() - started
            transaction.set_rollback(True)

    with timed() as job:
        run = data_quality_compute(month=month)
    with timed() as rerun:
        again = data_quality_compute(month=month)

    integrity = DataIssue.objects.filter(month=month, dimension="integrity")
    print_table(
        [(rule, f"{n:,}") for rule, n in integrity.values_list("rule").annotate(n=Count("id")).order_by("rule")],
        ("integrity rule", "issues"),
    )
    print_table([(d, f"{n:,}", f"{failed:,}") for d, n, failed in floor_rows], ("dimension", "result rows", "failed"))
    scores = DataQualityScore.objects.filter(month=month)
    print_table(
        [
            (f"data quality {month:%Y-%m}", f"{run.rows:,}", f"{job['seconds']:.2f}", f"{floor_seconds:.2f}"),
            ("re-run of the month", f"{again.rows:,}", f"{rerun['seconds']:.2f}", "–"),
        ],
        ("step", "dealers", "seconds", "floor seconds"),
    )
    issues = DataIssue.objects.filter(month=month).count()
    print(
        result_line(
            "quality_month", job["seconds"], floor_seconds, dealers=scores.count(), issues=issues,
            integrity_issues=integrity.count(),
        )
    )  # fmt: skip
    print(result_line("quality_rerun_month", rerun["seconds"], dealers=again.rows))


if __name__ == "__main__":
    main()
