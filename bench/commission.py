"""Commission posting on the national-scale dataset.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench python bench/generate.py --scale S
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench python bench/commission.py [--scale S]

Times, on the loans bench/generate.py left (its --scale S sizes the incremental run):
1. the first full posting of every accrual and clawback (finance.services.ledger), against
   the floor: the same work by hand-written SQL in the same run. One INSERT ... SELECT of the
   same rows (every column the posting writes, the same amounts) into a table of the
   ledger's shape, then the ledger's primary key, unique keys, indexes and foreign keys built
   on it; the totals must tie. The "bare" floor is that INSERT alone (the table has the
   ledger's columns and check constraints then, no keys or indexes);
2. an incremental nightly run after 10,000 x S loans were disbursed and 1,000 x S paid off early;
3. the CSV and XLSX exports of one month of the ledger through the page's own export code,
   against COPY ... TO STDOUT of the same rows.

The ledger and the policies are emptied first; loans are changed only to stage step 2 (it
takes 10,000 x S of the latest disbursed loans back to "approved" while the triggers are off).
"""

import argparse
import io
import re
from datetime import timedelta

from common import print_table, result_line, setup_django, timed

# The floor's rows: every loan due an accrual, its policy, tier and amount, computed as the
# posting computes them, with every column the posting writes; each loan is booked in its
# month's period (all open here).
FLOOR_INSERT = """
INSERT INTO floor_entries (kind, period_id, event_on, loan_id, dealer_id, lender_id, policy_id, amount, basis,
  principal, annual_rate, buy_rate, term_months, credit_grade, ratio, capped, reason, note, statement_reference,
  created_at)
SELECT 'accrual', m.id, l.disbursed_on, l.id, l.dealer_id, l.lender_id, p.id,
       LEAST(c.amount, COALESCE(p.cap_per_loan, c.amount)), p.basis, l.principal, l.annual_rate, l.buy_rate,
       l.term_months, l.credit_grade, CASE WHEN p.basis = 'flat' THEN NULL ELSE COALESCE(t.ratio, p.ratio) END,
       c.amount > COALESCE(p.cap_per_loan, c.amount), '', '', '', now()
FROM finance_loan l
JOIN finance_commissionperiod m ON m.month = date_trunc('month', l.disbursed_on)
JOIN finance_commissionpolicy p ON p.lender_id = l.lender_id AND l.disbursed_on >= p.effective_from
 AND (p.effective_to IS NULL OR l.disbursed_on <= p.effective_to)
LEFT JOIN LATERAL (
  SELECT t.ratio, t.amount FROM finance_commissiontier t
  WHERE t.policy_id = p.id AND (t.credit_grade = '' OR t.credit_grade = l.credit_grade)
    AND (t.term_band = '' OR t.term_band = CASE WHEN l.term_months <= 12 THEN '6_12' WHEN l.term_months <= 24
         THEN '13_24' WHEN l.term_months <= 36 THEN '25_36' ELSE '37_60' END)
  ORDER BY (t.credit_grade <> '') DESC, (t.term_band <> '') DESC LIMIT 1
) t ON true
CROSS JOIN LATERAL (
  SELECT round(CASE p.basis
    WHEN 'rate_based' THEN l.principal * l.annual_rate * COALESCE(t.ratio, p.ratio)
    WHEN 'principal_based' THEN l.principal * COALESCE(t.ratio, p.ratio)
    WHEN 'flat' THEN COALESCE(t.amount, p.amount)
    ELSE COALESCE(t.ratio, p.ratio) * GREATEST(0,
      (l.term_months * l.principal * (LEAST(l.annual_rate, l.buy_rate + p.max_markup) / 12)
        / (1 - power(1 + LEAST(l.annual_rate, l.buy_rate + p.max_markup) / 12, -l.term_months)))
      - (l.term_months * l.principal * (l.buy_rate / 12) / (1 - power(1 + l.buy_rate / 12, -l.term_months))))
  END, 2) AS amount
  OFFSET 0  -- a fence: the amount is computed once per loan, not once for each of its uses above
) c
WHERE l.status IN ('disbursed', 'paid_off_early', 'defaulted', 'matured') AND l.disbursed_on <= %(as_of)s
  AND (p.min_principal IS NULL OR l.principal >= p.min_principal) AND (p.basis <> 'reserve' OR l.buy_rate IS NOT NULL)
"""

# The ledger's keys and indexes, as the catalogue defines them, for the floor's table: its
# indexes (the primary key's too, as a unique index), then its foreign keys, each validated.
LEDGER_INDEXES = "SELECT pg_get_indexdef(indexrelid) FROM pg_index WHERE indrelid = 'finance_commissionentry'::regclass"
LEDGER_FOREIGN_KEYS = """
SELECT pg_get_constraintdef(oid) FROM pg_constraint
WHERE conrelid = 'finance_commissionentry'::regclass AND contype = 'f'
"""


def floor_keys_and_indexes(cursor) -> list[str]:
    """The statements that give floor_entries the ledger's indexes and foreign keys."""
    cursor.execute(LEDGER_INDEXES)
    statements = [
        re.sub(r"INDEX (\S+) ON public\.finance_commissionentry ", r"INDEX floor_\1 ON floor_entries ", definition)
        for (definition,) in cursor.fetchall()
    ]
    cursor.execute(LEDGER_FOREIGN_KEYS)
    statements += [
        "ALTER TABLE floor_entries ADD " + definition.replace("finance_commissionentry(", "floor_entries(")
        for (definition,) in cursor.fetchall()
    ]
    return statements


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", type=float, default=1.0, help="S of the generated dataset (default 1)")
    args = parser.parse_args()
    setup_django()

    from django.core.management import call_command
    from django.db import connection, transaction
    from django.db.models import Max, Sum

    from dealerops.bulk import INDEX_BUILD_MEMORY
    from dealerops.synthetic.ledger import policies_install
    from dealerops.tables import export_response
    from finance.models import CommissionEntry, CommissionPeriod, Loan
    from finance.services.ledger import ENSURE_PERIODS, POSTING_WORK_MEM, commissions_post
    from finance.views import CommissionEntryListView

    call_command("migrate", interactive=False, verbosity=0)
    as_of = Loan.objects.aggregate(last=Max("disbursed_on"))["last"]
    if as_of is None:
        raise SystemExit("No loans here: run bench/generate.py --scale S on this database first.")
    start = Loan.objects.order_by("applied_on").values_list("applied_on", flat=True).first().replace(day=1)
    newly_disbursed = max(10, round(10_000 * args.scale))
    paid_off = max(1, round(1_000 * args.scale))

    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "TRUNCATE finance_commissionentry, finance_commissionperiod, finance_commissiontier,"
            " finance_clawbackstep, finance_commissionpolicy RESTART IDENTITY CASCADE"
        )
        # Stage tonight's disbursements: the latest loans go back to "approved" (the status
        # trigger would refuse it, hence replica mode for this setup step only).
        cursor.execute("SET LOCAL session_replication_role = replica")
        cursor.execute(
            """UPDATE finance_loan SET status = 'approved', disbursed_on = NULL, closed_on = NULL
               WHERE id IN (SELECT id FROM finance_loan WHERE disbursed_on IS NOT NULL
                            ORDER BY disbursed_on DESC, id DESC LIMIT %s)""",
            [newly_disbursed],
        )
        cursor.execute("SET LOCAL session_replication_role = origin")
        policies_install(start=start, end=as_of)
    # Replica mode bypassed the summaries' triggers too: repair them, as an operator would.
    call_command("rebuild_summaries", stdout=io.StringIO())
    print(f"Loans: {Loan.objects.count():,}; posting as of {as_of}; {newly_disbursed:,} held back for tonight")

    figures = []

    # 1. The floor, then the first full posting.
    with connection.cursor() as cursor:
        cursor.execute(ENSURE_PERIODS, {"as_of": as_of})  # the posting's first step; the floor books into them
        cursor.execute("DROP TABLE IF EXISTS floor_entries")
        cursor.execute(
            "CREATE TABLE floor_entries (LIKE finance_commissionentry"
            " INCLUDING DEFAULTS INCLUDING IDENTITY INCLUDING CONSTRAINTS)"
        )
        keys_and_indexes = floor_keys_and_indexes(cursor)
        with transaction.atomic():
            # The posting's memory settings (dealerops.bulk, finance.services.ledger).
            cursor.execute(f"SET LOCAL work_mem = '{POSTING_WORK_MEM}'")
            cursor.execute(f"SET LOCAL maintenance_work_mem = '{INDEX_BUILD_MEMORY}'")
            with timed() as bare_floor:
                cursor.execute(FLOOR_INSERT, {"as_of": as_of})
            with timed() as upkeep:
                for statement in keys_and_indexes:
                    cursor.execute(statement)
        cursor.execute("SELECT count(*), sum(amount) FROM floor_entries")
        floor_rows, floor_total = cursor.fetchone()
        cursor.execute("DROP TABLE floor_entries")
    floor_seconds = bare_floor["seconds"] + upkeep["seconds"]
    with timed() as full:
        run = commissions_post(as_of=as_of)
    accrued = CommissionEntry.objects.filter(kind="accrual").aggregate(total=Sum("amount"))["total"]
    assert accrued == floor_total, f"ledger {accrued} does not tie to the floor {floor_total}"
    figures.append(("full posting", run.rows, full["seconds"], floor_seconds))
    figures.append(("  floor: the INSERT alone (bare floor)", floor_rows, bare_floor["seconds"], None))
    figures.append((f"  floor: {len(keys_and_indexes)} keys and indexes", floor_rows, upkeep["seconds"], None))
    print(f"full posting: {run.rows:,} entries, accruals {accrued:,} = floor {floor_total:,} ({floor_rows:,} rows)")

    # 2. Tonight: the held-back loans are disbursed and some recent ones paid off early.
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "UPDATE finance_loan SET status = 'disbursed', disbursed_on = %s WHERE status = 'approved'"
            " AND id IN (SELECT id FROM finance_loan WHERE status = 'approved' ORDER BY id DESC LIMIT %s)",
            [as_of, newly_disbursed],
        )
        cursor.execute(
            """UPDATE finance_loan SET status = 'paid_off_early', closed_on = %s
               WHERE id IN (SELECT id FROM finance_loan WHERE status = 'disbursed' AND disbursed_on >= %s
                              AND disbursed_on < %s ORDER BY id LIMIT %s)""",
            [as_of, as_of - timedelta(days=50), as_of, paid_off],
        )
    with timed() as nightly:
        tonight = commissions_post(as_of=as_of)
    figures.append(("incremental nightly run", tonight.rows, nightly["seconds"], None))
    print(f"incremental: {tonight.rows:,} entries, {tonight.amount:,} yuan")

    # 3. One month of the ledger as CSV and XLSX through the page's code, against COPY.
    month = CommissionPeriod.objects.order_by("-month").values_list("pk", "month")[1]
    entries = CommissionEntryListView.base_queryset(None).filter(period=month[0]).order_by("-id")
    with timed() as export:
        response = export_response("csv", "ledger", CommissionEntryListView.columns, entries, None)
        exported_bytes = sum(len(chunk) for chunk in response.streaming_content)
    with timed() as export_xlsx:
        response = export_response("xlsx", "ledger", CommissionEntryListView.columns, entries, None)
        xlsx_bytes = sum(len(chunk) for chunk in response.streaming_content)
    with connection.cursor() as cursor, timed() as copy_floor:
        copy_sql = (
            "COPY (SELECT e.id, p.month, e.event_on, e.kind, d.name, r.name, l.reference, e.amount, e.basis,"
            " e.principal, e.ratio, e.clawback_share, e.reason FROM finance_commissionentry e"
            " JOIN finance_commissionperiod p ON p.id = e.period_id JOIN channels_dealer d ON d.id = e.dealer_id"
            " JOIN finance_lender r ON r.id = e.lender_id LEFT JOIN finance_loan l ON l.id = e.loan_id"
            f" WHERE e.period_id = {int(month[0])} ORDER BY e.id DESC) TO STDOUT WITH CSV HEADER"
        )
        with cursor.cursor.copy(copy_sql) as copy:
            copied_bytes = sum(len(block) for block in copy)
    rows_exported = entries.count()
    figures.append((f"export {month[1]:%Y-%m} as CSV", rows_exported, export["seconds"], copy_floor["seconds"]))
    figures.append((f"export {month[1]:%Y-%m} as XLSX", rows_exported, export_xlsx["seconds"], copy_floor["seconds"]))
    print(f"export: {rows_exported:,} rows, CSV {exported_bytes:,} bytes, XLSX {xlsx_bytes:,} bytes")
    print(f"        (COPY {copied_bytes:,} bytes)")

    print_table(
        [
            (name, f"{rows:,}", f"{seconds:.2f}", "–" if floor is None else f"{floor:.2f}")
            for name, rows, seconds, floor in figures
        ],
        ("step", "rows", "seconds", "floor seconds"),
    )
    names = [
        "commission_full",
        None,
        None,
        "commission_incremental",
        "commission_export_month",
        "commission_export_month_xlsx",
    ]
    for key, (_name, rows, seconds, floor) in zip(names, figures, strict=True):
        if key == "commission_full":
            bare = bare_floor["seconds"]
            print(
                result_line(
                    key, seconds, floor, rows=rows, bare_floor_seconds=f"{bare:.2f}", bare_ratio=f"{seconds / bare:.2f}"
                )
            )
        elif key is not None:
            print(result_line(key, seconds, floor, rows=rows))


if __name__ == "__main__":
    main()
