"""Reconciling a lender's statement with the commission ledger, and booking what it pays.

What a line is compared with: what is still owed on the loan, that is its net commission
with that lender (accruals + clawbacks + adjustments) from entries whose event date falls on
or before the last day of the line's month, less the receipts already booked for the loan
from the lender's other statements. A late event booked into a later period still counts
for the month it happened in, as it does for the lender; a clawback after the statement's
month does not, since the lender could not know it yet. Receipts count whenever they were
booked: money the lender paid on an earlier statement is not owed again.

The statement's own receipts never count against it (a receipt names its statement: the
ledger's key is lender, statement reference, loan), so a statement's result does not depend
on whether its own receipts were posted yet.

Each line falls in one category:

- matched: the line's amount is what is still owed; so the rest of a commission part paid
  on another statement matches, as does a negative line taking back a commission that was
  paid and then clawed back. (A first instalment cannot be told from a wrong amount: it
  differs, and finance may book it at the lender's amount.)
- already received: the lender's other statements paid the loan's net commission in full
  (nothing, or less than nothing, is owed) and the line asks for more;
- differs: any other amount;
- unknown: no loan of that lender has the line's reference.

A loan is "in our ledger, not on the statement" when it has entries of that lender booked in
one of the statement's months and something is still owed on it (same rule, up to the last
such month); a loan already paid in full on other statements is not missing.

Matching is two ``INSERT … SELECT`` statements over all lines at once (no query per line);
the result is stored so the page can be reopened and exported as it was computed. Receipts
are one more: only matched (and, if asked, differing) lines are booked, and only while the
loan's receipts stay within its net commission, re-read at posting time, since another
statement listing the same loan may have been received after this one was matched.
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
from finance.services.ledger import open_period_for
from finance.services.loans import loan_reports_confirm_by_statement
from finance.services.statement_files import statement_lines_parse

# The file's lines matched against what is owed per loan. Entries are reached by loan: the
# loan's lender is the statement's, and so is every entry of the loan (a loan has a handful
# of entries, read through the entries' loan index).
MATCH_LINES = """
WITH line AS (
  SELECT * FROM unnest(%(rows)s::integer[], %(references)s::text[], %(months)s::date[], %(amounts)s::numeric[])
    AS t(row_number, loan_reference, month, amount)
),
known AS (
  SELECT line.*, loan.id AS loan_id
  FROM line LEFT JOIN finance_loan loan ON loan.reference = line.loan_reference AND loan.lender_id = %(lender)s
),
ledger AS (
  SELECT known.loan_id,
         COALESCE(sum(e.amount) FILTER (WHERE e.kind IN ('accrual', 'clawback', 'adjustment')
                                          AND e.event_on < known.month + interval '1 month'), 0) AS net,
         COALESCE(sum(e.amount) FILTER (WHERE e.kind = 'receipt' AND e.statement_reference <> %(reference)s), 0)
           AS received
  FROM known JOIN finance_commissionentry e ON e.loan_id = known.loan_id
  GROUP BY known.loan_id
),
owed AS (
  SELECT known.*, COALESCE(ledger.received, 0) AS received,
         COALESCE(ledger.net, 0) - COALESCE(ledger.received, 0) AS owed
  FROM known LEFT JOIN ledger ON ledger.loan_id = known.loan_id
)
INSERT INTO finance_statementline (statement_id, row_number, loan_reference, month, loan_id, amount, ledger_amount,
                                   received_elsewhere, status)
SELECT %(statement)s, row_number, loan_reference, month, loan_id, amount,
       CASE WHEN loan_id IS NULL THEN NULL ELSE owed END,
       CASE WHEN loan_id IS NULL THEN NULL ELSE received END,
       CASE WHEN loan_id IS NULL THEN 'unknown'
            WHEN amount = owed THEN 'matched'
            WHEN received > 0 AND owed <= 0 AND amount > 0 THEN 'received'
            ELSE 'differs' END
FROM owed
RETURNING loan_id
"""

# Then the loans with entries booked in the statement's months that the file omits and on
# which something is still owed. "Not in the file" compares with the file's loans' ids as a
# constant array, which PostgreSQL (15+) hashes: no join whose plan could turn quadratic on a
# statement's fresh, unanalysed lines.
MISSING_LINES = """
WITH omitted AS (
  SELECT e.loan_id, max(p.month) AS month
  FROM finance_commissionperiod p
  JOIN finance_commissionentry e ON e.period_id = p.id AND e.lender_id = %(lender)s
  WHERE p.month = ANY(%(months)s::date[]) AND e.kind IN ('accrual', 'clawback', 'adjustment')
    AND e.loan_id IS NOT NULL AND e.loan_id <> ALL(%(known)s::bigint[])
  GROUP BY e.loan_id
),
ledger AS (
  SELECT omitted.loan_id, omitted.month,
         COALESCE(sum(e.amount) FILTER (WHERE e.kind IN ('accrual', 'clawback', 'adjustment')
                                          AND e.event_on < omitted.month + interval '1 month'), 0) AS net,
         COALESCE(sum(e.amount) FILTER (WHERE e.kind = 'receipt' AND e.statement_reference <> %(reference)s), 0)
           AS received
  FROM omitted JOIN finance_commissionentry e ON e.loan_id = omitted.loan_id
  GROUP BY omitted.loan_id, omitted.month
)
INSERT INTO finance_statementline (statement_id, row_number, loan_reference, month, loan_id, amount, ledger_amount,
                                   received_elsewhere, status)
SELECT %(statement)s, NULL, loan.reference, ledger.month, loan.id, NULL, ledger.net - ledger.received,
       ledger.received, 'missing'
FROM ledger JOIN finance_loan loan ON loan.id = ledger.loan_id
WHERE ledger.net - ledger.received <> 0
"""

# Receipts at the lender's amount, for the lines not yet received from this statement and
# only where the line fits in what is owed now: the loan's net commission (same rule as the
# matching) less every receipt booked for it. Owed is read again here rather than taken from
# the stored result, since another statement's receipts for the loan may have been booked
# since this one was matched. The ledger's unique key (lender, statement, loan) still makes a
# second posting of the same line a no-op. Reports what it booked, and the lines it left out
# because they are more than what is owed.
RECEIPTS = """
WITH candidate AS (
  SELECT line.loan_id, line.month, line.amount, loan.dealer_id
  FROM finance_statementline line
  JOIN finance_loan loan ON loan.id = line.loan_id
  WHERE line.statement_id = %(statement)s AND line.status = ANY(%(statuses)s) AND line.amount > 0
    AND NOT EXISTS (
      SELECT FROM finance_commissionentry r
      WHERE r.kind = 'receipt' AND r.lender_id = %(lender)s AND r.statement_reference = %(reference)s
        AND r.loan_id = line.loan_id
    )
),
owed AS (
  SELECT candidate.*,
         COALESCE(sum(e.amount) FILTER (WHERE e.kind IN ('accrual', 'clawback', 'adjustment')
                                          AND e.event_on < candidate.month + interval '1 month'), 0)
         - COALESCE(sum(e.amount) FILTER (WHERE e.kind = 'receipt'), 0) AS owed
  FROM candidate LEFT JOIN finance_commissionentry e ON e.loan_id = candidate.loan_id
  GROUP BY candidate.loan_id, candidate.month, candidate.amount, candidate.dealer_id
),
booked AS (
  INSERT INTO finance_commissionentry
    (kind, period_id, event_on, loan_id, dealer_id, lender_id, amount, basis, credit_grade, capped, reason, note,
     statement_reference, created_by_id, created_at)
  SELECT 'receipt', %(period)s, %(event_on)s, loan_id, dealer_id, %(lender)s, amount,
         '', '', false, '', '', %(reference)s, %(user)s, %(now)s
  FROM owed
  WHERE amount <= owed
  ON CONFLICT (lender_id, statement_reference, loan_id) WHERE kind = 'receipt' DO NOTHING
  RETURNING amount
)
SELECT (SELECT count(*) FROM booked), (SELECT COALESCE(sum(amount), 0) FROM booked),
       (SELECT count(*) FROM owed WHERE amount > owed)
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
                "reference": reference,
                "rows": [line.row_number for line in lines],
                "references": [line.loan_reference for line in lines],
                "months": [line.month for line in lines],
                "amounts": [line.amount for line in lines],
            }
            with connection.cursor() as cursor:
                cursor.execute(MATCH_LINES, params)
                known = [loan_id for (loan_id,) in cursor.fetchall() if loan_id is not None]
                cursor.execute(MISSING_LINES, {**params, "months": months, "known": known})
            # The lender's own figures bear out (or not) the moves dealers reported.
            loan_reports_confirm_by_statement(statement=statement, user=uploaded_by)
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
    # Lines left out because they are more than is still owed on their loan.
    over_owed: int = 0


@transaction.atomic
def lender_statement_receipts_post(
    *, statement: LenderStatement, posted_by: User, include_differing: bool = False
) -> ReceiptPosting:
    """Book the statement's matched lines (and, if asked, the differing ones at the lender's
    amount) as receipts dated today, into today's period or the first open one after it.
    Lines already received are skipped; a zero or negative line is not a receipt; a line more
    than what is still owed on its loan is left out (counted in ``over_owed``)."""
    statement = LenderStatement.objects.select_for_update().get(pk=statement.pk)
    # Two statements listing the same loan, posted at the same moment, must not both see it
    # owed: receipts of one lender are posted one at a time. NO KEY UPDATE does not block
    # entries being inserted for the lender (they take KEY SHARE on its row).
    Lender.objects.select_for_update(no_key=True).only("pk").get(pk=statement.lender_id)
    received_on = today()
    period = open_period_for(received_on)
    statuses = [MatchStatus.MATCHED.value] + ([MatchStatus.DIFFERS.value] if include_differing else [])
    with connection.cursor() as cursor:
        cursor.execute(
            RECEIPTS,
            {
                "statement": statement.pk,
                "lender": statement.lender_id,
                "reference": statement.reference,
                "statuses": statuses,
                "period": period.pk,
                "event_on": received_on,
                "user": posted_by.pk,
                "now": timezone.now(),
            },
        )
        booked, amount, over_owed = cursor.fetchone()
    return ReceiptPosting(booked=booked, amount=amount, period=str(period), over_owed=over_owed)
