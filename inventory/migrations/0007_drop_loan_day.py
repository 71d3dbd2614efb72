"""inventory.LoanDay goes: the finance home reads finance.DisbursementSummary, which finance's
own triggers on finance_loan keep (finance 0014). Drops what 0005 created for LoanDay, the
finance_loan_summaries_on_* triggers and their functions, then the table; the reverse
recreates both and refills the table from the loans."""

from django.db import migrations

DROP_TRIGGERS = """
DROP TRIGGER finance_loan_summaries_on_insert ON finance_loan; DROP FUNCTION finance_loan_summaries_on_insert();
DROP TRIGGER finance_loan_summaries_on_update ON finance_loan; DROP FUNCTION finance_loan_summaries_on_update();
DROP TRIGGER finance_loan_summaries_on_delete ON finance_loan; DROP FUNCTION finance_loan_summaries_on_delete();
DROP TRIGGER finance_loan_summaries_on_truncate ON finance_loan; DROP FUNCTION finance_loan_summaries_on_truncate();
"""
# 0005's, verbatim.
CREATE_TRIGGERS = """
CREATE FUNCTION finance_loan_summaries_on_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO inventory_loanday (lender_id, day, loans, principal, rate_total) SELECT lender_id, day, SUM(loans), SUM(principal), SUM(rate_total) FROM (SELECT r.lender_id AS lender_id, r.disbursed_on AS day, (1) AS loans, (r.principal) AS principal, (r.annual_rate) AS rate_total FROM new_rows r WHERE r.status IN ('disbursed', 'paid_off_early', 'defaulted', 'matured')) delta GROUP BY lender_id, day HAVING SUM(loans) <> 0 OR SUM(principal) <> 0 OR SUM(rate_total) <> 0 ORDER BY lender_id, day ON CONFLICT (lender_id, day) DO UPDATE SET loans = inventory_loanday.loans + EXCLUDED.loans, principal = inventory_loanday.principal + EXCLUDED.principal, rate_total = inventory_loanday.rate_total + EXCLUDED.rate_total;
  RETURN NULL;
END;
$$;
CREATE TRIGGER finance_loan_summaries_on_insert AFTER INSERT ON finance_loan REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION finance_loan_summaries_on_insert();
CREATE FUNCTION finance_loan_summaries_on_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO inventory_loanday (lender_id, day, loans, principal, rate_total) SELECT lender_id, day, SUM(loans), SUM(principal), SUM(rate_total) FROM (SELECT r.lender_id AS lender_id, r.disbursed_on AS day, (1) AS loans, (r.principal) AS principal, (r.annual_rate) AS rate_total FROM new_rows r WHERE r.status IN ('disbursed', 'paid_off_early', 'defaulted', 'matured') UNION ALL SELECT r.lender_id AS lender_id, r.disbursed_on AS day, -(1) AS loans, -(r.principal) AS principal, -(r.annual_rate) AS rate_total FROM old_rows r WHERE r.status IN ('disbursed', 'paid_off_early', 'defaulted', 'matured')) delta GROUP BY lender_id, day HAVING SUM(loans) <> 0 OR SUM(principal) <> 0 OR SUM(rate_total) <> 0 ORDER BY lender_id, day ON CONFLICT (lender_id, day) DO UPDATE SET loans = inventory_loanday.loans + EXCLUDED.loans, principal = inventory_loanday.principal + EXCLUDED.principal, rate_total = inventory_loanday.rate_total + EXCLUDED.rate_total;
  DELETE FROM inventory_loanday s USING (SELECT DISTINCT r.lender_id AS lender_id, r.disbursed_on AS day FROM old_rows r WHERE r.status IN ('disbursed', 'paid_off_early', 'defaulted', 'matured')) k WHERE s.lender_id = k.lender_id AND s.day = k.day AND s.loans = 0;
  RETURN NULL;
END;
$$;
CREATE TRIGGER finance_loan_summaries_on_update AFTER UPDATE ON finance_loan REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION finance_loan_summaries_on_update();
CREATE FUNCTION finance_loan_summaries_on_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO inventory_loanday (lender_id, day, loans, principal, rate_total) SELECT lender_id, day, SUM(loans), SUM(principal), SUM(rate_total) FROM (SELECT r.lender_id AS lender_id, r.disbursed_on AS day, -(1) AS loans, -(r.principal) AS principal, -(r.annual_rate) AS rate_total FROM old_rows r WHERE r.status IN ('disbursed', 'paid_off_early', 'defaulted', 'matured')) delta GROUP BY lender_id, day HAVING SUM(loans) <> 0 OR SUM(principal) <> 0 OR SUM(rate_total) <> 0 ORDER BY lender_id, day ON CONFLICT (lender_id, day) DO UPDATE SET loans = inventory_loanday.loans + EXCLUDED.loans, principal = inventory_loanday.principal + EXCLUDED.principal, rate_total = inventory_loanday.rate_total + EXCLUDED.rate_total;
  DELETE FROM inventory_loanday s USING (SELECT DISTINCT r.lender_id AS lender_id, r.disbursed_on AS day FROM old_rows r WHERE r.status IN ('disbursed', 'paid_off_early', 'defaulted', 'matured')) k WHERE s.lender_id = k.lender_id AND s.day = k.day AND s.loans = 0;
  RETURN NULL;
END;
$$;
CREATE TRIGGER finance_loan_summaries_on_delete AFTER DELETE ON finance_loan REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION finance_loan_summaries_on_delete();
CREATE FUNCTION finance_loan_summaries_on_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM inventory_loanday;
  RETURN NULL;
END;
$$;
CREATE TRIGGER finance_loan_summaries_on_truncate AFTER TRUNCATE ON finance_loan  FOR EACH STATEMENT EXECUTE FUNCTION finance_loan_summaries_on_truncate();
"""
REFILL = """
INSERT INTO inventory_loanday (lender_id, day, loans, principal, rate_total)
SELECT lender_id, disbursed_on, count(*), sum(principal), sum(annual_rate) FROM finance_loan
WHERE status IN ('disbursed', 'paid_off_early', 'defaulted', 'matured') GROUP BY lender_id, disbursed_on;
"""


class Migration(migrations.Migration):
    dependencies = [
        ("inventory", "0006_region_summaries"),
    ]

    operations = [
        migrations.RunSQL(DROP_TRIGGERS, CREATE_TRIGGERS + REFILL),
        migrations.DeleteModel(
            name="LoanDay",
        ),
    ]
