"""Version 1 of the health weights was created with the note "Equal weights", in English, shown
as is on Chinese pages; the pages now say it in the reader's language (HealthWeights.summary)."""

import pgtrigger
from django.db import migrations


def clear_generated_note(apps, schema_editor):
    weights = apps.get_model("channels", "HealthWeights")
    # Versions are final (a trigger refuses updates); this one correction is not a new version.
    with pgtrigger.ignore("channels.HealthWeights:health_weights_versions_are_final"):
        weights.objects.filter(version=1, note="Equal weights").update(note="")


def restore_generated_note(apps, schema_editor):
    weights = apps.get_model("channels", "HealthWeights")
    with pgtrigger.ignore("channels.HealthWeights:health_weights_versions_are_final"):
        weights.objects.filter(version=1, note="").update(note="Equal weights")


class Migration(migrations.Migration):
    dependencies = [
        ("channels", "0006_blank_natural_keys_default_in_database"),
    ]

    operations = [migrations.RunPython(clear_generated_note, restore_generated_note)]
