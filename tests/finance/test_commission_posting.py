"""The nightly commission posting: every basis to the fen, tiers, caps, versions by
disbursement day, clawbacks, late events of closed periods, and idempotency."""

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal

import pytest
from django.db import connection
from django.db.models import Sum

from dealerops.models import JobRun, JobStatus
from finance.models import (
    ClawbackStep,
    CommissionBasis,
    CommissionEntry,
    CommissionPeriod,
    EntryKind,
    Loan,
    LoanStatus,
    PeriodStatus,
    PostingCandidate,
)
from finance.services import ledger
from finance.services.ledger import commissions_post, period_close
from finance.services.loans import loan_status_change
from finance.services.policies import PolicyTerms, TierTerms, policy_version_create
from finance.tasks import post_commissions
from inventory.models import Payment, Sale, StockStatus, StockUnit
from tests.factories import (
    CustomerFactory,
    DealerFactory,
    LenderFactory,
    LoanFactory,
    SaleFactory,
    UserFactory,
    VehicleModelFactory,
)

D = Decimal
POLICY_START = dt.date(2025, 1, 1)
AS_OF = dt.date(2025, 12, 31)


@pytest.fixture
def dealer(db):
    return DealerFactory()


@pytest.fixture
def lender(db):
    return LenderFactory(code="ICBC", name="ICBC Auto")


def policy(lender, basis=CommissionBasis.RATE_BASED, start=POLICY_START, **terms):
    defaults = {"ratio": D("0.010000")} if basis != CommissionBasis.FLAT else {"amount": D("500.00")}
    return policy_version_create(
        lender=lender, terms=PolicyTerms(basis=basis, effective_from=start, **{**defaults, **terms})
    )


def make_loan(dealer, lender, *, principal="300000.00", rate="0.050000", disbursed=dt.date(2025, 3, 10), **fields):
    down = D("50000.00")
    sale = SaleFactory(
        dealer=dealer,
        payment=Payment.LOAN,
        transaction_price=D(principal) + down,
        sold_on=disbursed - dt.timedelta(days=2),
        stock_unit__arrived_on=disbursed - dt.timedelta(days=30),
    )
    return LoanFactory(
        sale=sale,
        lender=lender,
        down_payment=down,
        annual_rate=D(rate),
        applied_on=sale.sold_on,
        **{"disbursed_on": disbursed, **fields},
    )


def accrual_of(loan) -> CommissionEntry:
    return CommissionEntry.objects.get(loan=loan, kind=EntryKind.ACCRUAL)


def test_the_articles_example_300000_at_5_percent_with_a_1_percent_ratio_earns_150_yuan(dealer, lender):
    used = policy(lender)
    loan = make_loan(dealer, lender)

    run = commissions_post(as_of=AS_OF)

    entry = accrual_of(loan)
    assert entry.amount == D("150.00")
    assert (entry.policy, entry.period.month, entry.event_on) == (used, dt.date(2025, 3, 1), loan.disbursed_on)
    assert (entry.principal, entry.annual_rate, entry.ratio, entry.capped) == (
        D("300000.00"),
        D("0.050000"),
        D("0.010000"),
        False,
    )
    assert (run.status, run.rows, run.amount) == (JobStatus.SUCCEEDED, 1, D("150.00"))


def test_the_articles_store_case_1050_loans_of_200000_at_6_percent_earn_126000_yuan(dealer, lender):
    """1,500 sales, 70 % on loan, 200,000 financed at 6 %, ratio 1 %: 1,050 x 120 = 126,000.00."""
    policy(lender)
    customer = CustomerFactory(home_dealer=dealer)
    sold_on = dt.date(2025, 5, 20)
    model = VehicleModelFactory()
    units = StockUnit.objects.bulk_create(
        StockUnit(
            vin=f"LSVWAB{number:011d}",
            model=model,
            dealer=dealer,
            status=StockStatus.SOLD,
            ordered_on=dt.date(2025, 4, 1),
            arrived_on=dt.date(2025, 5, 1),
        )
        for number in range(1500)
    )
    sales = Sale.objects.bulk_create(
        Sale(
            stock_unit=unit,
            dealer=dealer,
            customer=customer,
            salesperson="Li Na",
            sold_on=sold_on,
            transaction_price=D("250000.00"),
            payment=Payment.LOAN if number < 1050 else Payment.CASH,
            registered_city="Hangzhou",
        )
        for number, unit in enumerate(units)
    )
    Loan.objects.bulk_create(
        Loan(
            reference=f"STORE{number:05d}",
            sale=sale,
            dealer=dealer,
            lender=lender,
            principal=D("200000.00"),
            down_payment=D("50000.00"),
            annual_rate=D("0.060000"),
            term_months=36,
            credit_grade="B",
            status=LoanStatus.DISBURSED,
            applied_on=sold_on,
            disbursed_on=sold_on,
        )
        for number, sale in enumerate(sales[:1050])
    )

    run = commissions_post(as_of=AS_OF)

    accruals = CommissionEntry.objects.filter(dealer=dealer, kind=EntryKind.ACCRUAL)
    assert accruals.count() == 1050
    assert set(accruals.values_list("amount", flat=True)) == {D("120.00")}
    assert accruals.aggregate(total=Sum("amount"))["total"] == D("126000.00")
    assert run.amount == D("126000.00")


def test_principal_based_flat_and_capped_policies(dealer):
    by_principal = LenderFactory(code="BOC")
    flat = LenderFactory(code="AFC")
    capped = LenderFactory(code="CCB")
    policy(by_principal, CommissionBasis.PRINCIPAL_BASED, ratio=D("0.008000"))
    policy(flat, CommissionBasis.FLAT, amount=D("680.00"))
    policy(capped, CommissionBasis.PRINCIPAL_BASED, ratio=D("0.010000"), cap_per_loan=D("1000.00"))
    loans = [
        make_loan(dealer, by_principal, principal="200000.00"),
        make_loan(dealer, flat),
        make_loan(dealer, capped, principal="150000.00"),
    ]

    commissions_post(as_of=AS_OF)

    assert [accrual_of(loan).amount for loan in loans] == [D("1600.00"), D("680.00"), D("1000.00")]
    assert [accrual_of(loan).capped for loan in loans] == [False, False, True]


def test_amounts_round_half_up_to_the_fen(dealer, lender):
    policy(lender, CommissionBasis.PRINCIPAL_BASED, ratio=D("0.010000"))
    loan = make_loan(dealer, lender, principal="123456.50")  # 1,234.565 yuan

    commissions_post(as_of=AS_OF)

    assert accrual_of(loan).amount == D("1234.57")  # half-even would give 1,234.56


def test_the_most_specific_tier_overrides_the_ratio(dealer, lender):
    policy(
        lender,
        ratio=D("0.010000"),
        tiers=[
            TierTerms(credit_grade="A", ratio=D("0.015000")),
            TierTerms(term_band="37_60", ratio=D("0.012000")),
            TierTerms(credit_grade="A", term_band="37_60", ratio=D("0.020000")),
            TierTerms(credit_grade="E", ratio=D("0")),
        ],
    )
    plain = make_loan(dealer, lender, credit_grade="B", term_months=24)
    grade_a = make_loan(dealer, lender, credit_grade="A", term_months=24)
    long_term = make_loan(dealer, lender, credit_grade="B", term_months=48)
    both = make_loan(dealer, lender, credit_grade="A", term_months=60)
    grade_e = make_loan(dealer, lender, credit_grade="E", term_months=60)

    commissions_post(as_of=AS_OF)

    # 300,000 x 5 % = 15,000 of interest a year, times the ratio that applies.
    assert [accrual_of(loan).amount for loan in (plain, grade_a, long_term, both, grade_e)] == [
        D("150.00"),
        D("225.00"),
        D("180.00"),
        D("300.00"),
        D("0.00"),
    ]
    assert accrual_of(both).ratio == D("0.020000")


def amortised_interest(principal: Decimal, annual_rate: Decimal, months: int) -> Decimal:
    monthly = annual_rate / 12
    payment = principal * monthly / (1 - (1 + monthly) ** -months)
    return months * payment - principal


def test_the_dealer_reserve_is_its_share_of_the_interest_above_the_buy_rate_with_the_markup_capped(dealer):
    captive = LenderFactory(code="SAIC", kind="auto_finance")
    policy(captive, CommissionBasis.RESERVE, ratio=D("0.700000"), max_markup=D("0.020000"))
    within_cap = make_loan(
        dealer, captive, principal="200000.00", rate="0.059900", buy_rate=D("0.045000"), term_months=36
    )
    over_cap = make_loan(
        dealer, captive, principal="200000.00", rate="0.089900", buy_rate=D("0.045000"), term_months=36
    )
    no_buy_rate = make_loan(dealer, captive, principal="200000.00", rate="0.059900", term_months=36)

    commissions_post(as_of=AS_OF)

    def expected(contract: str) -> Decimal:
        reserve = amortised_interest(D("200000.00"), D(contract), 36) - amortised_interest(
            D("200000.00"), D("0.045"), 36
        )
        return (D("0.7") * reserve).quantize(D("0.01"), rounding=ROUND_HALF_UP)

    assert accrual_of(within_cap).amount == expected("0.0599")
    assert accrual_of(over_cap).amount == expected("0.065")  # the mark-up stops at 2 points
    assert not CommissionEntry.objects.filter(loan=no_buy_rate).exists()
    assert D("2000") < accrual_of(within_cap).amount < D("5000")  # a plausible reserve, not a unit slip


def test_loans_below_the_minimum_principal_or_not_disbursed_earn_nothing(dealer, lender):
    policy(lender, min_principal=D("50000.00"))
    small = make_loan(dealer, lender, principal="40000.00")
    applied = make_loan(dealer, lender, status=LoanStatus.APPLIED, disbursed_on=None)
    later = make_loan(dealer, lender, disbursed=dt.date(2026, 1, 5))

    commissions_post(as_of=AS_OF)

    assert not CommissionEntry.objects.filter(loan__in=[small, applied, later]).exists()


def test_a_loan_is_paid_by_the_version_in_force_on_its_disbursement_day(dealer, lender):
    first = policy(lender, ratio=D("0.010000"))
    june = make_loan(dealer, lender, disbursed=dt.date(2025, 6, 30))
    second = policy(lender, start=dt.date(2025, 7, 1), ratio=D("0.008000"))
    july = make_loan(dealer, lender, disbursed=dt.date(2025, 7, 1))

    commissions_post(as_of=AS_OF)

    first.refresh_from_db()
    assert first.effective_to == dt.date(2025, 6, 30)
    assert (accrual_of(june).policy, accrual_of(june).amount) == (first, D("150.00"))
    assert (accrual_of(july).policy, accrual_of(july).amount) == (second, D("120.00"))


def test_a_second_run_posts_nothing_twice(dealer, lender):
    policy(lender, clawback={90: D("1")})
    make_loan(dealer, lender)
    make_loan(dealer, lender, status=LoanStatus.PAID_OFF_EARLY, closed_on=dt.date(2025, 4, 1))
    first = commissions_post(as_of=AS_OF)

    second = commissions_post(as_of=AS_OF)

    assert (first.rows, second.rows, second.amount) == (3, 0, D("0.00"))
    assert CommissionEntry.objects.count() == 3
    assert CommissionEntry.objects.aggregate(total=Sum("amount"))["total"] == D("150.00")


def test_a_run_that_fails_half_way_posts_nothing_and_the_next_run_posts_everything(dealer, lender, monkeypatch):
    policy(lender, clawback={90: D("1")})
    make_loan(dealer, lender, status=LoanStatus.DEFAULTED, closed_on=dt.date(2025, 4, 1))
    monkeypatch.setattr(ledger, "CLAWBACKS", "SELECT 1/0")

    with pytest.raises(Exception, match="division by zero"):
        commissions_post(as_of=AS_OF)

    failed = JobRun.objects.get(job=ledger.POST_JOB)
    assert failed.status == JobStatus.FAILED and "division by zero" in failed.error
    assert not CommissionEntry.objects.exists()  # the accruals of the failed run were rolled back
    monkeypatch.undo()
    assert commissions_post(as_of=AS_OF).rows == 2


def test_clawbacks_take_back_the_share_of_the_shortest_window(dealer, lender):
    policy(lender, clawback={90: D("1"), 180: D("0.5")})
    disbursed = dt.date(2025, 3, 10)
    within_90 = make_loan(dealer, lender, status=LoanStatus.PAID_OFF_EARLY, closed_on=disbursed + dt.timedelta(days=90))
    within_180 = make_loan(dealer, lender, status=LoanStatus.DEFAULTED, closed_on=disbursed + dt.timedelta(days=91))
    after = make_loan(dealer, lender, status=LoanStatus.PAID_OFF_EARLY, closed_on=disbursed + dt.timedelta(days=181))

    commissions_post(as_of=AS_OF)

    full = CommissionEntry.objects.get(loan=within_90, kind=EntryKind.CLAWBACK)
    half = CommissionEntry.objects.get(loan=within_180, kind=EntryKind.CLAWBACK)
    assert (full.amount, full.clawback_share, full.days_on_book) == (D("-150.00"), D("1.000000"), 90)
    assert (half.amount, half.clawback_share, half.days_on_book) == (D("-75.00"), D("0.500000"), 91)
    assert full.original == accrual_of(within_90)
    assert full.period.month == dt.date(2025, 6, 1)  # booked in the month the loan closed
    assert not CommissionEntry.objects.filter(loan=after, kind=EntryKind.CLAWBACK).exists()


def test_a_late_event_of_a_closed_month_is_booked_in_the_next_open_period(dealer, lender):
    finance = UserFactory(username="fin", role="finance")
    policy(lender, clawback={90: D("1")})
    make_loan(dealer, lender, disbursed=dt.date(2025, 9, 10))
    commissions_post(as_of=dt.date(2025, 10, 31))
    for month in (9, 10):
        period_close(period=CommissionPeriod.objects.get(month=dt.date(2025, month, 1)), closed_by=finance)
    late = make_loan(
        dealer,
        lender,
        disbursed=dt.date(2025, 10, 20),
        status=LoanStatus.PAID_OFF_EARLY,
        closed_on=dt.date(2025, 10, 30),
    )

    commissions_post(as_of=dt.date(2025, 11, 5))

    accrual = accrual_of(late)
    clawback = CommissionEntry.objects.get(loan=late, kind=EntryKind.CLAWBACK)
    assert (accrual.event_on, accrual.period.month) == (dt.date(2025, 10, 20), dt.date(2025, 11, 1))
    assert (clawback.period.month, clawback.original) == (dt.date(2025, 11, 1), accrual)
    october = CommissionPeriod.objects.get(month=dt.date(2025, 10, 1))
    assert october.status == PeriodStatus.CLOSED and not october.entries.exists()


def test_the_nightly_task_posts_for_a_given_day_and_records_its_run(dealer, lender):
    policy(lender)
    make_loan(dealer, lender)

    run_id = post_commissions.delay(as_of="2025-12-31").get()

    run = JobRun.objects.get(pk=run_id)
    assert (run.job, run.period, run.status, run.rows, run.amount) == (
        "finance.post_commissions",
        "2025-12-31",
        JobStatus.SUCCEEDED,
        1,
        D("150.00"),
    )
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM finance_commissionentry WHERE job_run_id = %s", [run_id])
        assert cursor.fetchone()[0] == 1


# -- the nightly run reads the queued loans only --------------------------------------------------


@pytest.fixture
def posted_once(dealer, lender):
    """A ledger with an accrual in it, so the next run is a nightly one (the first reads every loan)."""
    policy(lender, clawback={90: D("1")})
    make_loan(dealer, lender, disbursed=dt.date(2025, 2, 1))
    assert commissions_post(as_of=dt.date(2025, 2, 28)).rows == 1


def queued_loans() -> set[int]:
    return set(PostingCandidate.objects.exclude(loan=None).values_list("loan_id", flat=True))


def test_a_nightly_run_posts_the_loans_disbursed_or_closed_since_and_empties_the_queue(dealer, lender, posted_once):
    applied = make_loan(dealer, lender, status=LoanStatus.APPROVED, disbursed_on=None)
    accrued = Loan.objects.get(disbursed_on=dt.date(2025, 2, 1))
    assert queued_loans() == set()  # neither is due yet
    loan_status_change(loan=applied, status=LoanStatus.DISBURSED, on=dt.date(2025, 3, 10))
    loan_status_change(loan=accrued, status=LoanStatus.PAID_OFF_EARLY, on=dt.date(2025, 3, 12))
    assert queued_loans() == {applied.pk, accrued.pk}
    assert not ledger._needs_full_posting(dt.date(2025, 3, 31))

    run = commissions_post(as_of=dt.date(2025, 3, 31))

    assert (run.rows, run.amount) == (2, D("0.00"))  # 150.00 accrued, 150.00 clawed back
    assert (accrual_of(applied).amount, accrual_of(applied).event_on) == (D("150.00"), dt.date(2025, 3, 10))
    assert CommissionEntry.objects.get(loan=accrued, kind=EntryKind.CLAWBACK).amount == D("-150.00")
    assert not PostingCandidate.objects.exists()
    assert commissions_post(as_of=dt.date(2025, 3, 31)).rows == 0


def test_a_nightly_run_posts_loans_disbursed_before_a_policy_created_later(dealer, posted_once):
    other = LenderFactory(code="CCB", name="CCB Auto")
    early = make_loan(dealer, other, disbursed=dt.date(2025, 2, 10))
    assert commissions_post(as_of=dt.date(2025, 2, 28)).rows == 0  # no policy covers it yet
    assert not PostingCandidate.objects.exists()

    policy(other, start=dt.date(2025, 1, 1), ratio=D("0.020000"))
    run = commissions_post(as_of=dt.date(2025, 3, 1))

    assert (run.rows, accrual_of(early).amount) == (1, D("300.00"))


def test_a_policy_version_whose_end_moves_later_pays_the_days_it_now_covers(dealer, lender, posted_once):
    other = LenderFactory(code="CCB", name="CCB Auto")
    ended = policy(other, start=dt.date(2025, 1, 1), effective_to=dt.date(2025, 1, 31))
    february = make_loan(dealer, other, disbursed=dt.date(2025, 2, 10))
    assert commissions_post(as_of=dt.date(2025, 2, 28)).rows == 0

    ended.effective_to = dt.date(2025, 2, 28)
    ended.save(update_fields=["effective_to"])
    assert commissions_post(as_of=dt.date(2025, 3, 1)).rows == 1
    assert accrual_of(february).policy == ended


def test_a_clawback_window_added_to_a_used_policy_claws_back_at_the_next_run(dealer, posted_once):
    other = LenderFactory(code="CCB", name="CCB Auto")
    used = policy(other, start=dt.date(2025, 1, 1))
    closed = make_loan(
        dealer, other, disbursed=dt.date(2025, 2, 10), status=LoanStatus.PAID_OFF_EARLY, closed_on=dt.date(2025, 2, 20)
    )
    assert commissions_post(as_of=dt.date(2025, 2, 28)).rows == 1  # the accrual; no window yet

    ClawbackStep.objects.create(policy=used, within_days=30, share=D("0.5"))
    run = commissions_post(as_of=dt.date(2025, 3, 1))

    assert (run.rows, run.amount) == (1, D("-75.00"))
    assert CommissionEntry.objects.get(loan=closed, kind=EntryKind.CLAWBACK).original == accrual_of(closed)


def test_a_loan_disbursed_after_the_runs_day_stays_queued_for_a_later_run(dealer, lender, posted_once):
    later = make_loan(dealer, lender, disbursed=dt.date(2025, 3, 20))

    assert commissions_post(as_of=dt.date(2025, 3, 10)).rows == 0
    assert queued_loans() == {later.pk}
    assert commissions_post(as_of=dt.date(2025, 3, 20)).rows == 1
    assert accrual_of(later).amount == D("150.00")


def test_maturing_a_loan_queues_nothing(dealer, lender, posted_once):
    accrued = Loan.objects.get(disbursed_on=dt.date(2025, 2, 1))
    Loan.objects.filter(pk=accrued.pk).update(status=LoanStatus.MATURED, closed_on=dt.date(2028, 2, 1))

    assert not PostingCandidate.objects.exists()


def test_a_full_run_and_a_re_run_for_an_earlier_day_read_every_loan(dealer, lender, posted_once):
    # Loans written with the triggers bypassed (a bulk load in replica mode) are never queued.
    march = make_loan(dealer, lender, disbursed=dt.date(2025, 3, 5))
    april = make_loan(dealer, lender, disbursed=dt.date(2025, 4, 5))
    PostingCandidate.objects.all().delete()
    assert commissions_post(as_of=dt.date(2025, 3, 31)).rows == 0  # a nightly run does not see them

    assert commissions_post(as_of=dt.date(2025, 3, 10)).rows == 1  # an earlier day: reads every loan
    assert accrual_of(march).amount == D("150.00")
    assert queued_loans() == {april.pk}  # due after that day: queued for the run that reaches it
    PostingCandidate.objects.all().delete()
    run_id = post_commissions.delay(as_of="2025-04-30", full=True).get()  # the task's "full" mode
    assert JobRun.objects.get(pk=run_id).rows == 1
    assert accrual_of(april).amount == D("150.00")
