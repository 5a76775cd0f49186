"""Sensible default mappings and opportunity settings; admins change them in the admin."""

from django.db import migrations

from leadflow.crm.defaults import DEFAULT_MAPPINGS



def add_defaults(apps, schema_editor):
    FieldMapping = apps.get_model("crm", "FieldMapping")
    OpportunitySettings = apps.get_model("crm", "OpportunitySettings")
    for sobject, lead_field, salesforce_field, max_length in DEFAULT_MAPPINGS:
        FieldMapping.objects.get_or_create(
            sobject=sobject,
            salesforce_field=salesforce_field,
            defaults={"lead_field": lead_field, "max_length": max_length},
        )
    OpportunitySettings.objects.get_or_create(pk=1)


class Migration(migrations.Migration):
    dependencies = [("crm", "0001_initial")]

    operations = [migrations.RunPython(add_defaults, migrations.RunPython.noop)]
