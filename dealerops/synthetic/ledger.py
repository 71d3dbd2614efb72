"""The commission side of a generated network: the lenders' policies (a realistic mix of
bases, as Chinese lenders pay them), the ledger posted up to the last day, and the months
before the last two closed, as finance staff would have left them."""

from datetime import date
from decimal import Decimal

from dateutil.relativedelta import relativedelta

from dealerops.models import User
from dealerops.synthetic.spec import NetworkSpec
from finance.models import CommissionBasis, CommissionPeriod, Lender, PeriodStatus
from finance.services.ledger import commissions_post, period_close
from finance.services.policies import PolicyTerms, TierTerms, policy_version_create

D = Decimal
STANDARD_CLAWBACK = {90: D("1"), 180: D("0.5")}

# Per lender code: the terms of its first version (banks mostly pay a share of the amount
# financed; captive auto-finance companies a dealer reserve; leasing a fixed fee).
POLICIES: dict[str, dict] = {
    "ICBC": {
        "basis": CommissionBasis.PRINCIPAL_BASED,
        "ratio": D("0.008"),
        "cap_per_loan": D("3000.00"),
        "tiers": [TierTerms(credit_grade="A", ratio=D("0.010")), TierTerms(credit_grade="E", ratio=D("0"))],
        "clawback": STANDARD_CLAWBACK,
    },
    "SAICGMAC": {
        "basis": CommissionBasis.RESERVE,
        "ratio": D("0.70"),
        "max_markup": D("0.020"),
        "clawback": STANDARD_CLAWBACK,
    },
    "CCB": {
        "basis": CommissionBasis.PRINCIPAL_BASED,
        "ratio": D("0.007"),
        "tiers": [TierTerms(term_band="37_60", ratio=D("0.009"))],
        "clawback": {90: D("1")},
    },
    "TMFC": {
        "basis": CommissionBasis.RATE_BASED,
        "ratio": D("0.08"),
        "tiers": [TierTerms(credit_grade="D", ratio=D("0.04")), TierTerms(credit_grade="E", ratio=D("0"))],
        "clawback": STANDARD_CLAWBACK,
    },
    "CMB": {
        "basis": CommissionBasis.PRINCIPAL_BASED,
        "ratio": D("0.009"),
        "min_principal": D("30000.00"),
        "clawback": {180: D("0.5")},
    },
    "FELH": {"basis": CommissionBasis.FLAT, "amount": D("1200.00"), "clawback": {90: D("1")}},
    "PAB": {
        "basis": CommissionBasis.PRINCIPAL_BASED,
        "ratio": D("0.010"),
        "cap_per_loan": D("2500.00"),
        "tiers": [TierTerms(credit_grade="E", ratio=D("0"))],
        "clawback": STANDARD_CLAWBACK,
    },
    "VWFS": {
        "basis": CommissionBasis.RESERVE,
        "ratio": D("0.60"),
        "max_markup": D("0.015"),
        "clawback": {60: D("1"), 120: D("0.5")},
    },
}
# ICBC lowered its rate half a year before the last day: a second version shows how a loan is
# paid by the version in force when it was disbursed.
SECOND_VERSION = ("ICBC", {**POLICIES["ICBC"], "ratio": D("0.0075")})


def policies_install(*, start: date, end: date) -> int:
    """Give every lender of the network its policy from ``start`` (and ICBC a second version
    six months before ``end``); returns the number of versions written."""
    written = 0
    for lender in Lender.objects.filter(code__in=POLICIES):
        policy_version_create(lender=lender, terms=PolicyTerms(effective_from=start, **POLICIES[lender.code]))
        written += 1
    code, terms = SECOND_VERSION
    lender = Lender.objects.filter(code=code).first()
    second_start = end.replace(day=1) - relativedelta(months=6)
    if lender is not None and second_start > start:
        policy_version_create(lender=lender, terms=PolicyTerms(effective_from=second_start, **terms))
        written += 1
    return written


def window_start(spec: NetworkSpec) -> date:
    """The first day of the network's first month."""
    return spec.end_date.replace(day=1) - relativedelta(months=spec.months - 1)


def ledger_build(spec: NetworkSpec, *, closed_by: User) -> None:
    """Policies, the ledger posted up to the last day, and every month but the last two closed."""
    end = spec.end_date
    policies_install(start=window_start(spec), end=end)
    commissions_post(as_of=end)
    last_closed = end.replace(day=1) - relativedelta(months=2)
    for period in CommissionPeriod.objects.filter(status=PeriodStatus.OPEN, month__lte=last_closed).order_by("month"):
        period_close(period=period, closed_by=closed_by)
