"""Reconciling a lender's statement with the commission ledger, and booking what it pays.

What a line is compared with: the loan's net commission with that lender (accruals +
clawbacks + adjustments; receipts excluded) from entries whose event date falls on or before
the last day of the line's month. A late event booked into a later period still counts for
the month it happened in, as it does for the lender; a clawback after the statement's month
does not, since the lender could not know it yet.

A loan is "in our ledger, not on the statement" when it has entries of that lender booked in
one of the statement's months and a non-zero net (same rule, up to the last such month).

Matching is two ``INSERT … SELECT`` statements over all lines at once (no query per line);
the result is stored so the page can be reopened and exported as it was computed.
"""

from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from dealerops.models import User
from dealerops.validation import today
from finance.models import Lender, LenderStatement, MatchStatus
from finance.services.ledger import _open_period_for
from finance.services.statement_files import statement_lines_parse

# The file's lines matched against the ledger's net per loan. Entries are reached by loan:
# the loan's lender is the statement's, and so is every entry of the loan.
MATCH_LINES = """
WITH line AS (
  SELECT * FROM unnest(%(rows)s::integer[], %(references)s::text[], %(months)s::date[], %(amounts)s::numeric[])
    AS t(row_number, loan_reference, month, amount)
),
known AS (
  SELECT line.*, loan.id AS loan_id
  FROM line LEFT JOIN finance_loan loan ON loan.reference = line.loan_reference AND loan.lender_id = %(lender)s
),
net AS (
  SELECT known.loan_id, sum(e.amount) AS ledger_amount
  FROM known JOIN finance_commissionentry e
    ON e.loan_id = known.loan_id AND e.kind IN ('accrual', 'clawback', 'adjustment')
   AND e.event_on < known.month + interval '1 month'
  GROUP BY known.loan_id
)
INSERT INTO finance_statementline (statement_id, row_number, loan_reference, month, loan_id, amount, ledger_amount,
                                   status)
SELECT %(statement)s, known.row_number, known.loan_reference, known.month, known.loan_id, known.amount,
       CASE WHEN known.loan_id IS NULL THEN NULL ELSE COALESCE(net.ledger_amount, 0) END,
       CASE WHEN known.loan_id IS NULL THEN 'unknown'
            WHEN known.amount = COALESCE(net.ledger_amount, 0) THEN 'matched' ELSE 'differs' END
FROM known LEFT JOIN net ON net.loan_id = known.loan_id
RETURNING loan_id
"""

# Then the loans with entries booked in the statement's months that the file omits. "Not in
# the file" compares with the matched loans' ids as a constant array, which PostgreSQL (15+)
# hashes: no join whose plan could turn quadratic on a statement's fresh, unanalysed lines.
MISSING_LINES = """
WITH omitted AS (
  SELECT e.loan_id, max(p.month) AS month
  FROM finance_commissionperiod p
  JOIN finance_commissionentry e ON e.period_id = p.id AND e.lender_id = %(lender)s
  WHERE p.month = ANY(%(months)s::date[]) AND e.kind IN ('accrual', 'clawback', 'adjustment')
    AND e.loan_id IS NOT NULL AND e.loan_id <> ALL(%(known)s::bigint[])
  GROUP BY e.loan_id
),
net AS (
  SELECT omitted.loan_id, omitted.month, sum(e.amount) AS ledger_amount
  FROM omitted JOIN finance_commissionentry e
    ON e.loan_id = omitted.loan_id AND e.kind IN ('accrual', 'clawback', 'adjustment')
   AND e.event_on < omitted.month + interval '1 month'
  GROUP BY omitted.loan_id, omitted.month
)
INSERT INTO finance_statementline (statement_id, row_number, loan_reference, month, loan_id, amount, ledger_amount,
                                   status)
SELECT %(statement)s, NULL, loan.reference, net.month, loan.id, NULL, net.ledger_amount, 'missing'
FROM net JOIN finance_loan loan ON loan.id = net.loan_id
WHERE net.ledger_amount <> 0
"""

# Receipts at the lender's amount; the ledger's unique key (lender, statement, loan) makes a
# second posting of the same line a no-op.
RECEIPTS = """
WITH booked AS (
  INSERT INTO finance_commissionentry
    (kind, period_id, event_on, loan_id, dealer_id, lender_id, amount, basis, credit_grade, capped, reason, note,
     statement_reference, created_by_id, created_at)
  SELECT 'receipt', %(period)s, %(event_on)s, line.loan_id, loan.dealer_id, statement.lender_id, line.amount,
         '', '', false, '', '', statement.reference, %(user)s, %(now)s
  FROM finance_statementline line
  JOIN finance_lenderstatement statement ON statement.id = line.statement_id
  JOIN finance_loan loan ON loan.id = line.loan_id
  WHERE line.statement_id = %(statement)s AND line.status = ANY(%(statuses)s) AND line.amount > 0
  ON CONFLICT (lender_id, statement_reference, loan_id) WHERE kind = 'receipt' DO NOTHING
  RETURNING amount
)
SELECT count(*), COALESCE(sum(amount), 0) FROM booked
"""


def lender_statement_upload(
    *, lender: Lender, reference: str, content: bytes, file_name: str, uploaded_by: User
) -> LenderStatement:
    """Store a statement with every line matched against the ledger, or write nothing."""
    reference = reference.strip()
    if not reference:
        raise ValidationError({"reference": _("Enter the statement's reference.")})
    if not reference.isprintable():
        raise ValidationError({"reference": _("A statement reference is one line of text.")})
    lines = statement_lines_parse(content=content, file_name=file_name)
    duplicate = _("Statement %(reference)s of %(lender)s was already uploaded.") % {
        "reference": reference,
        "lender": lender,
    }
    if LenderStatement.objects.filter(lender=lender, reference=reference).exists():
        raise ValidationError({"reference": duplicate})
    months = sorted({line.month for line in lines})
    try:
        with transaction.atomic():
            statement = LenderStatement.objects.create(
                lender=lender,
                reference=reference,
                first_month=months[0],
                last_month=months[-1],
                file_name=file_name[:255],
                line_count=len(lines),
                total_amount=sum((line.amount for line in lines), Decimal("0.00")),
                uploaded_by=uploaded_by,
            )
            params = {
                "statement": statement.pk,
                "lender": lender.pk,
                "rows": [line.row_number for line in lines],
                "references": [line.loan_reference for line in lines],
                "months": [line.month for line in lines],
                "amounts": [line.amount for line in lines],
            }
            with connection.cursor() as cursor:
                cursor.execute(MATCH_LINES, params)
                known = [loan_id for (loan_id,) in cursor.fetchall() if loan_id is not None]
                cursor.execute(MISSING_LINES, {**params, "months": months, "known": known})
    except IntegrityError as error:
        if "statement_reference_unique_per_lender" in str(error):  # uploaded at the same moment by someone else
            raise ValidationError({"reference": duplicate}) from None
        raise
    return statement


@dataclass(frozen=True)
class ReceiptPosting:
    booked: int
    amount: Decimal
    period: str


@transaction.atomic
def lender_statement_receipts_post(
    *, statement: LenderStatement, posted_by: User, include_differing: bool = False
) -> ReceiptPosting:
    """Book the statement's matched lines (and, if asked, the differing ones at the lender's
    amount) as receipts dated today, into today's period or the first open one after it.
    Lines already received are skipped; a zero or negative line is not a receipt."""
    statement = LenderStatement.objects.select_for_update().get(pk=statement.pk)
    received_on = today()
    period = _open_period_for(received_on)
    statuses = [MatchStatus.MATCHED.value] + ([MatchStatus.DIFFERS.value] if include_differing else [])
    with connection.cursor() as cursor:
        cursor.execute(
            RECEIPTS,
            {
                "statement": statement.pk,
                "statuses": statuses,
                "period": period.pk,
                "event_on": received_on,
                "user": posted_by.pk,
                "now": timezone.now(),
            },
        )
        booked, amount = cursor.fetchone()
    return ReceiptPosting(booked=booked, amount=amount, period=str(period))
