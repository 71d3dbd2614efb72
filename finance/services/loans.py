"""Writes for car loans."""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from dateutil.relativedelta import relativedelta
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import DateField, F, Func
from django.db.models.functions import Now
from django.utils.translation import gettext as _

from dealerops.formats import format_percent
from dealerops.jobs import tracked_run
from dealerops.models import JobRun
from dealerops.validation import ensure_not_future
from finance.models import CLOSED_STATUSES, LOAN_TRANSITIONS, Lender, Loan, LoanStatus
from inventory.models import Payment, Sale
from inventory.services import sale_record


@dataclass(frozen=True)
class LoanTerms:
    """What a dealer enters for the loan part of a loan sale."""

    reference: str
    lender: Lender
    down_payment: Decimal
    annual_rate: Decimal
    term_months: int
    credit_grade: str
    applied_on: date
    buy_rate: Decimal | None = None
    status: str = LoanStatus.APPLIED
    disbursed_on: date | None = None


@transaction.atomic
def loan_create(*, sale: Sale, terms: LoanTerms) -> Loan:
    """Attach a loan to a loan sale. The principal is what the down payment leaves of the price."""
    ensure_not_future(applied_on=terms.applied_on, disbursed_on=terms.disbursed_on)
    if sale.payment != Payment.LOAN:
        raise ValidationError({"payment": _("A loan can only be attached to a sale paid by loan.")})
    principal = sale.transaction_price - terms.down_payment
    if principal <= 0:
        raise ValidationError({"down_payment": _("The down payment must be less than the sale price.")})
    refusal = loan_buy_rate_refusal(annual_rate=terms.annual_rate, buy_rate=terms.buy_rate)
    if refusal:
        raise ValidationError({"buy_rate": refusal})
    loan = Loan(
        reference=terms.reference.strip(),
        sale=sale,
        dealer_id=sale.dealer_id,
        lender=terms.lender,
        principal=principal,
        down_payment=terms.down_payment,
        annual_rate=terms.annual_rate,
        buy_rate=terms.buy_rate,
        term_months=terms.term_months,
        credit_grade=terms.credit_grade,
        status=terms.status,
        applied_on=terms.applied_on,
        disbursed_on=terms.disbursed_on,
    )
    loan.full_clean()
    loan.save()
    return loan


@transaction.atomic
def loan_sale_record(*, loan_terms: LoanTerms | None, **sale_fields) -> Sale:
    """Record a sale and, for a loan sale, its loan: both or neither."""
    payment = sale_fields["payment"]
    if payment == Payment.LOAN and loan_terms is None:
        raise ValidationError({"payment": _("A loan sale needs the loan's details.")})
    if payment != Payment.LOAN and loan_terms is not None:
        raise ValidationError({"payment": _("Only a loan sale can carry a loan.")})
    sale = sale_record(**sale_fields)
    if loan_terms is not None:
        loan_create(sale=sale, terms=loan_terms)
    return sale


@transaction.atomic
def loan_status_change(*, loan: Loan, status: str, on: date) -> Loan:
    """Move a loan forward: approved, rejected, disbursed (``on`` is the disbursement day),
    or paid off early / defaulted / matured (``on`` is the closing day). A move backwards,
    such as defaulted -> disbursed, is refused (the database refuses it too)."""
    loan = Loan.objects.select_for_update().get(pk=loan.pk)
    refusal = loan_transition_refusal(old=loan.status, new=status)
    if refusal:
        raise ValidationError({"status": refusal})
    ensure_not_future(on=on)
    if status == LoanStatus.DISBURSED:
        if on < loan.applied_on:
            raise ValidationError({"on": _("A loan cannot be disbursed before it was applied for.")})
        loan.disbursed_on = on
    elif status in CLOSED_STATUSES:
        if status == LoanStatus.MATURED and on < loan.disbursed_on + relativedelta(months=loan.term_months):
            raise ValidationError({"status": _("This loan's term has not ended yet: close it as paid off early.")})
        if on < loan.disbursed_on:
            raise ValidationError({"on": _("A loan cannot close before it was disbursed.")})
        loan.closed_on = on
    loan.status = status
    loan.save(update_fields=["status", "disbursed_on", "closed_on", "updated_at"])
    return loan


def loan_transition_refusal(*, old: str, new: str) -> str | None:
    """Why a loan's status cannot move from ``old`` to ``new``, or None when it may. Shared by
    the status form and the data hub's loan import, so both refuse with the same words."""
    if (old, new) in LOAN_TRANSITIONS:
        return None
    return _("A loan cannot go from %(old)s to %(new)s.") % {
        "old": LoanStatus(old).label,
        "new": LoanStatus(new).label,
    }


def loan_buy_rate_refusal(*, annual_rate: Decimal | None, buy_rate: Decimal | None) -> str | None:
    """Why a loan's buy rate is refused, or None. The lender's buy rate is what it charges the
    dealer, the annual rate what the customer pays: a buy rate above it is a typing mistake.
    Shared by loan entry (page, API) and the data hub's loan import; the database checks it too."""
    if annual_rate is None or buy_rate is None or buy_rate <= annual_rate:
        return None
    return _("The lender buy rate (%(buy_rate)s) cannot be above the loan's annual rate (%(annual_rate)s).") % {
        "buy_rate": format_percent(buy_rate),
        "annual_rate": format_percent(annual_rate),
    }


class AddMonths(Func):
    """``date + n months`` in PostgreSQL, as a date (end-of-month safe: Jan 31 + 1 month = Feb 28)."""

    template = "(%(expressions)s))::date"
    arg_joiner = " + make_interval(months => "
    output_field = DateField()


def loans_mature(*, as_of: date, started_by_id: int | None = None) -> JobRun:
    """Close every disbursed loan whose term has run out by ``as_of`` as matured, dated on its
    maturity day. One set-based UPDATE; re-running it changes nothing (idempotent)."""
    maturity = AddMonths(F("disbursed_on"), F("term_months"))
    with (
        tracked_run("finance.mature_loans", period=as_of.isoformat(), started_by_id=started_by_id) as run,
        transaction.atomic(),
    ):
        run.rows = (
            Loan.objects.filter(status=LoanStatus.DISBURSED)
            .annotate(matures_on=maturity)
            .filter(matures_on__lte=as_of)
            .update(status=LoanStatus.MATURED, closed_on=maturity, updated_at=Now())
        )
    return run
