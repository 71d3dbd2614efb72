"""A dealer's loan moves that move money (disbursed, paid off early, defaulted) wait for
finance: the dealer reports them, the loan shows them as awaiting confirmation, and the
ledger posts only what finance confirmed."""

import datetime as dt
from decimal import Decimal

import pytest
from rest_framework.test import APIClient

from datahub.models import ImportKind, ImportStatus
from finance.models import CommissionEntry, EntryKind, Loan, LoanStatus, LoanStatusReport, ReportDecision
from finance.services.ledger import commissions_post
from tests.datahub.helpers import confirm, errors_of, run_import
from tests.factories import LenderFactory, SaleFactory
from tests.finance.test_commission_posting import make_loan, policy

pytestmark = pytest.mark.django_db

AS_OF = dt.date(2025, 12, 31)


@pytest.fixture
def lender(db):
    return LenderFactory(code="ICBC", name="ICBC Auto")


def api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def entries(loan) -> dict[str, Decimal]:
    return dict(CommissionEntry.objects.filter(loan=loan).values_list("kind", "amount"))


def test_a_dealer_s_disbursement_waits_for_finance_and_posts_only_once_confirmed(network, lender):
    policy(lender)
    loan = make_loan(network.home_dealer, lender, status=LoanStatus.APPROVED, disbursed_on=None)

    reported = api(network.dealer_user).post(
        f"/api/v1/loans/{loan.pk}/status/", {"status": "disbursed", "on": "2025-03-10"}, format="json"
    )
    assert reported.status_code == 202
    body = reported.json()
    assert (body["status"], body["disbursed_on"]) == ("approved", None)
    assert body["awaiting_confirmation"]["status"] == "disbursed"
    assert body["awaiting_confirmation"]["on"] == "2025-03-10"
    assert body["awaiting_confirmation"]["reported_by"] == "dealer"
    commissions_post(as_of=AS_OF)
    assert entries(loan) == {}

    # The dealer cannot confirm its own report; nor report a second move meanwhile.
    assert api(network.dealer_user).post(f"/api/v1/loans/{loan.pk}/confirm/").status_code == 400
    again = api(network.dealer_user).post(
        f"/api/v1/loans/{loan.pk}/status/", {"status": "disbursed", "on": "2025-03-11"}, format="json"
    )
    assert again.status_code == 400 and "awaits finance's confirmation" in again.json()["status"][0]

    confirmed = api(network.finance_user).post(f"/api/v1/loans/{loan.pk}/confirm/")
    assert confirmed.status_code == 200
    assert (confirmed.json()["status"], confirmed.json()["awaiting_confirmation"]) == ("disbursed", None)
    commissions_post(as_of=AS_OF)
    assert entries(loan) == {EntryKind.ACCRUAL: Decimal("150.00")}
    report = LoanStatusReport.objects.get(loan=loan)
    assert (report.decision, report.decided_by) == (ReportDecision.CONFIRMED, network.finance_user)


def test_a_rejected_default_claws_nothing_back(network, lender):
    policy(lender)
    loan = make_loan(network.home_dealer, lender)
    commissions_post(as_of=AS_OF)
    api(network.dealer_user).post(f"/api/v1/loans/{loan.pk}/status/", {"status": "defaulted", "on": "2025-05-01"})

    rejected = api(network.finance_user).post(f"/api/v1/loans/{loan.pk}/reject/", {"note": "lender says current"})
    assert rejected.status_code == 200 and rejected.json()["status"] == "disbursed"
    commissions_post(as_of=AS_OF)
    assert set(entries(loan)) == {EntryKind.ACCRUAL}
    report = LoanStatusReport.objects.get(loan=loan)
    assert (report.decision, report.note) == (ReportDecision.REJECTED, "lender says current")


def test_finance_moves_money_at_once_and_a_dealer_s_non_money_move_applies_at_once(network, lender):
    disbursed = make_loan(network.home_dealer, lender)
    moved = api(network.finance_user).post(
        f"/api/v1/loans/{disbursed.pk}/status/", {"status": "paid_off_early", "on": "2025-05-01"}, format="json"
    )
    assert moved.status_code == 200 and moved.json()["status"] == "paid_off_early"

    applied = make_loan(network.home_dealer, lender, status=LoanStatus.APPLIED, disbursed_on=None)
    approved = api(network.dealer_user).post(
        f"/api/v1/loans/{applied.pk}/status/", {"status": "approved", "on": "2025-03-01"}, format="json"
    )
    assert approved.status_code == 200 and approved.json()["status"] == "approved"


def test_the_loan_page_shows_the_move_awaiting_confirmation_and_finance_confirms_there(network, lender, client_for):
    loan = make_loan(network.home_dealer, lender)
    dealer = client_for(network.dealer_user)
    # The UI follows the chosen language (the cookie), not the browser's Accept-Language.
    dealer.cookies["django_language"] = "zh-hans"
    reported = dealer.post(f"/loans/{loan.pk}/status/", {"status": "defaulted", "on": "2025-09-01"}, follow=True)
    page = reported.content.decode()
    assert "待确认" in page
    assert "等待财务确认" in page
    assert "确认变更" not in page  # the dealer cannot confirm
    assert 'id="status-form"' not in page  # nor report another move meanwhile

    finance = client_for(network.finance_user)
    finance.cookies["django_language"] = "zh-hans"
    assert "确认变更" in finance.get(loan.get_absolute_url()).content.decode()
    assert finance.post(f"/loans/{loan.pk}/status/confirm/").status_code == 302
    loan.refresh_from_db()
    assert (loan.status, loan.closed_on) == (LoanStatus.DEFAULTED, dt.date(2025, 9, 1))

    awaiting = client_for(network.finance_user).get("/api/v1/loans/", {"awaiting_confirmation": "true"})
    assert awaiting.json()["count"] == 0


def test_a_loan_a_dealer_enters_as_disbursed_is_stored_approved_with_its_disbursement_reported(network, lender):
    sale = SaleFactory(dealer=network.home_dealer, payment="loan", transaction_price=Decimal("200000.00"))
    created = api(network.dealer_user).post(
        "/api/v1/loans/",
        {
            "sale": sale.pk,
            "reference": "LN-NEW-1",
            "lender": lender.pk,
            "down_payment": "50000.00",
            "annual_rate": "0.050000",
            "term_months": 36,
            "credit_grade": "B",
            "applied_on": str(sale.sold_on),
            "status": "disbursed",
            "disbursed_on": str(sale.sold_on),
        },
        format="json",
    )
    assert created.status_code == 201, created.json()
    assert (created.json()["status"], created.json()["awaiting_confirmation"]["status"]) == ("approved", "disbursed")
    listed = api(network.finance_user).get("/api/v1/loans/", {"awaiting_confirmation": "true"}).json()
    assert [loan["reference"] for loan in listed["results"]] == ["LN-NEW-1"]


VIN = "LFV2A21K8N3000001"
HEADER = "贷款编号,车架号,贷款机构,贷款金额,首付,年利率,期数,信用等级,贷款状态,申请日期,放款日期,结清日期\n"


def test_a_dealer_s_loan_import_reports_money_moves_instead_of_writing_them(network, lender):
    SaleFactory(
        dealer=network.home_dealer, payment="loan", transaction_price=Decimal("250000.00"), stock_unit__vin=VIN,
        sold_on=dt.date(2026, 1, 10), stock_unit__arrived_on=dt.date(2025, 12, 20),
    )  # fmt: skip
    paid_off = HEADER + f"HT-1,{VIN},ICBC,200000,50000,0.05,36,B,提前结清,2026-01-10,2026-01-15,2026-09-30\n"
    batch = confirm(network, run_import(network, ImportKind.LOANS, paid_off))
    assert batch.status == ImportStatus.IMPORTED, (batch.error, errors_of(batch))
    loan = Loan.objects.get(reference="HT-1")
    assert (loan.status, loan.disbursed_on, loan.closed_on) == (LoanStatus.APPROVED, None, None)
    report = LoanStatusReport.objects.get(loan=loan, decision=ReportDecision.PENDING)
    assert (report.status, report.on, report.disbursed_on) == (
        LoanStatus.PAID_OFF_EARLY, dt.date(2026, 9, 30), dt.date(2026, 1, 15),
    )  # fmt: skip

    # The same file again reports nothing twice; another status meanwhile is refused in its cell.
    confirm(network, run_import(network, ImportKind.LOANS, paid_off))
    assert LoanStatusReport.objects.filter(loan=loan).count() == 1
    defaulted = run_import(network, ImportKind.LOANS, paid_off.replace("提前结清", "违约"))
    assert errors_of(defaulted)[0] == (
        2,
        "贷款状态",
        "the loan's move to paid off early awaits finance's confirmation: import this status afterwards.",
    )

    assert api(network.finance_user).post(f"/api/v1/loans/{loan.pk}/confirm/").status_code == 200
    loan.refresh_from_db()
    assert (loan.status, loan.disbursed_on, loan.closed_on) == (
        LoanStatus.PAID_OFF_EARLY, dt.date(2026, 1, 15), dt.date(2026, 9, 30),
    )  # fmt: skip


def test_a_lender_statement_paying_or_taking_back_commission_confirms_the_reported_move(network, lender):
    from tests.finance.test_reconciliation import upload_statement

    policy(lender)
    pending = make_loan(network.home_dealer, lender, status=LoanStatus.APPROVED, disbursed_on=None, reference="LNA")
    defaulted = make_loan(network.home_dealer, lender, reference="LNB")
    unproven = make_loan(network.home_dealer, lender, reference="LNC")
    dealer = api(network.dealer_user)
    dealer.post(f"/api/v1/loans/{pending.pk}/status/", {"status": "disbursed", "on": "2025-03-10"}, format="json")
    dealer.post(f"/api/v1/loans/{defaulted.pk}/status/", {"status": "defaulted", "on": "2025-05-01"}, format="json")
    dealer.post(f"/api/v1/loans/{unproven.pk}/status/", {"status": "paid_off_early", "on": "2025-05-01"}, format="json")

    rows = [("LNA", "2025-03", "150.00"), ("LNB", "2025-05", "-150.00"), ("LNC", "2025-05", "150.00")]
    upload_statement(lender, "ICBC-2025-05", rows, network.finance_user)

    statuses = dict(Loan.objects.values_list("reference", "status"))
    assert statuses == {"LNA": "disbursed", "LNB": "defaulted", "LNC": "disbursed"}
    confirmed = LoanStatusReport.objects.get(loan=pending)
    assert (confirmed.decision, confirmed.decided_by, confirmed.note) == (
        ReportDecision.CONFIRMED,
        network.finance_user,
        "Confirmed by lender statement ICBC-2025-05, row 2.",
    )
    # A paying line does not bear out an early payoff: finance decides that one.
    assert LoanStatusReport.objects.get(loan=unproven).decision == ReportDecision.PENDING


def test_the_loan_import_preview_says_which_moves_go_to_finance_for_confirmation(network, lender, client_for):
    SaleFactory(
        dealer=network.home_dealer, payment="loan", transaction_price=Decimal("250000.00"), stock_unit__vin=VIN,
        sold_on=dt.date(2026, 1, 10), stock_unit__arrived_on=dt.date(2025, 12, 20),
    )  # fmt: skip
    disbursed = HEADER + f"HT-2,{VIN},ICBC,200000,50000,0.05,36,B,已放款,2026-01-10,2026-01-15,\n"
    batch = run_import(network, ImportKind.LOANS, disbursed)
    (row,) = batch.rows.all()
    assert row.notes == [
        "the loan is written as approved; its move to disbursed is reported for finance's confirmation."
    ]
    # The preview shows it in the row's last cell (written in the check's language, like errors).
    page = client_for(network.dealer_user).get(f"/imports/{batch.pk}/").content.decode()
    assert '<td class="row-notes"><ul><li>the loan is written as approved; its move to disbursed is reported' in page

    # Once written and reported: the loan's default (another money move) is reported too.
    confirm(network, batch)
    assert api(network.finance_user).post(f"/api/v1/loans/{Loan.objects.get().pk}/confirm/").status_code == 200
    defaulted = run_import(
        network, ImportKind.LOANS, disbursed.replace("已放款", "违约").replace(",\n", ",2026-06-30\n")
    )
    assert defaulted.rows.get().notes == [
        "the move to defaulted is reported for finance's confirmation; until then the loan stays as it is."
    ]
    # Finance's own file is applied as it is: no note.
    by_finance = run_import(network, ImportKind.LOANS, disbursed.replace("已放款", "违约").replace(",\n", ",2026-06-30\n"),
                            user=network.head_office)  # fmt: skip
    assert by_finance.rows.get().notes == []
