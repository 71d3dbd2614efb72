"""Imports of loans, leads and service visits: the stored values, re-imports that change
nothing, each rule's refusal by row and column, and files the database refuses whole."""

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from pghistory.models import MiddlewareEvents

from channels.models import AssignmentKind, Lead, LeadAssignment, LeadOutcome, LeadSource
from customers.models import Customer, ServiceKind, ServiceVisit
from datahub.kinds.leads import LeadImport
from datahub.kinds.loans import LoanImport
from datahub.kinds.visits import ServiceVisitImport
from datahub.models import ImportKind, ImportStatus, RowAction
from finance.models import CommissionBasis, CommissionEntry, EntryKind, Lender, Loan, LoanStatus, PostingCandidate
from finance.services import ledger
from finance.services.ledger import commissions_post
from finance.services.policies import PolicyTerms, policy_version_create
from inventory.models import Payment
from tests.datahub.helpers import confirm, errors_of, run_import
from tests.factories import (
    CustomerFactory,
    LeadFactory,
    LenderFactory,
    LoanFactory,
    SaleFactory,
    ServiceVisitFactory,
    VehicleModelFactory,
)

D = Decimal
SHANGHAI = ZoneInfo("Asia/Shanghai")
VIN_A = "LFV2A21K8N3000001"
VIN_B = "LFV2A21K8N3000002"
VIN_C = "LFV2A21K8N3000003"
VIN_D = "LFV2A21K8N3000004"
VIN_F = "LFV2A21K8N3000009"
UNKNOWN_VIN = "LFV2A21K8N3999999"


@pytest.fixture
def immediate(db):
    """The loan/sale triggers are deferred to commit and tests never commit: run them at once,
    so a write the database would refuse at commit fails inside the import."""

    def run():
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")

    return run


def sale(network, vin: str, price: str, payment=Payment.LOAN, dealer=None, sold_on=dt.date(2026, 1, 20)):
    return SaleFactory(
        dealer=dealer or network.home_dealer,
        stock_unit__vin=vin,
        stock_unit__arrived_on=sold_on - dt.timedelta(days=20),
        transaction_price=Decimal(price),
        payment=payment,
        sold_on=sold_on,
    )


# -- loans ---------------------------------------------------------------------------------------

LOANS = (
    "贷款编号,车架号,贷款机构,贷款金额,首付,年利率,结算利率,期数,信用等级,贷款状态,申请日期,放款日期,结清日期\n"
    f'HT-2026-001,{VIN_A},ICBC,"172,060.00","73,740.00",4.95%,0.0395,36期,B,已放款,2026-01-15,2026-01-22,\n'
    f"HT-2026-002,{VIN_B},工商银行,150000,89900.5,0.0388,,24,a,提前结清,2026/1/10,2026年1月25日,2026-09-30\n"
    f"HT-2026-003,{VIN_C},icbc,100000,50000,5.2%,,60,C,已拒绝,2026-01-05,,\n"
)


@pytest.fixture
def loan_sales(network, immediate):
    LenderFactory(code="ICBC", name="工商银行")
    sales = {
        VIN_A: sale(network, VIN_A, "245800.00"),
        VIN_B: sale(network, VIN_B, "239900.50"),
        VIN_C: sale(network, VIN_C, "180000.00"),  # a rejected application need not add up
    }
    immediate()
    return sales


def confirm_as_head_office(network, batch):
    """Head office's loan import writes money moves at once; a dealer user's are reported for
    finance to confirm (tests/security/test_loan_moves.py)."""
    return confirm(network, batch, user=network.head_office)


class TestLoanImport:
    def test_it_writes_the_loans_with_chinese_headers_to_the_fen(self, network, loan_sales):
        batch = run_import(network, ImportKind.LOANS, LOANS)
        assert batch.status == ImportStatus.READY, errors_of(batch)
        assert (batch.rows_create, batch.rows_update, batch.rows_error) == (3, 0, 0)
        assert not Loan.objects.exists()

        batch = confirm_as_head_office(network, batch)

        assert batch.status == ImportStatus.IMPORTED, batch.error
        loans = {loan.reference: loan for loan in Loan.objects.select_related("lender")}
        first = loans["HT-2026-001"]
        assert (first.sale, first.dealer, first.lender.code) == (loan_sales[VIN_A], network.home_dealer, "ICBC")
        assert (first.principal, first.down_payment, first.annual_rate, first.buy_rate) == (
            Decimal("172060.00"),
            Decimal("73740.00"),
            Decimal("0.049500"),
            Decimal("0.039500"),
        )
        assert (first.term_months, first.credit_grade, first.status) == (36, "B", LoanStatus.DISBURSED)
        assert (first.applied_on, first.disbursed_on, first.closed_on) == (
            dt.date(2026, 1, 15),
            dt.date(2026, 1, 22),
            None,
        )
        second = loans["HT-2026-002"]
        assert (second.principal, second.down_payment, second.annual_rate, second.buy_rate) == (
            Decimal("150000.00"),
            Decimal("89900.50"),
            Decimal("0.038800"),
            None,
        )
        assert (second.credit_grade, second.status, second.disbursed_on, second.closed_on) == (
            "A",
            LoanStatus.PAID_OFF_EARLY,
            dt.date(2026, 1, 25),
            dt.date(2026, 9, 30),
        )
        assert (loans["HT-2026-003"].status, loans["HT-2026-003"].principal) == (
            LoanStatus.REJECTED,
            Decimal("100000.00"),
        )

    def test_importing_the_same_file_again_writes_nothing(self, network, loan_sales):
        confirm_as_head_office(network, run_import(network, ImportKind.LOANS, LOANS))
        before = sorted(Loan.objects.values_list("id", "updated_at"))

        again = run_import(network, ImportKind.LOANS, LOANS)
        assert (again.rows_create, again.rows_update, again.rows_unchanged) == (0, 0, 3)
        assert confirm_as_head_office(network, again).status == ImportStatus.IMPORTED

        assert sorted(Loan.objects.values_list("id", "updated_at")) == before

    def test_a_status_moving_forward_is_an_update(self, network, loan_sales):
        first = confirm_as_head_office(network, run_import(network, ImportKind.LOANS, LOANS))
        defaulted = LOANS.replace("已放款,2026-01-15,2026-01-22,", "逾期违约,2026-01-15,2026-01-22,2026-10-31")

        batch = run_import(network, ImportKind.LOANS, defaulted)
        assert (batch.rows_update, batch.rows_unchanged) == (1, 2)
        assert confirm_as_head_office(network, batch).status == ImportStatus.IMPORTED

        loan = Loan.objects.get(reference="HT-2026-001")
        assert (loan.status, loan.closed_on) == (LoanStatus.DEFAULTED, dt.date(2026, 10, 31))
        # The audit trail says which import moved it (the commission posting reads the status).
        events = MiddlewareEvents.objects.tracks(loan).order_by("pgh_id")
        assert [(event.pgh_label, event.pgh_context["import_batch"]) for event in events] == [
            ("insert", first.pk),
            ("update", batch.pk),
        ]

    def test_imported_loans_are_posted_by_the_next_nightly_commission_run(self, network, loan_sales):
        icbc = Lender.objects.get(code="ICBC")
        terms = PolicyTerms(
            basis=CommissionBasis.RATE_BASED,
            effective_from=dt.date(2026, 1, 1),
            ratio=D("0.01"),
            clawback={365: D("1")},
        )
        policy_version_create(lender=icbc, terms=terms)
        earlier = sale(network, VIN_D, "200000.00", sold_on=dt.date(2026, 1, 2))
        LoanFactory(sale=earlier, lender=icbc, disbursed_on=dt.date(2026, 1, 5))
        assert commissions_post(as_of=dt.date(2026, 1, 10)).rows == 1  # the first posting reads every loan

        first = confirm_as_head_office(network, run_import(network, ImportKind.LOANS, LOANS))
        assert first.status == ImportStatus.IMPORTED, first.error
        # The import's bulk upsert queued its disbursed loans (its history triggers were off).
        imported = Loan.objects.filter(reference__in=["HT-2026-001", "HT-2026-002"])
        assert set(PostingCandidate.objects.values_list("loan_id", flat=True)) == {loan.pk for loan in imported}
        assert not ledger._needs_full_posting(dt.date(2026, 10, 31))  # a nightly run: only the queued loans

        nightly = commissions_post(as_of=dt.date(2026, 10, 31))

        posted = {
            (entry.loan.reference, entry.kind): entry.amount
            for entry in CommissionEntry.objects.filter(job_run=nightly).select_related("loan")
        }
        assert posted == {
            ("HT-2026-001", EntryKind.ACCRUAL): D("85.17"),  # 172,060.00 x 4.95 % x 1 %
            ("HT-2026-002", EntryKind.ACCRUAL): D("58.20"),  # 150,000.00 x 3.88 % x 1 %
            ("HT-2026-002", EntryKind.CLAWBACK): D("-58.20"),  # paid off early after 248 days
        }
        assert not PostingCandidate.objects.exists()

        # A later import defaults the first loan: its clawback follows the next night.
        defaulted = LOANS.replace("已放款,2026-01-15,2026-01-22,", "逾期违约,2026-01-15,2026-01-22,2026-10-31")
        assert (
            confirm_as_head_office(network, run_import(network, ImportKind.LOANS, defaulted)).status
            == ImportStatus.IMPORTED
        )
        clawback = commissions_post(as_of=dt.date(2026, 11, 1))
        assert (clawback.rows, clawback.amount) == (1, D("-85.17"))

    def test_columns_the_file_lacks_keep_the_loans_values(self, network, loan_sales):
        confirm_as_head_office(network, run_import(network, ImportKind.LOANS, LOANS))
        short = (
            "合同号,VIN,资方,本金,首付款,利率,期限,评级,状态,进件日期\n"
            f"HT-2026-001,{VIN_A},ICBC,172060,73740,0.0495,36,B,已放款,2026-01-15\n"
            f"HT-2026-002,{VIN_B},ICBC,150000,89900.50,0.0388,24,A,已放款,2026-01-10\n"
        )

        batch = run_import(network, ImportKind.LOANS, short)

        assert batch.rows_unchanged == 1
        assert errors_of(batch) == [
            (3, "状态", "A loan cannot go from Paid off early to Disbursed."),
        ]
        assert Loan.objects.get(reference="HT-2026-001").buy_rate == Decimal("0.039500")

    def test_a_backwards_status_is_refused_naming_the_current_one(self, network, loan_sales):
        LoanFactory(
            reference="HT-2026-001", sale=loan_sales[VIN_A], lender=LenderFactory(code="ICBC"),
            down_payment=Decimal("73740.00"), status=LoanStatus.DEFAULTED, applied_on=dt.date(2026, 1, 15),
            disbursed_on=dt.date(2026, 1, 22), closed_on=dt.date(2026, 10, 31),
        )  # fmt: skip

        batch = run_import(network, ImportKind.LOANS, LOANS)

        assert errors_of(batch) == [(2, "贷款状态", "A loan cannot go from Defaulted to Disbursed.")]
        assert Loan.objects.get(reference="HT-2026-001").status == LoanStatus.DEFAULTED

    def test_rules_on_the_sale_are_refused_in_the_vin_and_principal_columns(self, network, loan_sales):
        sale(network, VIN_D, "120000.00", payment=Payment.CASH)
        sale(network, VIN_F, "120000.00", dealer=network.foreign_dealer)
        LoanFactory(reference="HT-OLD", sale=loan_sales[VIN_B], lender=LenderFactory(code="ICBC"))
        header = LOANS.splitlines()[0]
        rows = [
            f"R-1,{UNKNOWN_VIN},ICBC,100000,20000,4.95%,,36,B,申请中,2026-01-15,,",
            f"R-2,{VIN_F},ICBC,100000,20000,4.95%,,36,B,申请中,2026-01-15,,",
            f"R-3,{VIN_D},ICBC,100000,20000,4.95%,,36,B,申请中,2026-01-15,,",
            f"R-4,{VIN_A},ICBC,172060.00,73739.99,4.95%,,36,B,申请中,2026-01-15,,",
            f"R-5,{VIN_B},ICBC,150000,89900.50,4.95%,,36,B,已审批,2026-01-15,,",
            f"R-6,{VIN_C},农业银行,100000,80000,4.95%,,36,B,申请中,2026-01-15,,",
        ]
        batch = run_import(network, ImportKind.LOANS, "\n".join([header, *rows]) + "\n")

        assert errors_of(batch) == [
            (2, "车架号", "no sale has this VIN: import the sale first."),
            (3, "车架号", "this VIN was sold by another dealer."),
            (4, "车架号", "the sale of this VIN is paid by cash, not by loan."),
            (5, "贷款金额", "principal + down payment come to 245799.99; the sale's price is 245800.00."),
            (
                6,
                "车架号",
                "the sale already has a loan (HT-OLD): only a rejected one may be followed by another.",
            ),
            (7, "贷款机构", "no lender has the code or name “农业银行”."),
        ]
        assert Loan.objects.count() == 1

    def test_rules_on_dates_follow_the_status(self, network, loan_sales):
        header = LOANS.splitlines()[0]
        rows = [
            f"D-1,{VIN_A},ICBC,172060,73740,4.95%,,36,B,已放款,2026-01-15,,",
            f"D-2,{VIN_B},ICBC,150000,89900.50,4.95%,,36,B,已审批,2026-01-15,2026-01-20,",
            f"D-3,{VIN_C},ICBC,100000,80000,4.95%,,12,B,到期结清,2026-01-15,2026-01-10,2026-06-30",
        ]
        batch = run_import(network, ImportKind.LOANS, "\n".join([header, *rows]) + "\n")

        assert errors_of(batch) == [
            (2, "放款日期", "a disbursed loan needs its disbursement date."),
            (3, "放款日期", "a loan that is approved has not been disbursed: leave this cell empty."),
            (4, "放款日期", "the loan is disbursed before it was applied for (2026-01-15)."),
            (4, "贷款状态", "the loan's term ends on 2027-01-10: closed before then, it was paid off early."),
        ]

    def test_closing_dates_and_the_future_are_checked(self, network, loan_sales):
        future = (dt.date.today() + dt.timedelta(days=40)).isoformat()
        header = LOANS.splitlines()[0]
        rows = [
            f"C-1,{VIN_A},ICBC,172060,73740,4.95%,,36,B,提前结清,2026-01-15,2026-01-22,",
            f"C-2,{VIN_B},ICBC,150000,89900.50,4.95%,,36,B,已放款,2026-01-15,2026-01-22,2026-03-01",
            f"C-3,{VIN_C},ICBC,100000,80000,4.95%,,36,B,违约,2026-01-15,2026-01-22,2026-01-20",
        ]
        text = "\n".join([header, *rows]) + "\n" + f"C-4,{VIN_C},ICBC,100000,80000,4.95%,,36,B,申请中,{future},,\n"
        batch = run_import(network, ImportKind.LOANS, text)

        assert errors_of(batch) == [
            (2, "结清日期", "a paid off early loan needs its closing date."),
            (3, "结清日期", "a loan that is disbursed is not closed: leave this cell empty."),
            (4, "车架号", "the sale already has a loan (C-4): only a rejected one may be followed by another."),
            (4, "结清日期", "the loan closes before it was disbursed (2026-01-22)."),
            (5, "车架号", "the sale already has a loan (C-3): only a rejected one may be followed by another."),
            (5, "申请日期", f"the date {future} is in the future."),
        ]

    def test_an_existing_loan_keeps_its_dealer_lender_and_sale(self, network, loan_sales):
        LenderFactory(code="ABC", name="农业银行")
        foreign_sale = sale(network, VIN_F, "120000.00", dealer=network.foreign_dealer)
        LoanFactory(reference="CD-001", sale=foreign_sale, lender=LenderFactory(code="ICBC"))
        LoanFactory(
            reference="HT-2026-001", sale=loan_sales[VIN_A], lender=LenderFactory(code="ICBC"),
            down_payment=Decimal("73740.00"), applied_on=dt.date(2026, 1, 15), disbursed_on=dt.date(2026, 1, 22),
        )  # fmt: skip
        LoanFactory(
            reference="HT-2026-002", sale=loan_sales[VIN_B], lender=LenderFactory(code="ICBC"),
            down_payment=Decimal("89900.50"), applied_on=dt.date(2026, 1, 10), disbursed_on=dt.date(2026, 1, 25),
        )  # fmt: skip
        header = LOANS.splitlines()[0]
        rows = [
            f"CD-001,{VIN_C},ICBC,100000,80000,4.95%,,36,B,申请中,2026-01-15,,",
            f"HT-2026-001,{VIN_A},ABC,172060,73740,4.95%,,36,B,已放款,2026-01-15,2026-01-22,",
            f"HT-2026-002,{VIN_A},ICBC,172060,73740,4.95%,,36,B,已放款,2026-01-10,2026-01-25,",
        ]
        batch = run_import(network, ImportKind.LOANS, "\n".join([header, *rows]) + "\n")

        assert errors_of(batch) == [
            (2, "贷款编号", "this reference is another dealer's loan."),
            (3, "贷款机构", "the loan is with 工商银行: its lender cannot change."),
            (4, "车架号", f"the loan finances the sale of {VIN_B}: its sale cannot change."),
        ]

    def test_a_rejected_application_may_be_followed_by_another_in_the_same_file(self, network, loan_sales):
        LoanFactory(
            reference="HT-OLD", sale=loan_sales[VIN_A], lender=LenderFactory(code="ICBC"),
            down_payment=Decimal("73740.00"), status=LoanStatus.APPLIED, applied_on=dt.date(2026, 1, 2),
            disbursed_on=None,
        )  # fmt: skip
        header = LOANS.splitlines()[0]
        rows = [
            f"HT-NEW,{VIN_A},ICBC,172060,73740,4.95%,,36,B,已审批,2026-01-15,,",
            f"HT-OLD,{VIN_A},ICBC,172060,73740,4.95%,,36,B,已拒绝,2026-01-02,,",
        ]
        batch = confirm_as_head_office(
            network, run_import(network, ImportKind.LOANS, "\n".join([header, *rows]) + "\n")
        )

        assert batch.status == ImportStatus.IMPORTED, (batch.error, errors_of(batch))
        assert dict(Loan.objects.values_list("reference", "status")) == {
            "HT-OLD": LoanStatus.REJECTED,
            "HT-NEW": LoanStatus.APPROVED,
        }

    def test_a_file_the_database_refuses_writes_nothing(self, network, loan_sales, monkeypatch):
        resolve = LoanImport.resolve

        def resolve_missing_a_rule(self, rows):
            # A rule only the database holds: the last loan no longer adds up to its sale's price.
            resolve(self, rows)
            rows[1].values["principal"] += Decimal("0.01")

        monkeypatch.setattr(LoanImport, "resolve", resolve_missing_a_rule)
        batch = confirm_as_head_office(network, run_import(network, ImportKind.LOANS, LOANS))

        assert batch.status == ImportStatus.FAILED
        assert batch.error == (
            "The database refused the import, nothing was written: "
            "loan HT-2026-002: down payment + principal differ from the sale price"
        )
        assert not Loan.objects.exists()


# -- leads ---------------------------------------------------------------------------------------

LEADS = (
    "线索编号,创建时间,线索来源,客户城市,意向车型,分配时间,首次联系时间,跟进状态,成交车架号\n"
    f"CRM-0001,2026-10-01 09:30,官网,杭州,HQH5-22,2026-10-01 09:35,2026-10-01 10:00,已成交,{VIN_A}\n"
    "CRM-0002,2026/10/02 14:00,自然到店,宁波,,,,未跟进,\n"
    "CRM-0003,2026-10-03 08:00,APP,温州,hqh5-22,,2026-10-03 09:00,战败,\n"
)


@pytest.fixture
def lead_setup(network):
    return VehicleModelFactory(code="HQH5-22"), sale(network, VIN_A, "245800.00", payment=Payment.CASH)


class TestLeadImport:
    def test_it_writes_the_leads_assigned_to_the_importing_dealer(self, network, lead_setup):
        model, won_sale = lead_setup
        batch = confirm(network, run_import(network, ImportKind.LEADS, LEADS))

        assert batch.status == ImportStatus.IMPORTED, (batch.error, errors_of(batch))
        leads = {lead.crm_reference: lead for lead in Lead.objects.all()}
        assert set(leads) == {"CRM-0001", "CRM-0002", "CRM-0003"}
        assert {lead.dealer for lead in leads.values()} == {network.home_dealer}
        won = leads["CRM-0001"]
        assert (won.source, won.customer_city, won.model_of_interest, won.outcome, won.converted_sale) == (
            LeadSource.WEBSITE, "杭州", model, LeadOutcome.WON, won_sale,
        )  # fmt: skip
        assert (won.created_at, won.assigned_at, won.first_contact_at) == (
            dt.datetime(2026, 10, 1, 9, 30, tzinfo=SHANGHAI),
            dt.datetime(2026, 10, 1, 9, 35, tzinfo=SHANGHAI),
            dt.datetime(2026, 10, 1, 10, 0, tzinfo=SHANGHAI),
        )
        walk_in = leads["CRM-0002"]
        assert (walk_in.source, walk_in.model_of_interest, walk_in.outcome, walk_in.first_contact_at) == (
            LeadSource.WALK_IN, None, LeadOutcome.OPEN, None,
        )  # fmt: skip
        assert walk_in.assigned_at == walk_in.created_at == dt.datetime(2026, 10, 2, 14, 0, tzinfo=SHANGHAI)
        assert (leads["CRM-0003"].source, leads["CRM-0003"].outcome) == (LeadSource.APP, LeadOutcome.LOST)

    def test_importing_the_same_file_again_writes_nothing(self, network, lead_setup):
        confirm(network, run_import(network, ImportKind.LEADS, LEADS))
        before = sorted(Lead.objects.values_list("id", "outcome", "assigned_at"))

        again = run_import(network, ImportKind.LEADS, LEADS)
        assert (again.rows_create, again.rows_update, again.rows_unchanged) == (0, 0, 3)
        assert confirm(network, again).status == ImportStatus.IMPORTED
        assert sorted(Lead.objects.values_list("id", "outcome", "assigned_at")) == before
        # Each new lead was recorded once as the dealer's own (routing: not routed, no SLA).
        own = LeadAssignment.objects.values_list("lead_id", "kind", "dealer_id", "at")
        assert sorted(own) == sorted(
            (lead_id, AssignmentKind.OWN, network.home_dealer.pk, at) for lead_id, _outcome, at in before
        )

    def test_a_changed_lead_is_updated_in_place(self, network, lead_setup):
        confirm(network, run_import(network, ImportKind.LEADS, LEADS))
        ids = dict(Lead.objects.values_list("crm_reference", "id"))

        changed = run_import(network, ImportKind.LEADS, LEADS.replace(",,,未跟进,", ",,2026-10-02 15:00,已联系,"))
        assert (changed.rows_update, changed.rows_unchanged) == (1, 2)
        assert confirm(network, changed).status == ImportStatus.IMPORTED

        lead = Lead.objects.get(crm_reference="CRM-0002")
        assert (lead.id, lead.outcome, lead.first_contact_at) == (
            ids["CRM-0002"], LeadOutcome.CONTACTED, dt.datetime(2026, 10, 2, 15, 0, tzinfo=SHANGHAI),
        )  # fmt: skip
        assert Lead.objects.count() == 3

    def test_each_rule_is_refused_in_its_column(self, network, lead_setup):
        _model, won_sale = lead_setup
        sale(network, VIN_B, "200000.00", payment=Payment.CASH, dealer=network.foreign_dealer)
        taken = sale(network, VIN_C, "200000.00", payment=Payment.CASH)
        LeadFactory(dealer=network.home_dealer, crm_reference="CRM-OLD", outcome=LeadOutcome.WON, converted_sale=taken)
        text = (
            "lead id,created at,source,city,model,assigned at,first contact at,outcome,converted VIN\n"
            "L-1,2026-10-01 09:30,website,Hangzhou,,,,won,\n"
            f"L-2,2026-10-01 09:30,website,Hangzhou,,,,lost,{VIN_A}\n"
            "L-3,2026-10-01 09:30,phone,Hangzhou,,2026-10-01 09:00,2026-10-01 08:00,open,\n"
            "L-4,2026-10-01 09:30,partner,Hangzhou,XX-1,,,open,\n"
            f"L-5,2026-10-01 09:30,walk-in,Hangzhou,,,,won,{VIN_B}\n"
            f"L-6,2026-10-01 09:30,app,Hangzhou,,,,won,{VIN_C}\n"
            f"L-7,2026-10-01 09:30,app,Hangzhou,,,,won,{UNKNOWN_VIN}\n"
            "L-8,2026-10-01 09:30,billboard,Hangzhou,,,,open,\n"
        )
        batch = run_import(network, ImportKind.LEADS, text)

        assert errors_of(batch) == [
            (2, "converted VIN", "a won lead names the sale it became: give the VIN of the unit sold."),
            (3, "converted VIN", "only a won lead names a sale: leave this cell empty, or mark the lead won."),
            (4, "assigned at", "a lead cannot be assigned before it was created."),
            (4, "first contact at", "The first contact cannot precede the lead's assignment (2026-10-01 09:00)."),
            (5, "model", "no vehicle model has the code XX-1."),
            (6, "converted VIN", "this VIN was sold by another dealer."),
            (6, "converted VIN", "a won lead names the sale it became: give the VIN of the unit sold."),
            (7, "converted VIN", "the sale of this VIN already came from lead CRM-OLD."),
            (7, "converted VIN", "a won lead names the sale it became: give the VIN of the unit sold."),
            (8, "converted VIN", "no sale has this VIN: import the sale first."),
            (8, "converted VIN", "a won lead names the sale it became: give the VIN of the unit sold."),
            (
                9,
                "source",
                "“billboard” is not one of: 官网 / APP / 电话 / 到店 / 合作伙伴 "
                "(website / app / phone / walk-in / partner).",
            ),
        ]
        assert won_sale.pk and Lead.objects.count() == 1

    def test_a_file_the_database_refuses_writes_nothing(self, network, lead_setup, monkeypatch):
        resolve = LeadImport.resolve

        def resolve_missing_a_rule(self, rows):
            resolve(self, rows)
            rows[2].values["outcome"] = LeadOutcome.WON  # won without a sale: a check constraint

        monkeypatch.setattr(LeadImport, "resolve", resolve_missing_a_rule)
        batch = confirm(network, run_import(network, ImportKind.LEADS, LEADS))

        assert batch.status == ImportStatus.FAILED
        assert "lead_won_has_sale" in batch.error
        assert not Lead.objects.exists()


# -- service visits ------------------------------------------------------------------------------

VISITS = (
    "工单号,客户电话,客户姓名,进厂日期,服务类型,结算金额,满意度\n"
    'WO-2026-0001,13812341234,,2026-10-05,保养,"¥1,280.50",5\n'
    "WO-2026-0002,139-0000-1111,李四,2026/10/06,钣喷,3560,4分\n"
    "WO-2026-0003,13900001111,李四,2026年10月7日,保修,0,\n"
)


@pytest.fixture
def known_customer(network):
    return CustomerFactory(home_dealer=network.home_dealer, phone="13812341234", name="张三")


class TestServiceVisitImport:
    def test_it_writes_the_visits_and_creates_the_unknown_customer_once(self, network, known_customer):
        batch = confirm(network, run_import(network, ImportKind.SERVICE_VISITS, VISITS))

        assert batch.status == ImportStatus.IMPORTED, (batch.error, errors_of(batch))
        visits = {visit.work_order: visit for visit in ServiceVisit.objects.all()}
        first = visits["WO-2026-0001"]
        assert (first.customer, first.dealer, first.visited_on, first.kind, first.amount, first.satisfaction) == (
            known_customer, network.home_dealer, dt.date(2026, 10, 5), ServiceKind.MAINTENANCE,
            Decimal("1280.50"), 5,
        )  # fmt: skip
        new_customer = Customer.objects.get(home_dealer=network.home_dealer, phone="13900001111")
        assert (new_customer.name, new_customer.city) == ("李四", network.home_dealer.city)
        assert (visits["WO-2026-0002"].customer, visits["WO-2026-0002"].kind) == (new_customer, ServiceKind.BODYWORK)
        assert (visits["WO-2026-0002"].amount, visits["WO-2026-0002"].satisfaction) == (Decimal("3560.00"), 4)
        assert (visits["WO-2026-0003"].kind, visits["WO-2026-0003"].amount, visits["WO-2026-0003"].satisfaction) == (
            ServiceKind.WARRANTY, Decimal("0.00"), None,
        )  # fmt: skip

    def test_importing_the_same_file_again_writes_nothing(self, network, known_customer):
        confirm(network, run_import(network, ImportKind.SERVICE_VISITS, VISITS))
        before = sorted(ServiceVisit.objects.values_list("id", "updated_at"))

        again = run_import(network, ImportKind.SERVICE_VISITS, VISITS)
        assert (again.rows_create, again.rows_update, again.rows_unchanged) == (0, 0, 3)
        assert confirm(network, again).status == ImportStatus.IMPORTED
        assert sorted(ServiceVisit.objects.values_list("id", "updated_at")) == before
        assert Customer.objects.count() == 2

    def test_a_work_order_of_another_dealer_is_another_visit(self, network, known_customer):
        ServiceVisitFactory(dealer=network.foreign_dealer, work_order="WO-2026-0001")
        mine = ServiceVisitFactory(dealer=network.home_dealer, customer=known_customer, work_order="WO-2026-0002")

        batch = run_import(network, ImportKind.SERVICE_VISITS, VISITS)
        assert [row.action for row in batch.rows.all()] == [RowAction.CREATE, RowAction.UPDATE, RowAction.CREATE]
        assert confirm(network, batch).status == ImportStatus.IMPORTED

        mine.refresh_from_db()
        assert (mine.kind, mine.amount, mine.customer.phone) == (
            ServiceKind.BODYWORK,
            Decimal("3560.00"),
            "13900001111",
        )
        assert ServiceVisit.objects.filter(work_order="WO-2026-0001").count() == 2

    def test_each_rule_is_refused_in_its_column(self, network, known_customer):
        future = (dt.date.today() + dt.timedelta(days=40)).isoformat()
        text = (
            "work order,customer phone,visited on,kind,amount,satisfaction\n"
            "W-1,13900001111,2026-10-05,repair,100,\n"
            "W-2,13812341234,2026-10-05,repair,-100,\n"
            "W-3,13812341234,2026-10-05,repair,100,6\n"
            "W-4,13812341234,2026-10-05,car wash,100,\n"
            f"W-5,13812341234,{future},inspection,100,\n"
        )
        batch = run_import(network, ImportKind.SERVICE_VISITS, text)

        assert errors_of(batch) == [
            (
                2,
                "customer phone",
                "no customer of yours has this phone: add their name to the row, or import customers first.",
            ),
            (3, "amount", "the amount cannot be negative."),
            (4, "satisfaction", "6 is outside 1–5."),
            (
                5,
                "kind",
                "“car wash” is not one of: 保养 / 维修 / 保修 / 钣喷 / 检测 "
                "(maintenance / repair / warranty / bodywork / inspection).",
            ),
            (6, "visited on", f"the date {future} is in the future."),
        ]

    def test_a_file_the_database_refuses_writes_nothing_not_even_its_customers(
        self, network, known_customer, monkeypatch
    ):
        resolve = ServiceVisitImport.resolve

        def resolve_missing_a_rule(self, rows):
            resolve(self, rows)
            rows[2].values["satisfaction"] = 9  # a check constraint

        monkeypatch.setattr(ServiceVisitImport, "resolve", resolve_missing_a_rule)
        batch = confirm(network, run_import(network, ImportKind.SERVICE_VISITS, VISITS))

        assert batch.status == ImportStatus.FAILED
        assert "service_visit_satisfaction_1_to_5" in batch.error
        assert not ServiceVisit.objects.exists()
        assert list(Customer.objects.all()) == [known_customer]
