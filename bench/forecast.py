"""The weekly forecast on the national-scale dataset: every dealer × model series with enough
history, classified, forecast 12 weeks, back-tested over 8 origins and upserted.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench python bench/generate.py --scale S
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench python bench/forecast.py

Times ``inventory.forecasting.services.forecast_week_run`` for the week after the last sale,
with every region's chunk run in this process one after the other (Celery forced eager: one
worker's view; with N workers the chunks spread over them). Before it, the history aggregate
alone (the chunks' one SQL query, for every region) is timed, to show how much of the run is
reading and how much is fitting and writing. Everything happens in one transaction rolled back
at the end: the database is left as it was.

    RESULT forecast_weekly seconds=… peak_mb=… series=… rows=… skipped=… regions=…
    RESULT forecast_history_read seconds=… peak_mb=… rows=…
"""

import argparse
from datetime import timedelta

from common import last_sale_and_complete_month, print_table, result_line, setup_django, timed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.parse_args()
    setup_django()

    from django.conf import settings
    from django.db import connection, transaction

    from channels.models import Region
    from dealerops.celery import app
    from inventory.forecasting.calendar import week_start
    from inventory.forecasting.services import HISTORY_WEEKS, REGION_HISTORY, forecast_week_run

    settings.DEBUG = False  # as deployed: DEBUG keeps every statement's text
    # Every region's chunk in this process. Under the namespaced key, which the conf reads first:
    # with a broker in the environment (CI) the settings make it False.
    app.conf.CELERY_TASK_ALWAYS_EAGER = True
    last_sale, _month = last_sale_and_complete_month()
    week = week_start(last_sale + timedelta(days=7))  # the week after the last sale's: it is complete

    class RolledBack(Exception):
        pass

    lines = []
    try:
        with transaction.atomic():
            with timed() as read, connection.cursor() as cursor:
                history_rows = 0
                for region_id in Region.objects.values_list("pk", flat=True):
                    params = {"region": region_id, "since": week - timedelta(weeks=HISTORY_WEEKS), "week": week}
                    cursor.execute(REGION_HISTORY, params)
                    history_rows += len(cursor.fetchall())
            with timed() as run_timing:
                run = forecast_week_run(as_of=week)
            run.refresh_from_db()
            print(f"Forecast week {week} (history up to {week - timedelta(days=1)}), {run.regions_total} regions")
            table = [
                (Region.objects.get(pk=int(region)).code, chunk["rows"] // 12, chunk["rows"], chunk["skipped"])
                for region, chunk in sorted(run.chunks.items(), key=lambda item: int(item[0]))
            ]
            print_table(table, ("region", "series", "forecast rows", "skipped"))
            print(f"methods: {run.method_summary}")
            lines = [
                result_line(
                    "forecast_weekly",
                    run_timing["seconds"],
                    series=run.series_count,
                    rows=run.forecast_rows,
                    skipped=run.skipped_series,
                    regions=run.regions_total,
                ),
                result_line("forecast_history_read", read["seconds"], rows=history_rows),
            ]
            raise RolledBack
    except RolledBack:
        pass
    print("\n".join(lines))


if __name__ == "__main__":
    main()
