"""Data migration: the standard disaggregation categories (sex, age, form of trafficking, and the
regions and autonomous districts of Côte d'Ivoire). See ``pacte.results.categories``."""

from django.db import migrations

from pacte.results.categories import install


def forwards(apps, schema_editor):  # type: ignore[no-untyped-def]
    install(apps.get_model("results", "DisaggregationCategory"))


class Migration(migrations.Migration):
    dependencies = [("results", "0001_initial")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
