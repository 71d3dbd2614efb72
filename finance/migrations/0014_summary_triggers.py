"""The triggers that keep the summary tables exact. They are installed, and the summaries of the
rows already there computed, by 0016, whose SQL (finance.summary_sql) also keeps the tables 0015
adds; a database migrated before then got the same triggers here, which 0016 replaces."""

from django.db import migrations

from finance.summary_sql import UNINSTALL


class Migration(migrations.Migration):
    dependencies = [
        ("finance", "0013_summaries"),
    ]

    operations = [
        migrations.RunSQL(migrations.RunSQL.noop, UNINSTALL),
    ]
