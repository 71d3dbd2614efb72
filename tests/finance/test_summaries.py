"""The summary tables the finance reports read stay equal to the raw rows, to the fen.

After each way the data changes (postings, clawbacks, adjustments, period close, loan status
changes, sales edits, imports, a dealer moving region, a generated network), every summary
kept by the triggers equals what the set-based rebuild computes from the raw rows, and the
ledger's cells equal the entries grouped by hand. The reports' figures themselves are checked
to the fen against a hand-built ledger in test_reports.py; here the risk report read from the
summaries equals the one summed from the loans and entries themselves.
"""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection, transaction
from django.db.models import Count, Q, Sum

from dealerops.synthetic.generator import generate_network
from finance.models import (
    CommissionEntry,
    CommissionPeriod,
    DealerMonthSummary,
    EntryKind,
    ExposureSnapshot,
    LedgerSummary,
    LoanOutcomeSummary,
    LoanStatus,
)
from finance.report_views import risk_sources
from finance.reports import ReportFilters, risk_report
from finance.services.ledger import Adjustment, adjustment_post, commissions_post, period_close
from finance.services.loans import loan_status_change
from finance.services.policies import PolicyTerms, policy_version_create
from finance.services.summaries import exposure_refresh, summaries_rebuild
from finance.summary_sql import SUMMARY_TABLES
from inventory.models import Payment, Sale
from tests.datahub.helpers import confirm, run_import
from tests.datahub.test_import_kinds import LOANS, immediate, loan_sales  # noqa: F401 - fixtures
from tests.dealerops.test_synthetic import TINY
from tests.factories import LenderFactory, RegionFactory, SaleFactory
from tests.finance.test_commission_posting import make_loan

D = Decimal
pytestmark = pytest.mark.django_db


def summary_rows() -> dict[str, set[tuple]]:
    """Every summary table's rows (ids aside, all-zero rows too: a net change of nothing)."""
    rows = {}
    with connection.cursor() as cursor:
        for table in SUMMARY_TABLES:
            cursor.execute(f"SELECT * FROM {table}")  # noqa: S608 - the module's table names
            names = [column.name for column in cursor.description]
            figures = [i for i, name in enumerate(names) if name not in KEYS]
            rows[table] = {
                tuple(value for i, value in enumerate(row) if names[i] != "id")
                for row in cursor.fetchall()
                if any(row[i] for i in figures)
            }
    return rows


# The key columns of the summaries (the rest are figures).
KEYS = {
    "id",
    "period_id",
    "month",
    "dealer_id",
    "region_id",
    "lender_id",
    "credit_grade",
    "term_band",
    "status",
    "closed_month",
}


def assert_summaries_tie() -> None:
    """The trigger-kept summaries equal a rebuild from the raw rows; the ledger's cells equal
    the entries grouped by period, dealer and lender."""
    kept = summary_rows()
    with transaction.atomic():
        summaries_rebuild()
        rebuilt = summary_rows()
        transaction.set_rollback(True)
    assert kept == rebuilt
    by_hand = {
        (row["period"], row["dealer"], row["lender"]): (
            row["accrued"],
            row["clawed_back"],
            row["adjusted"],
            row["received"],
            row["n"],
        )
        for row in CommissionEntry.objects.values("period", "dealer", "lender").annotate(
            n=Count("id"),
            **{
                name: Sum("amount", filter=Q(kind=kind), default=D("0.00"))
                for kind, name in (
                    (EntryKind.ACCRUAL, "accrued"),
                    (EntryKind.CLAWBACK, "clawed_back"),
                    (EntryKind.ADJUSTMENT, "adjusted"),
                    (EntryKind.RECEIPT, "received"),
                )
            },
        )
    }
    cells = {
        (cell.period_id, cell.dealer_id, cell.lender_id): (
            cell.accrued,
            cell.clawed_back,
            cell.adjusted,
            cell.received,
            cell.accruals + cell.clawbacks + cell.adjustments + cell.receipts,
        )
        for cell in LedgerSummary.objects.all()
    }
    assert cells == by_hand


@pytest.fixture
def lenders():
    icbc, ping_an = LenderFactory(code="ICBC", name="ICBC Auto"), LenderFactory(code="PAB", name="Ping An Bank")
    for lender, ratio in ((icbc, "0.01"), (ping_an, "0.008")):
        policy_version_create(
            lender=lender,
            terms=PolicyTerms(
                basis="principal_based", effective_from=dt.date(2025, 1, 1), ratio=D(ratio), clawback={180: D("1")}
            ),
        )
    return icbc, ping_an


@pytest.fixture
def loans(network, lenders):
    icbc, ping_an = lenders
    home, foreign = network.home_dealer, network.foreign_dealer
    return [
        make_loan(home, icbc, disbursed=dt.date(2025, 3, 10), credit_grade="B", term_months=36),
        make_loan(home, ping_an, disbursed=dt.date(2025, 3, 20), credit_grade="A", term_months=12),
        make_loan(home, icbc, disbursed=dt.date(2025, 4, 2), credit_grade="C", term_months=60, principal="240000.00"),
        make_loan(foreign, ping_an, disbursed=dt.date(2025, 4, 15), credit_grade="B", term_months=24),
        make_loan(
            foreign,
            icbc,
            disbursed=dt.date(2025, 5, 1),
            disbursed_on=None,
            status=LoanStatus.APPROVED,
            credit_grade="D",
        ),
    ]


def test_postings_clawbacks_adjustments_and_a_period_close_keep_the_summaries_exact(network, loans):
    assert_summaries_tie()  # the loans and sales alone
    commissions_post(as_of=dt.date(2025, 4, 30))
    assert_summaries_tie()
    loan_status_change(loan=loans[2], status=LoanStatus.PAID_OFF_EARLY, on=dt.date(2025, 5, 20))
    loan_status_change(loan=loans[1], status=LoanStatus.DEFAULTED, on=dt.date(2025, 5, 28))
    loan_status_change(loan=loans[4], status=LoanStatus.DISBURSED, on=dt.date(2025, 5, 2))
    assert_summaries_tie()
    commissions_post(as_of=dt.date(2025, 5, 31))
    adjustment_post(
        adjustment=Adjustment(
            dealer=network.home_dealer,
            lender=loans[0].lender,
            event_on=dt.date(2025, 5, 31),
            amount=D("-12.34"),
            reason="lender_correction",
            note="The lender corrected its figures",
            loan=loans[0],
        ),
        entered_by=network.finance_user,
    )
    for period in CommissionPeriod.objects.filter(month__lte=dt.date(2025, 4, 1)).order_by("month"):
        period_close(period=period, closed_by=network.finance_user)
    assert_summaries_tie()
    clawbacks = LedgerSummary.objects.aggregate(n=Sum("clawbacks"), total=Sum("clawed_back"))
    assert clawbacks["n"] == 2 and clawbacks["total"] < 0


def test_sales_written_edited_and_deleted_keep_the_sales_summary_exact(network):
    arrived = {"stock_unit__arrived_on": dt.date(2025, 5, 1), "payment": Payment.CASH}
    sale = SaleFactory(dealer=network.home_dealer, sold_on=dt.date(2025, 6, 3), **arrived)
    SaleFactory(dealer=network.foreign_dealer, sold_on=dt.date(2025, 6, 30), **arrived)
    assert_summaries_tie()
    Sale.objects.filter(pk=sale.pk).update(sold_on=dt.date(2025, 7, 1))
    assert_summaries_tie()
    Sale.objects.filter(pk=sale.pk).delete()
    assert_summaries_tie()


def test_a_dealer_moving_region_takes_its_figures_along(network, loans):
    commissions_post(as_of=dt.date(2025, 4, 30))
    loan_status_change(loan=loans[0], status=LoanStatus.DEFAULTED, on=dt.date(2025, 4, 20))
    commissions_post(as_of=dt.date(2025, 4, 30))
    network.home_dealer.region = RegionFactory()
    network.home_dealer.save()
    assert_summaries_tie()


def test_a_loan_import_keeps_the_summaries_exact(network, loan_sales):  # noqa: F811 - the fixture
    batch = confirm(network, run_import(network, "loans", LOANS), user=network.head_office)
    assert batch.status == "imported", batch.error
    assert_summaries_tie()


@pytest.mark.parametrize("by_network", [True, False])
@pytest.mark.parametrize("as_of", [dt.date(2025, 6, 30), dt.date(2025, 6, 10), dt.date(2025, 5, 19)])
def test_the_risk_report_from_the_summaries_equals_the_one_from_the_loans(network, loans, as_of, by_network):
    commissions_post(as_of=dt.date(2025, 4, 30))
    loan_status_change(loan=loans[2], status=LoanStatus.PAID_OFF_EARLY, on=dt.date(2025, 5, 20))
    loan_status_change(loan=loans[3], status=LoanStatus.DEFAULTED, on=dt.date(2025, 6, 5))
    commissions_post(as_of=dt.date(2025, 6, 30))
    exposure_refresh(days=[as_of])
    filters = ReportFilters(first_month=dt.date(2025, 1, 1), last_month=as_of.replace(day=1), as_of=as_of)
    sources = risk_sources(lambda model: model._default_manager.all(), network=by_network)

    summed = risk_report(sources=sources, filters=filters, label="Total", by_summary=True)
    raw = risk_report(sources=sources, filters=filters, label="Total", by_summary=False)

    assert summed.tables == raw.tables and summed.totals == raw.totals
    assert summed.exposure_computed_at is not None and raw.exposure_computed_at is None
    assert summed.totals.live_loans > 0 and summed.totals.exposure > 0


@pytest.mark.parametrize("bypass_triggers", [True, False])
def test_a_generated_network_has_its_summaries_and_exposure(bypass_triggers):
    report = generate_network(TINY, bypass_triggers=bypass_triggers)

    assert "finance summaries" in [step.name for step in report.steps]
    assert LoanOutcomeSummary.objects.exists() and DealerMonthSummary.objects.exists()
    assert_summaries_tie()
    assert ExposureSnapshot.objects.get().as_of == TINY.end_date


def test_the_risk_page_says_when_its_exposure_was_pictured(network, loans, client_for):
    client = client_for(network.finance_user)
    query = {"first_month": "2025-01", "last_month": "2025-06"}

    assert "computed from the loans as they are now" in client.get("/commissions/reports/risk/", query).content.decode()
    exposure_refresh(days=[dt.date(2025, 6, 30)])
    page = client.get("/commissions/reports/risk/", query).content.decode()
    assert "the picture the nightly job took at" in page
    # A dealer's own risk view sums its own loans: always current.
    dealer_page = client_for(network.dealer_user).get("/commissions/reports/risk/", query).content.decode()
    assert "computed from the loans as they are now" in dealer_page


def test_a_truncated_ledger_takes_its_summaries_along(network, loans):
    commissions_post(as_of=dt.date(2025, 4, 30))
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # TRUNCATE refuses pending deferred checks
        cursor.execute("TRUNCATE finance_commissionentry, finance_commissionperiod CASCADE")

    assert_summaries_tie()
    assert not LedgerSummary.objects.exists()
