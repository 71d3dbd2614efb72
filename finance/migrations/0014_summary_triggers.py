"""The triggers that keep the summary tables exact, then the summaries of the rows already there
(a separate migration: 0013's unique keys, which the triggers' ON CONFLICT needs, are created
at its end)."""

from django.db import migrations

from finance.summary_sql import INSTALL, REBUILD, UNINSTALL


class Migration(migrations.Migration):
    dependencies = [
        ("finance", "0013_summaries"),
    ]

    operations = [
        migrations.RunSQL(INSTALL, UNINSTALL),
        migrations.RunSQL(REBUILD, migrations.RunSQL.noop),
    ]
