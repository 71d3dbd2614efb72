# Trigram indexes for contains-search (pg_trgm) and exclusion constraints over validity ranges
# (btree_gist). Both are trusted extensions: a database owner without superuser may create them.

from django.contrib.postgres.operations import BtreeGistExtension, TrigramExtension
from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("dealerops", "0005_export_job_lease"),
    ]

    operations = [
        TrigramExtension(),
        BtreeGistExtension(),
    ]
