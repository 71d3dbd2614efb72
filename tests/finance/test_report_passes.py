"""The risk and penetration reports of a network read its summaries, each once, whatever number
of tables they show, and no raw table: at national scale a read of the loans is seconds
(bench/reports.py). Without the nightly exposure snapshot, the risk view reads the loans once."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from finance.services.summaries import exposure_refresh
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
@pytest.mark.parametrize("snapshot", [True, False])
def test_the_risk_page_and_its_export_read_the_summaries_once(network, ledger, client_for, export, snapshot):  # noqa: F811
    if snapshot:
        exposure_refresh(days=[dt.date(2025, 6, 30)])  # the range's last day, its as-of day
    client = client_for(network.finance_user)
    params = {**RANGE, **({"export": export, "table": "credit_grade"} if export else {})}

    with CaptureQueriesContext(connection) as queries:
        response = client.get("/commissions/reports/risk/", params)
        if export:
            b"".join(response.streaming_content)  # the export runs its queries as it streams

    assert response.status_code == 200
    # The network's own summary, and the region-level outcomes only for closings after the as-of month.
    summaries = ("finance_risksummary", "finance_loanoutcomesummary", "finance_clawbacksummary")
    assert [reads_of(queries, table) for table in summaries] == [1, 1, 0]
    assert reads_of(queries, "finance_exposurefigure") == (1 if snapshot else 0)
    assert reads_of(queries, "finance_loan") == (0 if snapshot else 1)
    assert reads_of(queries, "finance_commissionentry") == 0


def test_the_penetration_page_reads_the_region_months_and_a_page_of_dealers_and_no_raw_table(
    network,
    ledger,  # noqa: F811
    client_for,
):
    client = client_for(network.finance_user)

    with CaptureQueriesContext(connection) as queries:
        response = client.get("/commissions/reports/penetration/", RANGE)

    assert response.status_code == 200
    # The regions and the totals from the per-region months; the dealers' months only for the
    # page's dealers (and to find which dealers are busy).
    assert reads_of(queries, "finance_regionmonthsummary") == 2
    figures = [
        query["sql"] for query in queries.captured_queries if 'FROM "finance_dealermonthsummary" WHERE' in query["sql"]
    ]
    assert len(figures) == 1 and '"dealer_id" IN (' in figures[0]
    tables = ("inventory_sale", "finance_loan", "finance_commissionentry")
    assert [reads_of(queries, table) for table in tables] == [0, 0, 0]
