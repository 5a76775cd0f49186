# ExactConnection and ExactCustomer moved to leadflow.integrations.exact (its migration 0001): only Django's state
# changes, the tables stay. A target's kind is checked against settings.SYNC_TARGET_KINDS, not a fixed choice list.

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("sync", "0002_target_paused_until")]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.RemoveField(model_name="exactcustomer", name="lead"),
                migrations.RemoveField(model_name="exactcustomer", name="target"),
                migrations.DeleteModel(name="ExactConnection"),
                migrations.DeleteModel(name="ExactCustomer"),
            ],
        ),
        migrations.AlterField(model_name="synctarget", name="kind", field=models.CharField(max_length=32)),
    ]
