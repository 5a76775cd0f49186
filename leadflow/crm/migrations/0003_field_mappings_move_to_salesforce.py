# FieldMapping and OpportunitySettings moved to leadflow.integrations.salesforce (its migration 0001): only Django's
# state changes, the tables stay.

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("crm", "0002_default_field_mappings"), ("salesforce", "0001_initial")]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.DeleteModel(name="FieldMapping"),
                migrations.DeleteModel(name="OpportunitySettings"),
            ],
        ),
    ]
