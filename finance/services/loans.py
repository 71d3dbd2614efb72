"""Writes for car loans."""

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from dateutil.relativedelta import relativedelta
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import DateField, F, Func
from django.db.models.functions import Now
from django.utils import timezone
from django.utils.translation import gettext as _

from dealerops.access import role_of
from dealerops.formats import format_percent
from dealerops.jobs import tracked_run
from dealerops.models import JobRun, Role, User
from dealerops.validation import ensure_not_future
from finance.models import (
    CLAWBACK_STATUSES,
    CLOSED_STATUSES,
    DISBURSED_STATUSES,
    LOAN_TRANSITIONS,
    Lender,
    LenderStatement,
    Loan,
    LoanStatus,
    LoanStatusReport,
    ReportDecision,
    StatementLine,
)
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
def loan_create(*, sale: Sale, terms: LoanTerms, entered_by: User) -> Loan:
    """Attach a loan to a loan sale. The principal is what the down payment leaves of the price.
    A loan entered as disbursed by someone whose money moves need confirmation is stored as
    approved, its disbursement reported for finance to confirm (``loan_status_request``)."""
    ensure_not_future(applied_on=terms.applied_on, disbursed_on=terms.disbursed_on)
    reported = loan_move_needs_confirmation(user=entered_by, old=None, new=terms.status)
    if reported and terms.disbursed_on is None:
        raise ValidationError({"disbursed_on": _("A disbursed loan needs its disbursement date.")})
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
        status=LoanStatus.APPROVED if reported else terms.status,
        applied_on=terms.applied_on,
        disbursed_on=None if reported else terms.disbursed_on,
    )
    loan.full_clean()
    loan.save()
    if reported:
        loan_status_request(loan=loan, status=terms.status, on=terms.disbursed_on, user=entered_by)
    return loan


@transaction.atomic
def loan_sale_record(*, loan_terms: LoanTerms | None, entered_by: User, **sale_fields) -> Sale:
    """Record a sale and, for a loan sale, its loan: both or neither."""
    payment = sale_fields["payment"]
    if payment == Payment.LOAN and loan_terms is None:
        raise ValidationError({"payment": _("A loan sale needs the loan's details.")})
    if payment != Payment.LOAN and loan_terms is not None:
        raise ValidationError({"payment": _("Only a loan sale can carry a loan.")})
    sale = sale_record(**sale_fields)
    if loan_terms is not None:
        loan_create(sale=sale, terms=loan_terms, entered_by=entered_by)
    return sale


@transaction.atomic
def loan_status_change(*, loan: Loan, status: str, on: date) -> Loan:
    """Move a loan forward: approved, rejected, disbursed (``on`` is the disbursement day),
    or paid off early / defaulted / matured (``on`` is the closing day). A move backwards,
    such as defaulted -> disbursed, is refused (the database refuses it too). Applied as it
    is: a dealer's move that moves money goes through ``loan_status_request`` instead."""
    loan = Loan.objects.select_for_update().get(pk=loan.pk)
    _ensure_move(loan, status, on)
    if status == LoanStatus.DISBURSED:
        loan.disbursed_on = on
    elif status in CLOSED_STATUSES:
        loan.closed_on = on
    loan.status = status
    loan.save(update_fields=["status", "disbursed_on", "closed_on", "updated_at"])
    return loan


def _ensure_move(loan: Loan, status: str, on: date) -> None:
    """Refuse, naming the field, a move the loan cannot make from where it is."""
    refusal = loan_transition_refusal(old=loan.status, new=status)
    if refusal:
        raise ValidationError({"status": refusal})
    ensure_not_future(on=on)
    if status == LoanStatus.DISBURSED and on < loan.applied_on:
        raise ValidationError({"on": _("A loan cannot be disbursed before it was applied for.")})
    if status in CLOSED_STATUSES:
        if status == LoanStatus.MATURED and on < loan.disbursed_on + relativedelta(months=loan.term_months):
            raise ValidationError({"status": _("This loan's term has not ended yet: close it as paid off early.")})
        if on < loan.disbursed_on:
            raise ValidationError({"on": _("A loan cannot close before it was disbursed.")})


def loan_moves_confirmed_by(user: User) -> bool:
    """Whether ``user`` confirms loan moves that move money (finance and head office) rather
    than reporting them for confirmation (a dealer user)."""
    return role_of(user) in (Role.FINANCE, Role.HEAD_OFFICE)


def loan_move_moves_money(*, old: str | None, new: str) -> bool:
    """Whether a loan going from ``old`` (None: a new loan) to ``new`` makes the ledger post:
    an accrual on reaching a disbursed status, a clawback on an early payoff or a default."""
    if old == new:
        return False
    if new in CLAWBACK_STATUSES:
        return True
    return new in DISBURSED_STATUSES and old not in DISBURSED_STATUSES


def loan_move_needs_confirmation(*, user: User, old: str | None, new: str) -> bool:
    """The one rule: a move that moves money, made by someone who does not confirm such moves
    (a dealer user), waits for finance's confirmation. Shared by the status page, the API, the
    sale and loan entry, and the loan import."""
    return loan_move_moves_money(old=old, new=new) and not loan_moves_confirmed_by(user)


@transaction.atomic
def loan_status_request(*, loan: Loan, status: str, on: date, user: User) -> Loan:
    """A status change as the page and the API ask for it: applied at once, or, for a move
    that needs confirmation, reported (the loan keeps its status and shows the move as
    awaiting confirmation). Returns the loan as it now is."""
    if not loan_move_needs_confirmation(user=user, old=loan.status, new=status):
        return loan_status_change(loan=loan, status=status, on=on)
    loan = Loan.objects.select_for_update().get(pk=loan.pk)
    _ensure_move(loan, status, on)
    if loan.status_reports.filter(decision=ReportDecision.PENDING).exists():
        raise ValidationError({"status": _("A move of this loan already awaits finance's confirmation.")})
    LoanStatusReport.objects.create(loan=loan, status=status, on=on, reported_by=user)
    return loan


def _pending_report(loan: Loan) -> LoanStatusReport:
    report = loan.status_reports.select_for_update().filter(decision=ReportDecision.PENDING).first()
    if report is None:
        raise ValidationError({"status": _("No move of this loan awaits confirmation.")})
    return report


def _ensure_confirmer(user: User) -> None:
    # A refusal like the others (the dealer may write the loan, just not decide its report).
    if not loan_moves_confirmed_by(user):
        raise ValidationError({"status": _("Only finance confirms or rejects a loan's reported move.")})


@transaction.atomic
def loan_status_confirm(*, loan: Loan, user: User, note: str = "") -> Loan:
    """Apply the loan's reported move (checked again: the loan may have moved meanwhile); the
    ledger posts it like any other move. ``note`` says what bore it out, if not finance's word."""
    _ensure_confirmer(user)
    report = _pending_report(loan)
    report.note = note[:200]
    if report.disbursed_on is not None and loan.status not in DISBURSED_STATUSES:
        loan = loan_status_change(loan=loan, status=LoanStatus.DISBURSED, on=report.disbursed_on)
    loan = loan_status_change(loan=loan, status=report.status, on=report.on)
    report.decision, report.decided_by, report.decided_at = ReportDecision.CONFIRMED, user, timezone.now()
    report.save(update_fields=["decision", "decided_by", "decided_at", "note", "updated_at"])
    return loan


def loan_reports_confirm_by_statement(*, statement: LenderStatement, user: User) -> int:
    """Confirm the reported moves a lender's statement bears out, as finance uploading it: a
    line paying commission on a loan confirms its reported disbursement; a line taking
    commission back, its reported early payoff or default. A report the statement does not
    bear out, or whose move the loan can no longer make, stays for finance. Returns how many
    were confirmed."""
    lines = StatementLine.objects.filter(statement=statement, loan__isnull=False, amount__isnull=False)
    pending = LoanStatusReport.objects.filter(decision=ReportDecision.PENDING, loan__in=lines.values("loan"))
    lines_of_loan: dict[int, list[tuple[int, Decimal]]] = defaultdict(list)  # read once, not a query per report
    for loan_id, row_number, amount in lines.values_list("loan_id", "row_number", "amount"):
        lines_of_loan[loan_id].append((row_number, amount))
    confirmed = 0
    for report in pending.select_related("loan").order_by("loan_id"):
        for row_number, amount in lines_of_loan[report.loan_id]:
            borne_out = amount > 0 if report.status not in CLAWBACK_STATUSES else amount < 0
            if not borne_out:
                continue
            note = _("Confirmed by lender statement %(reference)s, row %(row)s.") % {
                "reference": statement.reference,
                "row": row_number,
            }
            try:
                with transaction.atomic():
                    loan_status_confirm(loan=report.loan, user=user, note=note)
            except ValidationError:
                break  # the loan moved meanwhile: finance decides
            confirmed += 1
            break
    return confirmed


@transaction.atomic
def loan_status_reject(*, loan: Loan, user: User, note: str = "") -> Loan:
    """Turn the loan's reported move down; the loan stays as it is."""
    _ensure_confirmer(user)
    report = _pending_report(loan)
    report.decision, report.decided_by, report.decided_at = ReportDecision.REJECTED, user, timezone.now()
    report.note = note.strip()[:200]
    report.save(update_fields=["decision", "decided_by", "decided_at", "note", "updated_at"])
    return Loan.objects.get(pk=loan.pk)


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
