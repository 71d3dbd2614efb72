"""The finance reports on a small hand-built ledger, every figure written out to the fen.

The ledger (periods 2025-01 to 2025-06, as of 2025-06-30):

home dealer HZ01 Hangzhou Xihu 4S (region East)
  loan A  ICBC    300,000.00 at 5 %, 36 months, grade B, disbursed 2025-03-10, live
          accrual 300,000 × 5 % × 1 % = 150.00 (2025-03); receipt 150.00 (2025-04)
  loan B  ICBC    240,000.00 at 5 %, 36 months, grade C, disbursed 2025-04-02, paid off early 2025-05-20
          accrual 120.00 (2025-04); 48 days on book: clawback 100 % = -120.00 (2025-05)
  loan C  Ping An 200,000.00 at 6 %, 24 months, grade A, disbursed 2025-02-15, defaulted 2025-06-01
          accrual 200,000 × 0.8 % = 1,600.00 (2025-02); 106 days: clawback 50 % = -800.00 (2025-06)
  adjustment +30.00 with Ping An (2025-05)
  one cash sale 2025-03-20
foreign dealer CD01 Chengdu Jinjiang 4S (region West)
  loan F  ICBC    300,000.00 at 5 %, 36 months, grade B, disbursed 2025-03-12, live: accrual 150.00 (2025-03)
  two cash sales (2025-04-01, 2025-05-01)
"""

import csv
import datetime as dt
import io
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from openpyxl import load_workbook

from dealerops.validation import today
from finance import report_views
from finance.models import AdjustmentReason, CommissionEntry, CommissionPeriod, EntryKind, LoanStatus
from finance.reports import amortised_balance
from finance.services.ledger import Adjustment, adjustment_post, commissions_post
from finance.services.policies import PolicyTerms, policy_version_create
from inventory.models import Payment
from inventory.selectors import month_start
from tests.factories import DealerFactory, LenderFactory, SaleFactory
from tests.finance.test_commission_posting import make_loan

D = Decimal
pytestmark = pytest.mark.django_db
RANGE = {"first_month": "2025-01", "last_month": "2025-06"}
FOREIGN = "Chengdu Jinjiang 4S"
# Loan A's principal outstanding on 2025-06-30, three instalments after disbursement (see
# test_the_exposure_is_the_amortised_balance_worked_out_by_hand).
BALANCE_A = D("276679.29")


@pytest.fixture
def ledger(network):
    icbc = LenderFactory(code="ICBC", name="ICBC Auto")
    ping_an = LenderFactory(code="PAB", name="Ping An Bank")
    policy_version_create(
        lender=icbc,
        terms=PolicyTerms(
            basis="rate_based", effective_from=dt.date(2025, 1, 1), ratio=D("0.01"), clawback={90: D("1")}
        ),
    )
    policy_version_create(
        lender=ping_an,
        terms=PolicyTerms(
            basis="principal_based", effective_from=dt.date(2025, 1, 1), ratio=D("0.008"), clawback={180: D("0.5")}
        ),
    )
    home, foreign = network.home_dealer, network.foreign_dealer
    loans = {
        "A": make_loan(home, icbc, disbursed=dt.date(2025, 3, 10), reference="LNHOMEA"),
        "B": make_loan(
            home,
            icbc,
            principal="240000.00",
            disbursed=dt.date(2025, 4, 2),
            credit_grade="C",
            status=LoanStatus.PAID_OFF_EARLY,
            closed_on=dt.date(2025, 5, 20),
            reference="LNHOMEB",
        ),
        "C": make_loan(
            home,
            ping_an,
            principal="200000.00",
            rate="0.060000",
            term_months=24,
            disbursed=dt.date(2025, 2, 15),
            credit_grade="A",
            status=LoanStatus.DEFAULTED,
            closed_on=dt.date(2025, 6, 1),
            reference="LNHOMEC",
        ),
        "F": make_loan(foreign, icbc, disbursed=dt.date(2025, 3, 12), reference="LNABROAD01"),
    }
    cash_sale(home, dt.date(2025, 3, 20))
    for day in (dt.date(2025, 4, 1), dt.date(2025, 5, 1)):
        cash_sale(foreign, day)
    commissions_post(as_of=dt.date(2025, 6, 30))
    CommissionEntry.objects.create(
        kind=EntryKind.RECEIPT,
        period=CommissionPeriod.objects.get(month=dt.date(2025, 4, 1)),
        event_on=dt.date(2025, 4, 25),
        loan=loans["A"],
        dealer=home,
        lender=icbc,
        amount=D("150.00"),
        statement_reference="ICBC-2025-04",
    )
    adjustment_post(
        adjustment=Adjustment(
            amount=D("30.00"),
            reason=AdjustmentReason.LENDER_CORRECTION,
            note="Ping An paid a volume bonus",
            event_on=dt.date(2025, 5, 15),
            dealer=home,
            lender=ping_an,
        ),
        entered_by=network.finance_user,
    )
    return loans


def cash_sale(dealer, day: dt.date):
    return SaleFactory(
        dealer=dealer, sold_on=day, payment=Payment.CASH, stock_unit__arrived_on=day - dt.timedelta(days=20)
    )


def get(client, path: str, **params):
    return client.get(f"/commissions/reports/{path}/", {**RANGE, **params})


def csv_rows(response) -> list[list[str]]:
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(body)))


def xlsx_rows(response) -> list[tuple]:
    body = b"".join(response.streaming_content)
    sheet = load_workbook(io.BytesIO(body)).active
    return list(sheet.iter_rows(values_only=True))


def test_the_ledger_posted_the_amounts_the_reports_are_checked_against(ledger):
    assert sorted(CommissionEntry.objects.values_list("amount", flat=True)) == [
        D("-800.00"),
        D("-120.00"),
        D("30.00"),
        D("120.00"),
        D("150.00"),
        D("150.00"),
        D("150.00"),
        D("1600.00"),
    ]


class TestLedgerReport:
    def test_finance_sees_one_row_per_period_dealer_and_lender_with_totals_that_tie(self, network, ledger, client_for):
        response = get(client_for(network.finance_user), "ledger")

        context = response.context
        rows = [
            (f"{row.month:%Y-%m}", row.dealer_code, row.lender, row.totals.net, row.totals.received)
            for row, _link in context["rows"]
        ]
        assert rows == [
            ("2025-06", "HZ01", "Ping An Bank", D("-800.00"), D("0.00")),
            ("2025-05", "HZ01", "ICBC Auto", D("-120.00"), D("0.00")),
            ("2025-05", "HZ01", "Ping An Bank", D("30.00"), D("0.00")),
            ("2025-04", "HZ01", "ICBC Auto", D("120.00"), D("150.00")),
            ("2025-03", "CD01", "ICBC Auto", D("150.00"), D("0.00")),
            ("2025-03", "HZ01", "ICBC Auto", D("150.00"), D("0.00")),
            ("2025-02", "HZ01", "Ping An Bank", D("1600.00"), D("0.00")),
        ]
        totals = context["totals"]
        assert (totals.accrued, totals.clawed_back, totals.adjusted) == (D("2020.00"), D("-920.00"), D("30.00"))
        assert (totals.net, totals.received, totals.outstanding) == (D("1130.00"), D("150.00"), D("980.00"))
        assert sum(row.totals.net for row, _link in context["rows"]) == totals.net
        page = response.content.decode()
        assert "¥1,130.00" in page and "¥980.00" in page

    @pytest.mark.parametrize("kind", ["", "accrual"])
    def test_pages_of_two_rows_seek_their_months_and_give_the_whole_list_in_order(
        self, network, ledger, client_for, monkeypatch, kind
    ):
        client = client_for(network.finance_user)

        def shown(response):
            return [(f"{row.month:%Y-%m}", row.dealer_code, row.lender) for row, _link in response.context["rows"]]

        whole = shown(get(client, "ledger", kind=kind))
        assert len(whole) == {"": 7, "accrual": 4}[kind]  # over five months, two to three rows a month
        monkeypatch.setattr("finance.report_views.ROWS_PER_PAGE", 2)  # pages that start within a month
        pages = [shown(get(client, "ledger", kind=kind, page=number)) for number in range(1, (len(whole) + 3) // 2)]
        assert [row for page in pages for row in page] == whole

    def test_a_row_drills_down_to_its_entries_and_an_entry_to_its_loan(self, network, ledger, client_for):
        client = client_for(network.finance_user)
        context = get(client, "ledger").context
        link = next(link for row, link in context["rows"] if row.month == dt.date(2025, 4, 1))

        entries = client.get(link)

        assert entries.status_code == 200
        page = entries.content.decode()
        assert "¥120.00" in page and "¥150.00" in page  # the accrual of B and the receipt
        assert [str(entry.amount) for entry in entries.context["object_list"]] == ["150.00", "120.00"]
        assert f'href="/loans/{ledger["A"].pk}/"' in page  # the receipt's loan

    def test_the_totals_link_lists_every_entry_of_the_range(self, network, ledger, client_for):
        client = client_for(network.finance_user)
        link = get(client, "ledger", kind="clawback").context["entries_link"]

        listed = client.get(link).context["object_list"]

        assert sorted(str(entry.amount) for entry in listed) == ["-120.00", "-800.00"]

    def test_filters_narrow_the_rows_and_the_totals_alike(self, network, ledger, client_for):
        lender = ledger["C"].lender
        context = get(client_for(network.finance_user), "ledger", lender=lender.pk).context

        assert context["totals"].net == D("830.00")  # 1,600.00 - 800.00 + 30.00
        assert [row.totals.net for row, _link in context["rows"]] == [D("-800.00"), D("30.00"), D("1600.00")]

    def test_a_month_range_backwards_is_refused_with_a_message_and_the_defaults_shown(
        self, network, ledger, client_for
    ):
        response = get(client_for(network.finance_user), "ledger", first_month="2025-06", last_month="2025-01")

        assert response.status_code == 200
        assert "The last month cannot come before the first." in response.content.decode()
        filters = response.context["filters"]
        this_month = today().replace(day=1)
        assert (filters.first_month, filters.last_month) == (month_start(this_month, 11), this_month)

    def test_it_exports_csv_and_xlsx_with_the_totals_row_and_numbers_as_numbers(self, network, ledger, client_for):
        client = client_for(network.finance_user)

        rows = csv_rows(get(client, "ledger", export="csv"))
        sheet = xlsx_rows(get(client, "ledger", export="xlsx"))

        assert rows[0][:5] == ["Period", "Dealer code", "Dealer", "Lender", "Entries"]
        assert rows[1] == ["2025-06", "HZ01", "Hangzhou Xihu 4S", "Ping An Bank", "1", "0.00", "-800.00", "0.00",
                           "-800.00", "0.00", "-800.00"]  # fmt: skip
        assert rows[-1] == ["Total", "", "", "", "8", "2020.00", "-920.00", "30.00", "1130.00", "150.00", "980.00"]
        assert sheet[-1] == ("Total", None, None, None, 8, 2020, -920, 30, 1130, 150, 980)
        assert isinstance(sheet[1][6], float | int) and sheet[1][6] == -800
        assert len(sheet) == len(rows) == 9


class TestPayablesReport:
    def test_each_lender_owes_its_net_commission_less_what_it_paid(self, network, ledger, client_for):
        context = get(client_for(network.finance_user), "payables").context

        rows = {row.lender: row.totals for row, _link in context["rows"]}
        icbc, ping_an = rows["ICBC Auto"], rows["Ping An Bank"]
        assert (icbc.accrued, icbc.clawed_back, icbc.adjusted, icbc.net) == (D("420.00"), D("-120.00"), 0, D("300.00"))
        assert (icbc.received, icbc.outstanding) == (D("150.00"), D("150.00"))
        assert (ping_an.accrued, ping_an.clawed_back, ping_an.adjusted) == (D("1600.00"), D("-800.00"), D("30.00"))
        assert (ping_an.net, ping_an.received, ping_an.outstanding) == (D("830.00"), D("0.00"), D("830.00"))
        totals = context["totals"]
        assert (totals.net, totals.received, totals.outstanding) == (D("1130.00"), D("150.00"), D("980.00"))
        assert sum(totals.outstanding for totals in rows.values()) == totals.outstanding

    def test_a_dealer_sees_only_what_is_owed_on_its_own_loans(self, network, ledger, client_for):
        response = get(client_for(network.dealer_user), "payables")

        rows = {row.lender: row.totals for row, _link in response.context["rows"]}
        assert (rows["ICBC Auto"].net, rows["ICBC Auto"].outstanding) == (D("150.00"), D("0.00"))
        assert response.context["totals"].outstanding == D("830.00")
        assert FOREIGN not in response.content.decode()

    def test_the_xlsx_export_ends_with_the_totals_row(self, network, ledger, client_for):
        sheet = xlsx_rows(get(client_for(network.finance_user), "payables", export="xlsx"))

        assert sheet[0] == ("Lender", "Entries", "Accrued", "Clawed back", "Adjusted", "Net commission", "Received",
                            "Outstanding")  # fmt: skip
        assert sheet[1:] == [
            ("ICBC Auto", 5, 420, -120, 0, 300, 150, 150),
            ("Ping An Bank", 3, 1600, -800, 30, 830, 0, 830),
            ("Total", 8, 2020, -920, 30, 1130, 150, 980),
        ]


class TestPenetrationReport:
    def test_loan_sales_over_all_sales_and_commission_per_loan_by_dealer_and_region(self, network, ledger, client_for):
        context = get(client_for(network.finance_user), "penetration").context

        dealers = {row.code: row for row in context["rows"]}
        home, foreign = dealers["HZ01"], dealers["CD01"]
        assert (home.sales, home.loan_sales, home.penetration) == (4, 3, D("0.7500"))
        assert (home.loans, home.net_commission, home.commission_per_loan) == (3, D("980.00"), D("326.67"))
        assert (foreign.sales, foreign.loan_sales, foreign.penetration) == (3, 1, D("0.3333"))
        assert (foreign.loans, foreign.net_commission, foreign.commission_per_loan) == (1, D("150.00"), D("150.00"))
        regions = {row.name: row for row in context["regions"]}
        assert (regions["East"].sales, regions["East"].penetration) == (4, D("0.7500"))
        assert (regions["West"].sales, regions["West"].penetration) == (3, D("0.3333"))
        totals = context["totals"]
        assert (totals.sales, totals.loan_sales, totals.penetration) == (7, 4, D("0.5714"))
        assert (totals.loans, totals.net_commission, totals.commission_per_loan) == (4, D("1130.00"), D("282.50"))

    def test_a_cash_sale_counts_in_the_sales_but_not_in_the_loan_sales(self, network, ledger, client_for):
        cash_sale(network.home_dealer, dt.date(2025, 6, 3))

        home = get(client_for(network.dealer_user), "penetration").context["totals"]

        assert (home.sales, home.loan_sales, home.penetration) == (5, 3, D("0.6000"))

    def test_the_dealers_come_a_page_at_a_time_by_code_and_the_export_holds_them_all(
        self, network, ledger, client_for, monkeypatch
    ):
        monkeypatch.setattr(report_views, "DEALERS_PER_PAGE", 1)
        client = client_for(network.finance_user)

        first = get(client, "penetration")
        second = client.get("/commissions/reports/penetration/" + first.context["listing"].links["next"])
        exported = csv_rows(get(client, "penetration", export="csv"))

        assert [row.code for row in first.context["rows"]] == ["CD01"]
        assert [row.code for row in second.context["rows"]] == ["HZ01"]
        assert "next" not in second.context["listing"].links
        assert first.context["totals"] == second.context["totals"]
        assert second.context["totals"].sales == 7
        assert [row[0] for row in exported[1:]] == ["HZ01", "CD01", "Total"]  # most sales first

    def test_the_region_export_in_csv(self, network, ledger, client_for):
        rows = csv_rows(get(client_for(network.finance_user), "penetration", export="csv", table="region"))

        assert rows[0] == ["Code", "Region", "Sales", "Loan sales", "Penetration", "Loans disbursed",
                           "Net commission", "Commission per loan"]  # fmt: skip
        # Rates as the page shows them, not the stored fraction (0.7500).
        assert rows[1:] == [
            ["EAST", "East", "4", "3", "75.00 %", "3", "980.00", "326.67"],
            ["WEST", "West", "3", "1", "33.33 %", "1", "150.00", "150.00"],
            ["Total", "", "7", "4", "57.14 %", "4", "1130.00", "282.50"],
        ]


class TestRiskReport:
    def test_the_exposure_is_the_amortised_balance_worked_out_by_hand(self, ledger):
        # Loan A: 300,000.00 at 5 % over 36 months; r = 5 % / 12, instalment
        # P·r / (1 − (1 + r)^−36) = 8,991.2691. 2025-03-10 to 2025-06-30 is 3 whole months:
        #   month 1: interest 1,250.0000, principal 7,741.2691 -> 292,258.7309
        #   month 2: interest 1,217.7447, principal 7,773.5244 -> 284,485.2064 (284,485.21)
        #   month 3: interest 1,185.3550, principal 7,805.9141 -> 276,679.2923 (276,679.29)
        loan = ledger["A"]
        balance = (
            type(loan)
            .objects.filter(pk=loan.pk)
            .annotate(
                on_day_before=amortised_balance(dt.date(2025, 6, 9)),
                on_the_day=amortised_balance(dt.date(2025, 6, 10)),
                at_disbursement=amortised_balance(dt.date(2025, 3, 10)),
                after_the_term=amortised_balance(dt.date(2028, 5, 1)),
            )
            .values("on_day_before", "on_the_day", "at_disbursement", "after_the_term")
            .get()
        )

        assert balance["on_day_before"] == D("284485.21")  # the third instalment falls due on 06-10
        assert balance["on_the_day"] == BALANCE_A
        assert balance["at_disbursement"] == D("300000.00")
        assert balance["after_the_term"] == D("0.00")

    def test_rates_clawbacks_and_exposure_by_lender_grade_and_term_band(self, network, ledger, client_for):
        response = get(client_for(network.finance_user), "risk")
        context = response.context

        tables = {dimension: {row.label: row for row in rows} for _title, dimension, rows in context["tables"]}
        icbc, ping_an = tables["lender"]["ICBC Auto"], tables["lender"]["Ping An Bank"]
        assert (icbc.loans, icbc.defaulted, icbc.paid_off_early) == (3, 0, 1)
        assert (icbc.default_rate, icbc.early_payoff_rate) == (D("0.0000"), D("0.3333"))
        assert (icbc.clawed_back, icbc.live_loans, icbc.exposure) == (D("-120.00"), 2, 2 * BALANCE_A)
        assert (ping_an.loans, ping_an.default_rate, ping_an.clawed_back) == (1, D("1.0000"), D("-800.00"))
        assert (ping_an.live_loans, ping_an.exposure) == (0, D("0.00"))
        grades = tables["credit_grade"]
        assert list(grades) == ["A", "B", "C"]
        assert (grades["A"].default_rate, grades["A"].clawed_back) == (D("1.0000"), D("-800.00"))
        assert (grades["B"].loans, grades["B"].exposure) == (2, 2 * BALANCE_A)
        assert (grades["C"].early_payoff_rate, grades["C"].clawed_back) == (D("1.0000"), D("-120.00"))
        bands = tables["term_band"]
        assert list(bands) == ["13–24 months", "25–36 months"]
        assert (bands["13–24 months"].loans, bands["25–36 months"].loans) == (1, 3)
        totals = context["totals"]
        assert (totals.loans, totals.defaulted, totals.paid_off_early) == (4, 1, 1)
        assert (totals.default_rate, totals.early_payoff_rate) == (D("0.2500"), D("0.2500"))
        assert (totals.clawed_back, totals.live_loans, totals.exposure) == (D("-920.00"), 2, D("553358.58"))
        for rows in tables.values():
            assert sum(row.exposure for row in rows.values()) == totals.exposure
            assert sum(row.clawed_back for row in rows.values()) == totals.clawed_back
        assert "computed in the database" in response.content.decode()

    def test_a_dealer_sees_the_risk_of_its_own_loans_only(self, network, ledger, client_for):
        response = get(client_for(network.dealer_user), "risk")

        totals = response.context["totals"]
        assert (totals.loans, totals.default_rate, totals.early_payoff_rate) == (3, D("0.3333"), D("0.3333"))
        assert (totals.clawed_back, totals.live_loans, totals.exposure) == (D("-920.00"), 1, BALANCE_A)

    def test_the_risk_export_by_term_band(self, network, ledger, client_for):
        sheet = xlsx_rows(get(client_for(network.finance_user), "risk", export="xlsx", table="term_band"))

        assert sheet[0][0] == "By term band"
        # Rates are the fractions, shown by the cells' percent format (checked below).
        assert sheet[1] == ("13–24 months", 1, 1, 1, 0, 0, -800, 0, 0)
        assert sheet[2] == ("25–36 months", 3, 0, 0, 1, 0.3333, -120, 2, float(2 * BALANCE_A))
        assert sheet[-1] == ("Total", 4, 1, 0.25, 1, 0.25, -920, 2, 553358.58)

    def test_the_risk_export_writes_its_rates_with_a_percent_number_format(self, network, ledger, client_for):
        response = get(client_for(network.finance_user), "risk", export="xlsx", table="term_band")

        sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
        default_rate, early_payoff_rate, clawed_back = sheet["D3"], sheet["F3"], sheet["G3"]
        assert (default_rate.value, default_rate.number_format) == (0, "0.00%")
        assert (early_payoff_rate.value, early_payoff_rate.number_format) == (0.3333, "0.00%")
        assert clawed_back.number_format != "0.00%"


REPORTS = ["ledger", "payables", "penetration", "risk"]


class TestScoping:
    @pytest.mark.parametrize("report", REPORTS)
    @pytest.mark.parametrize("role", ["dealer_user", "regional_manager"])
    def test_no_page_or_export_names_a_dealer_outside_the_scope(self, network, ledger, client_for, report, role):
        client = client_for(getattr(network, role))

        page = get(client, report)
        exported = csv_rows(get(client, report, export="csv"))
        workbook = xlsx_rows(get(client, report, export="xlsx"))

        assert page.status_code == 200
        text = page.content.decode() + repr(exported) + repr(workbook)
        assert "HZ01" in text or report in ("payables", "risk")
        for marker in (FOREIGN, "CD01", "LNABROAD01", "West"):
            assert marker not in text

    @pytest.mark.parametrize("report", REPORTS)
    def test_a_foreign_dealer_or_region_in_the_filters_is_refused_not_shown(self, network, ledger, client_for, report):
        client = client_for(network.regional_manager)

        response = get(client, report, dealer=network.foreign_dealer.pk, region=network.foreign_region.pk)

        assert response.status_code == 200
        assert "Select a valid choice" in response.content.decode()
        assert FOREIGN not in response.content.decode()

    def test_the_regional_manager_sees_the_region_total_and_finance_the_network(self, network, ledger, client_for):
        manager = get(client_for(network.regional_manager), "ledger").context["totals"]
        head_office = get(client_for(network.head_office), "ledger").context["totals"]

        assert (manager.net, manager.outstanding) == (D("980.00"), D("830.00"))
        assert (head_office.net, head_office.outstanding) == (D("1130.00"), D("980.00"))


def test_the_xlsx_export_neutralises_a_formula_like_dealer_name(network, ledger, client_for):
    dealer = DealerFactory(code="HZ02", name='=HYPERLINK("http://evil.example","Hi")', region=network.home_region)
    make_loan(dealer, ledger["A"].lender, disbursed=dt.date(2025, 5, 5))
    commissions_post(as_of=dt.date(2025, 6, 30))

    sheet = xlsx_rows(get(client_for(network.finance_user), "ledger", export="xlsx"))
    penetration = xlsx_rows(get(client_for(network.finance_user), "penetration", export="xlsx"))

    row = next(row for row in sheet if row[1] == "HZ02")
    assert row[2] == '\'=HYPERLINK("http://evil.example","Hi")'
    assert row[5] == 150 and isinstance(row[5], int | float)  # 300,000 × 5 % × 1 %, a number
    assert any(cell == '\'=HYPERLINK("http://evil.example","Hi")' for line in penetration for cell in line)


def test_headers_come_out_in_chinese_when_the_ui_is_chinese(network, ledger, client_for):
    client = client_for(network.finance_user)
    client.cookies["django_language"] = "zh-hans"

    headers = xlsx_rows(get(client, "payables", export="xlsx"))[0]

    assert headers[0] != "Lender" and all(header for header in headers)


@pytest.mark.parametrize("report", REPORTS)
def test_the_number_of_queries_does_not_grow_with_the_ledger(network, ledger, client_for, report):
    client = client_for(network.finance_user)
    with CaptureQueriesContext(connection) as before:
        get(client, report)
    for index in range(3):
        dealer = DealerFactory(region=network.foreign_region)
        make_loan(dealer, ledger["F"].lender, disbursed=dt.date(2025, 4, 10 + index))
        cash_sale(dealer, dt.date(2025, 5, 2))
    commissions_post(as_of=dt.date(2025, 6, 30))

    with CaptureQueriesContext(connection) as after:
        get(client, report)

    assert len(after) == len(before) <= 16, "\n".join(q["sql"][:150] for q in after.captured_queries)


class TestApi:
    def api(self, user):
        from rest_framework.test import APIClient

        client = APIClient()
        client.force_authenticate(user)
        return client

    def test_payables_answer_the_pages_figures(self, network, ledger):
        body = self.api(network.finance_user).get("/api/v1/commission-reports/payables/", RANGE).json()

        assert body["first_month"] == "2025-01-01" and body["last_month"] == "2025-06-01"
        assert body["total"]["net"] == "1130.00" and body["total"]["outstanding"] == "980.00"
        assert [(row["lender_name"], row["figures"]["outstanding"]) for row in body["results"]] == [
            ("ICBC Auto", "150.00"),
            ("Ping An Bank", "830.00"),
        ]

    def test_the_ledger_rows_are_paged_with_the_totals_of_all(self, network, ledger):
        body = (
            self.api(network.finance_user)
            .get("/api/v1/commission-reports/ledger/", {**RANGE, "kind": "accrual"})
            .json()
        )

        assert (body["count"], body["page"], body["pages"]) == (4, 1, 1)
        assert body["total"]["accrued"] == "2020.00"
        assert body["results"][0] == {
            "month": "2025-04-01",
            "period": CommissionPeriod.objects.get(month=dt.date(2025, 4, 1)).pk,
            "dealer": network.home_dealer.pk,
            "dealer_code": "HZ01",
            "dealer_name": "Hangzhou Xihu 4S",
            "lender": ledger["B"].lender_id,
            "lender_name": "ICBC Auto",
            "figures": {"entries": 1, "accrued": "120.00", "clawed_back": "0.00", "adjusted": "0.00",
                        "net": "120.00", "received": "0.00", "outstanding": "120.00"},
        }  # fmt: skip

    def test_a_dealer_gets_its_own_penetration_and_risk_only(self, network, ledger):
        client = self.api(network.dealer_user)

        penetration = client.get("/api/v1/commission-reports/penetration/", RANGE).json()
        risk = client.get("/api/v1/commission-reports/risk/", RANGE).json()

        assert [row["code"] for row in penetration["dealers"]] == ["HZ01"]
        assert penetration["regions"] == []  # its region's row would only repeat its own figures
        assert penetration["total"]["penetration"] == "0.7500"
        assert (risk["as_of"], risk["total"]["exposure"], risk["total"]["loans"]) == ("2025-06-30", "276679.29", 3)
        assert [row["label"] for row in risk["by_credit_grade"]] == ["A", "B", "C"]
        assert FOREIGN not in repr(penetration) + repr(risk)

    def test_a_foreign_dealer_or_a_bad_month_answers_400_naming_the_field(self, network, ledger):
        client = self.api(network.regional_manager)

        foreign = client.get("/api/v1/commission-reports/risk/", {"dealer": network.foreign_dealer.pk})
        backwards = client.get(
            "/api/v1/commission-reports/payables/", {"first_month": "2025-06", "last_month": "2025-01"}
        )
        garbled = client.get("/api/v1/commission-reports/ledger/", {"first_month": "June"})

        assert foreign.status_code == 400 and "dealer" in foreign.json()
        assert backwards.status_code == 400 and "last_month" in backwards.json()
        assert garbled.status_code == 400 and "first_month" in garbled.json()

    def test_anonymous_callers_are_refused(self, ledger, client):
        assert client.get("/api/v1/commission-reports/payables/").status_code in (401, 403)

    @pytest.mark.parametrize("report", REPORTS)
    def test_the_number_of_queries_does_not_grow_with_the_ledger(self, network, ledger, report):
        client = self.api(network.finance_user)
        url = f"/api/v1/commission-reports/{report}/"
        with CaptureQueriesContext(connection) as before:
            client.get(url, RANGE)
        for index in range(3):
            dealer = DealerFactory(region=network.foreign_region)
            make_loan(dealer, ledger["F"].lender, disbursed=dt.date(2025, 4, 10 + index))
        commissions_post(as_of=dt.date(2025, 6, 30))

        with CaptureQueriesContext(connection) as after:
            client.get(url, RANGE)

        assert len(after) == len(before) <= 12


@pytest.mark.parametrize(
    ("report", "message"),
    [
        ("ledger", "No ledger entries match these filters."),
        ("payables", "No ledger entries match these filters."),
        ("penetration", "No sales, loans or commissions in these months."),
        ("risk", "No loans disbursed in these months and none live at their end."),
    ],
)
def test_a_range_without_business_shows_an_empty_state_and_zero_totals(network, ledger, client_for, report, message):
    response = get(client_for(network.finance_user), report, first_month="2024-01", last_month="2024-12")

    assert response.status_code == 200
    assert message in response.content.decode()
    assert csv_rows(get(client_for(network.finance_user), report, first_month="2024-01", last_month="2024-12",
                        export="csv"))[-1][0] == "Total"  # fmt: skip


def test_the_reports_default_to_the_last_twelve_months(network, ledger, client_for):
    response = client_for(network.finance_user).get("/commissions/reports/ledger/")

    filters = response.context["filters"]
    this_month = today().replace(day=1)
    assert (filters.first_month, filters.last_month) == (month_start(this_month, 11), this_month)
    assert f'value="{this_month:%Y-%m}"' in response.content.decode()


def test_a_dealer_user_gets_its_dealer_row_instead_of_a_region_that_would_be_only_itself(network, ledger, client_for):
    client = client_for(network.dealer_user)

    page = get(client, "penetration")
    exported = csv_rows(get(client, "penetration", export="csv", table="region"))

    assert page.context["regions"] == []
    assert "By region" not in page.content.decode()
    assert exported[0][1] == "Dealer"
    assert exported[1] == ["HZ01", "Hangzhou Xihu 4S", "4", "3", "75.00 %", "3", "980.00", "326.67"]
