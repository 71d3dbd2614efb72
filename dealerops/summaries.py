"""Every app's trigger-kept summary tables, for the project's repair command and its loads."""

from django.db import connection, transaction
from psycopg import sql

from finance.services.summaries import summaries_rebuild
from finance.summary_sql import SUMMARY_TABLES
from inventory import summaries


def summary_tables() -> list[str]:
    return [summary.table for summary in summaries.SUMMARIES + summaries.REGION_SUMMARIES] + list(SUMMARY_TABLES)


def rebuild_all() -> None:
    """The home pages' (inventory) and the finance reports' summaries from the raw rows, in one
    transaction (the pages never read one set rebuilt and the other not), then fresh planner
    statistics: a rebuilt table's old ones describe rows that are gone."""
    with transaction.atomic():
        summaries.rebuild()
        summaries_rebuild()
    analyze_summaries()


def analyze_summaries() -> None:
    with connection.cursor() as cursor:
        for table in summary_tables():
            cursor.execute(sql.SQL("ANALYZE {}").format(sql.Identifier(table)))
