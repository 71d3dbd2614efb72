"""An overall data-quality score needs at least three measurable dimensions (of five): the
scores stored before are emptied where fewer had a check (shown as insufficient data). The
figure is frozen here; ``datahub.quality.definitions.MIN_MEASURABLE_DIMENSIONS`` is the rule."""

from django.db import migrations

MEASURABLE = "num_nonnulls(completeness, validity, consistency, timeliness, integrity)"

FORWARD = f"UPDATE datahub_dataqualityscore SET overall = NULL WHERE {MEASURABLE} < 3"  # noqa: S608

# Back to the plain mean over the dimensions with a check.
BACKWARD = f"""
UPDATE datahub_dataqualityscore SET overall = round(
  (COALESCE(completeness, 0) + COALESCE(validity, 0) + COALESCE(consistency, 0) + COALESCE(timeliness, 0)
   + COALESCE(integrity, 0)) / {MEASURABLE}, 2)
WHERE overall IS NULL AND {MEASURABLE} > 0
"""  # noqa: S608


class Migration(migrations.Migration):
    dependencies = [("datahub", "0003_integrity_of_loans_stock_customers")]

    operations = [migrations.RunSQL(FORWARD, BACKWARD)]
