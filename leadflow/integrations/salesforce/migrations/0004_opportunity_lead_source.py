"""Existing installations gain the Opportunity.LeadSource mapping that new ones start with (defaults.py): the
enquiry's source stays on the deal. An installation that already maps LeadSource keeps its own choice."""

from django.db import migrations


def map_lead_source(apps, schema_editor):
    FieldMapping = apps.get_model("salesforce", "FieldMapping")
    if apps.get_model("salesforce", "OpportunitySettings").objects.exists():
        FieldMapping.objects.get_or_create(
            sobject="Opportunity", salesforce_field="LeadSource", defaults={"lead_field": "source"}
        )


class Migration(migrations.Migration):
    dependencies = [("salesforce", "0003_describe_checks_instead_of_cutting")]

    operations = [migrations.RunPython(map_lead_source, migrations.RunPython.noop)]
