"""The triggers that keep the summary tables exact (now also RegionMonthSummary and RiskSummary),
then every summary recomputed from the rows already there (a migration of its own: 0015's unique
keys, which the triggers' ON CONFLICT needs, are created at its end)."""

from django.db import migrations

from finance.summary_sql import INSTALL, REBUILD, UNINSTALL


class Migration(migrations.Migration):
    dependencies = [
        ("finance", "0015_region_months_and_risk_summary"),
    ]

    operations = [
        migrations.RunSQL(INSTALL, UNINSTALL),
        migrations.RunSQL(REBUILD, migrations.RunSQL.noop),
    ]
