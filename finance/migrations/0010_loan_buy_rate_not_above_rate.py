"""A loan's buy rate may not exceed its annual rate. Added NOT VALID, then validated only when
no existing loan breaks it: a database holding such mistakes from before keeps them readable
(new and updated rows are checked either way) until finance corrects them."""

from django.db import migrations, models

ADD = """
ALTER TABLE finance_loan ADD CONSTRAINT loan_buy_rate_not_above_rate
    CHECK (buy_rate IS NULL OR buy_rate <= annual_rate) NOT VALID;
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM finance_loan WHERE buy_rate > annual_rate) THEN
        ALTER TABLE finance_loan VALIDATE CONSTRAINT loan_buy_rate_not_above_rate;
    END IF;
END $$;
"""
DROP = "ALTER TABLE finance_loan DROP CONSTRAINT loan_buy_rate_not_above_rate;"


class Migration(migrations.Migration):
    dependencies = [
        ("channels", "0006_blank_natural_keys_default_in_database"),
        ("finance", "0009_posting_candidates"),
        ("inventory", "0002_event_created_indexes"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[migrations.RunSQL(ADD, DROP)],
            state_operations=[
                migrations.AddConstraint(
                    model_name="loan",
                    constraint=models.CheckConstraint(
                        condition=models.Q(
                            ("buy_rate__isnull", True), ("buy_rate__lte", models.F("annual_rate")), _connector="OR"
                        ),
                        name="loan_buy_rate_not_above_rate",
                        violation_error_message="The lender buy rate cannot be above the loan's annual rate.",
                    ),
                ),
            ],
        ),
    ]
