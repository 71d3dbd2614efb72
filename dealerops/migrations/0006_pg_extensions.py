from django.contrib.postgres.operations import BtreeGistExtension, TrigramExtension
from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("dealerops", "0005_export_job_lease")]

    operations = [TrigramExtension(), BtreeGistExtension()]
