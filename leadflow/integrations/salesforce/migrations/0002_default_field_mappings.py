"""The default mappings, seeded here from now on (crm 0002 seeded them before the models moved to this app).

An existing installation already has them, possibly edited: nothing is touched when the settings row exists.
`leadflow.core.seeding` replays this after a flush.
"""

from django.db import migrations

from leadflow.integrations.salesforce.defaults import defaults_create


def add_defaults(apps, schema_editor):
    OpportunitySettings = apps.get_model("salesforce", "OpportunitySettings")
    if not OpportunitySettings.objects.exists():
        defaults_create(field_mapping=apps.get_model("salesforce", "FieldMapping"), opportunity_settings=OpportunitySettings)


class Migration(migrations.Migration):
    dependencies = [("salesforce", "0001_initial")]

    operations = [migrations.RunPython(add_defaults, migrations.RunPython.noop)]
