"""The home pages' summaries equal the raw rows after every kind of write: creates, updates and
deletes through the ORM, set-based updates, COPY, the data hub's imports, a dealer moving
region, a rebuild; and they are scoped like the rows they sum. The finance home's loan figures,
read from finance.DisbursementSummary, are checked against the raw loans alongside."""

import datetime as dt
from datetime import date
from decimal import Decimal

import pytest
from django.db import connection
from django.db.models import F

from channels.models import DealerStatus
from datahub.models import ImportKind, ImportStatus
from dealerops.access import scope
from dealerops.home import CHART_MONTHS, _same_days_a_year_before, home_context
from dealerops.models import Role
from finance import selectors as loan_selectors
from finance.models import DisbursementSummary, Loan, LoanStatus
from inventory import selectors, summaries
from inventory.models import (
    Payment,
    RegionSalesMonth,
    RegionStockMonth,
    Sale,
    SalesDay,
    SalesMonth,
    StockDay,
    StockMonth,
    StockStatus,
    StockUnit,
)
from tests.datahub.helpers import confirm, run_import
from tests.factories import (
    DealerFactory,
    LoanFactory,
    SaleFactory,
    StockUnitFactory,
    VehicleModelFactory,
)

TODAY = dt.date(2026, 11, 20)


def table_rows(summary: summaries.Summary) -> set[tuple]:
    columns = ", ".join([*summary.keys, *summary.measures])
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {columns} FROM {summary.table}")  # noqa: S608 - the summaries' own names
        return set(cursor.fetchall())


def raw_rows(summary: summaries.Summary) -> set[tuple]:
    keys = ", ".join(summary.keys)
    sums = ", ".join(f"SUM({name})" for name in summary.measures)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {keys}, {sums} FROM ({summary.grouped(summary.source)}) r GROUP BY {keys}")  # noqa: S608
        return set(cursor.fetchall())


def assert_summaries_exact() -> None:
    """Every summary table holds exactly the GROUP BY of its raw rows: no row missing, none
    stale, none left at zero."""
    for summary in summaries.SUMMARIES:
        assert table_rows(summary) == raw_rows(summary), summary.table


def assert_home_figures_match_raw(user, today: date = TODAY) -> None:
    """What the home page reads from the summaries, for ``user``'s scope, against the raw rows."""
    first_month, this_month, last_month = (selectors.month_start(today, n) for n in (CHART_MONTHS - 1, 0, 1))
    sales, days = scope(user, Sale), scope(user, SalesDay)
    # Dealers read their own months; the other roles the regions'.
    regional = user.role != Role.DEALER_USER
    months = scope(user, RegionSalesMonth if regional else SalesMonth)
    assert summaries.monthly_sales(months, days, first_month=first_month, last_day=today) == selectors.monthly_sales(
        sales, first_month=first_month, last_day=today
    )
    if regional:
        monthly, by_region = summaries.monthly_sales_and_regions(months, days, first_month=first_month, last_day=today)
        assert monthly == selectors.monthly_sales(sales, first_month=first_month, last_day=today)
        assert by_region == selectors.monthly_sales_by_group(
            sales, group="dealer__region__name", first_month=first_month, last_day=today
        )
    for first, last in (
        _same_days_a_year_before(this_month, today),
        (this_month, today),
        (this_month, this_month.replace(day=28)),
    ):
        assert summaries.units_sold(months, days, first_day=first, last_day=last) == selectors.units_sold(
            sales, first_day=first, last_day=last
        )
    stock_months = scope(user, RegionStockMonth if regional else StockMonth)
    assert summaries.stock_summary(stock_months, scope(user, StockDay), today=today) == (
        selectors.stock_summary(scope(user, StockUnit), today=today)
    )
    # The finance home's loan figures, by whole months (no loan is disbursed after today).
    loans, loan_months = scope(user, Loan), scope(user, DisbursementSummary)
    assert loan_selectors.summary_disbursement_totals(loan_months, this_month, this_month) == (
        loan_selectors.disbursement_totals(loans, this_month, today)
    )
    # The raw selector leaves lenders of equal principal in no particular order.
    ours = loan_selectors.summary_volume_by_lender(loan_months, last_month, this_month)
    assert ours == sorted(ours, key=lambda row: (-row.principal, row.lender))
    assert ours == sorted(
        loan_selectors.volume_by_lender(loans, last_month, today), key=lambda row: (-row.principal, row.lender)
    )


def assert_all_exact(network) -> None:
    assert_summaries_exact()
    for user in network.users().values():
        assert_home_figures_match_raw(user)


@pytest.fixture
def activity(network):
    """Sales of both dealers over two years, stock in every state and disbursed loans."""
    for dealer in (network.home_dealer, network.foreign_dealer):
        for sold_on, payment in (
            (date(2025, 11, 3), Payment.CASH),
            (date(2025, 11, 25), Payment.LEASE),
            (date(2026, 10, 30), Payment.CASH),
            (date(2026, 11, 2), Payment.CASH),
            (date(2026, 11, 18), Payment.LEASE),
            (date(2026, 11, 25), Payment.CASH),  # after today: not in the month so far
        ):
            SaleFactory(
                dealer=dealer, sold_on=sold_on, payment=payment, stock_unit__arrived_on=sold_on - dt.timedelta(days=9)
            )
        for status, arrived_on in (
            (StockStatus.IN_STOCK, date(2026, 7, 1)),
            (StockStatus.IN_STOCK, date(2026, 8, 21)),  # 91 days before today
            (StockStatus.IN_STOCK, date(2026, 8, 22)),  # 90 days: not over 90
            (StockStatus.IN_STOCK, date(2026, 11, 1)),
            (StockStatus.IN_TRANSIT, None),
            (StockStatus.ORDERED, None),
        ):
            StockUnitFactory(dealer=dealer, status=status, ordered_on=date(2026, 6, 1), arrived_on=arrived_on)
        for disbursed_on in (date(2026, 10, 12), date(2026, 11, 5)):
            LoanFactory(
                sale=SaleFactory(
                    dealer=dealer, sold_on=disbursed_on, payment=Payment.LOAN, stock_unit__arrived_on=date(2026, 9, 1)
                ),
                disbursed_on=disbursed_on,
            )
    return network


@pytest.mark.django_db
class TestTheSummariesFollowEveryWrite:
    def test_creates(self, activity):
        assert SalesMonth.objects.exists() and StockDay.objects.exists() and DisbursementSummary.objects.exists()
        assert_all_exact(activity)

    def test_updates_of_what_they_sum(self, activity):
        sale = Sale.objects.filter(dealer=activity.home_dealer, sold_on=date(2026, 11, 2)).get()
        sale.transaction_price += Decimal("1000.01")
        sale.payment = Payment.LEASE
        sale.sold_on = date(2026, 10, 31)  # into another month
        sale.save()
        unit = StockUnit.objects.filter(dealer=activity.home_dealer, status=StockStatus.IN_TRANSIT).get()
        unit.status, unit.arrived_on = StockStatus.IN_STOCK, date(2026, 8, 1)
        unit.save()
        StockUnit.objects.filter(dealer=activity.foreign_dealer, arrived_on=date(2026, 7, 1)).update(
            status=StockStatus.TRANSFERRED
        )
        loan = Loan.objects.filter(dealer=activity.home_dealer).order_by("pk").first()
        loan.status, loan.closed_on = LoanStatus.PAID_OFF_EARLY, date(2026, 11, 15)
        loan.save()
        assert_all_exact(activity)

    def test_a_loan_disbursed_after_its_application(self, activity):
        loan = LoanFactory(
            sale=SaleFactory(
                dealer=activity.home_dealer,
                sold_on=date(2026, 11, 3),
                payment=Payment.LOAN,
                stock_unit__arrived_on=date(2026, 10, 1),
            ),
            status=LoanStatus.APPROVED,
            disbursed_on=None,
        )
        assert_all_exact(activity)
        loan.status, loan.disbursed_on = LoanStatus.DISBURSED, date(2026, 11, 6)
        loan.save()
        assert_all_exact(activity)

    def test_deletes_leave_no_row_at_zero(self, activity):
        with connection.cursor() as cursor:  # the sales' deferred checks, while their units exist
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        Loan.objects.filter(dealer=activity.foreign_dealer).delete()
        Sale.objects.filter(dealer=activity.foreign_dealer, loans__isnull=True).delete()
        StockUnit.objects.filter(dealer=activity.foreign_dealer, sale__isnull=True).delete()
        assert_all_exact(activity)
        assert not StockMonth.objects.filter(dealer=activity.foreign_dealer).exists()
        assert not SalesDay.objects.filter(dealer=activity.foreign_dealer, units=0).exists()

    def test_set_based_updates_of_many_rows(self, activity):
        Sale.objects.filter(sold_on__month=11, payment=Payment.CASH).update(
            sold_on=date(2026, 11, 19), transaction_price=Decimal("99.99")
        )
        StockUnit.objects.filter(status=StockStatus.IN_STOCK).update(arrived_on=F("arrived_on") + dt.timedelta(days=3))
        assert_all_exact(activity)

    def test_a_dealer_moving_region_takes_its_figures_along(self, activity):
        before = home_context(activity.regional_manager, TODAY)
        activity.foreign_dealer.region = activity.home_region
        activity.foreign_dealer.save()
        assert_all_exact(activity)
        assert not RegionSalesMonth.objects.filter(region=activity.foreign_region).exists()
        after = home_context(activity.regional_manager, TODAY)
        sold = [{k.label: k.value for k in page["kpis"]}["Units sold this month"] for page in (before, after)]
        assert sold == ["3", "6"]

    def test_copy_into_the_raw_table(self, activity):
        model = VehicleModelFactory()
        rows = [
            (
                f"LFV2A21K8N31000{n:02d}",
                model.pk,
                activity.home_dealer.pk,
                "in_stock",
                date(2026, 5, 1),
                date(2026, 8, n),
            )
            for n in range(1, 31)
        ]
        with connection.cursor() as cursor:
            columns = "vin, model_id, dealer_id, status, ordered_on, arrived_on, created_at, updated_at"
            with cursor.copy(f"COPY inventory_stockunit ({columns}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row((*row, dt.datetime.now(dt.UTC), dt.datetime.now(dt.UTC)))
        assert_all_exact(activity)

    def test_the_data_hubs_imports(self, network):
        VehicleModelFactory(code="HQH5-22")
        arrivals = "车架号,车型代码,到店日期\nLFV2A21K8N3000001,HQH5-22,2026/9/3\nLFV2A21K8N3000002,HQH5-22,2026/11/5\n"
        assert confirm(network, run_import(network, ImportKind.STOCK_ARRIVALS, arrivals)).status == (
            ImportStatus.IMPORTED
        )
        assert_all_exact(network)
        sales = (
            "车架号,销售日期,成交价,付款方式,销售顾问,客户电话,客户姓名,上牌城市\n"
            'LFV2A21K8N3000001,2026-11-02,"¥245,800.00",全款,王丽,13812341234,张三,杭州\n'
            "LFV2A21K8N3000002,20261110,239900,融资租赁,王丽,13812341234,张三,杭州\n"
        )
        assert confirm(network, run_import(network, ImportKind.SALES, sales)).status == ImportStatus.IMPORTED
        assert_all_exact(network)
        assert SalesMonth.objects.get(dealer=network.home_dealer).units == 2

    def test_truncating_a_raw_table_empties_its_summaries(self, activity):
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # TRUNCATE refuses pending deferred checks
            cursor.execute("TRUNCATE finance_loan CASCADE")
        assert not DisbursementSummary.objects.exists()
        assert_all_exact(activity)

    def test_rebuild_repairs_what_bypassed_the_triggers(self, activity):
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL session_replication_role = replica")
            cursor.execute("DELETE FROM inventory_salesday WHERE day < '2026-11-01'")
            cursor.execute("UPDATE inventory_stockmonth SET units = units + 5")
            cursor.execute("SET LOCAL session_replication_role = origin")
        with pytest.raises(AssertionError):
            assert_summaries_exact()
        summaries.rebuild()
        assert_all_exact(activity)


@pytest.mark.django_db
class TestTheHomePageReadsThem:
    def test_the_regional_managers_top_dealers_this_month(self, activity):
        busy = DealerFactory(region=activity.home_region, monthly_sales_target=2)
        for day in (1, 9, 15, 19, 21):  # the 21st is after today
            SaleFactory(dealer=busy, sold_on=date(2026, 11, day), stock_unit__arrived_on=date(2026, 10, 1))
        DealerFactory(region=activity.home_region, status=DealerStatus.EXITED)
        top = home_context(activity.regional_manager, TODAY)["top_dealers"]
        assert [(dealer, dealer.units) for dealer in top] == [(busy, 4), (activity.home_dealer, 3)]
        assert top[0].achievement == "200.0 %"

    def test_a_page_sums_summary_rows_not_raw_rows(self, activity, django_assert_max_num_queries):
        with django_assert_max_num_queries(12):
            context = home_context(activity.head_office, TODAY)
        assert {kpi.label: kpi.value for kpi in context["kpis"]}["Units sold this month"] == "6"


@pytest.mark.django_db
def test_they_are_scoped_like_the_rows_they_sum(activity):
    home, foreign = activity.home_dealer, activity.foreign_dealer
    for model in (SalesMonth, SalesDay, StockMonth, StockDay):
        for user in (activity.dealer_user, activity.regional_manager):
            dealers = set(scope(user, model).values_list("dealer", flat=True))
            assert dealers == {home.pk}, (model, user)
        assert set(scope(activity.head_office, model).values_list("dealer", flat=True)) == {home.pk, foreign.pk}
    assert set(scope(activity.finance_user, SalesMonth).values_list("dealer", flat=True)) == {home.pk, foreign.pk}
    assert not scope(activity.finance_user, StockMonth).exists()  # as stock units
    for model in (RegionSalesMonth, RegionStockMonth):
        assert not scope(activity.dealer_user, model).exists()  # a dealer would see its region's totals
        assert set(scope(activity.regional_manager, model).values_list("region", flat=True)) == {home.region_id}
        assert set(scope(activity.head_office, model).values_list("region", flat=True)) == {
            home.region_id,
            foreign.region_id,
        }
    # The finance home's loan summary is dealer-level: each role sees its own dealers' loans.
    for user in (activity.dealer_user, activity.regional_manager):
        assert set(scope(user, DisbursementSummary).values_list("dealer", flat=True)) == {home.pk}, user
    for user in (activity.finance_user, activity.head_office):
        assert set(scope(user, DisbursementSummary).values_list("dealer", flat=True)) == {home.pk, foreign.pk}
