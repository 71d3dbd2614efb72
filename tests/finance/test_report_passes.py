"""The risk and penetration reports read each big table once, whatever number of tables they
show: at national scale a read of the loans is seconds (bench/reports.py)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.finance.test_reports import RANGE, ledger  # noqa: F401 - the ledger fixture

pytestmark = pytest.mark.django_db


def reads_of(queries, table: str) -> int:
    """Full reads of ``table``: an export's bounded count (whether it runs in the background)
    stops after EXPORT_BACKGROUND_MIN_ROWS rows and is not one."""
    return sum(
        f'FROM "{table}"' in query["sql"]
        and not (query["sql"].startswith("SELECT COUNT(*)") and " LIMIT " in query["sql"])
        for query in queries.captured_queries
    )


@pytest.mark.parametrize("export", [None, "csv"])
def test_the_risk_page_and_its_export_read_the_loans_once(network, ledger, client_for, export):  # noqa: F811
    client = client_for(network.finance_user)
    params = {**RANGE, **({"export": export, "table": "credit_grade"} if export else {})}

    with CaptureQueriesContext(connection) as queries:
        response = client.get("/commissions/reports/risk/", params)
        if export:
            b"".join(response.streaming_content)  # the export runs its queries as it streams

    assert response.status_code == 200
    assert reads_of(queries, "finance_loan") == 1
    assert reads_of(queries, "finance_commissionentry") == 1


def test_the_penetration_page_reads_sales_loans_and_entries_once_each(network, ledger, client_for):  # noqa: F811
    client = client_for(network.finance_user)

    with CaptureQueriesContext(connection) as queries:
        response = client.get("/commissions/reports/penetration/", RANGE)

    assert response.status_code == 200
    tables = ("inventory_sale", "finance_loan", "finance_commissionentry")
    assert [reads_of(queries, table) for table in tables] == [1, 1, 1]
