"""Sensible default mappings and opportunity settings; admins change them in the admin.

The models have since moved to leadflow.integrations.salesforce, whose migration 0002 seeds them from then on."""

from django.db import migrations

from leadflow.integrations.salesforce.defaults import defaults_create


def add_defaults(apps, schema_editor):
    defaults_create(
        field_mapping=apps.get_model("crm", "FieldMapping"),
        opportunity_settings=apps.get_model("crm", "OpportunitySettings"),
    )


class Migration(migrations.Migration):
    dependencies = [("crm", "0001_initial")]

    operations = [migrations.RunPython(add_defaults, migrations.RunPython.noop)]
