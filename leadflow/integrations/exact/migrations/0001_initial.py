# ExactConnection and ExactCustomer moved here from the sync app: the tables keep their names, only Django's state
# moves (sync 0003 drops them from sync's state).

import django.db.models.deletion
from django.db import migrations, models

from leadflow.core.migration_ops import content_types_move


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("leads", "0001_initial"),
        ("sync", "0003_exact_models_move_to_integrations"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='ExactConnection',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('access_token', models.TextField(blank=True)),
                        ('refresh_token', models.TextField(blank=True)),
                        ('access_expires_at', models.DateTimeField(blank=True, null=True)),
                        ('oauth_state', models.CharField(blank=True, help_text="Pending connect flow's state value.", max_length=64)),
                        ('connected_at', models.DateTimeField(blank=True, null=True)),
                        ('paused_until', models.DateTimeField(blank=True, null=True)),
                        ('minutely_remaining', models.IntegerField(blank=True, null=True)),
                        ('daily_remaining', models.IntegerField(blank=True, null=True)),
                        ('target', models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, related_name='exact_connection', to='sync.synctarget')),
                    ],
                    options={
                        'db_table': 'sync_exactconnection',
                    },
                ),
                migrations.CreateModel(
                    name='ExactCustomer',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('exact_id', models.CharField(max_length=36)),
                        ('code', models.CharField(blank=True, max_length=18)),
                        ('matched_existing', models.BooleanField(default=False, help_text='Found in Exact rather than created by us.')),
                        ('created_at', models.DateTimeField(auto_now_add=True)),
                        ('lead', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='exact_customers', to='leads.lead')),
                        ('target', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='exact_customers', to='sync.synctarget')),
                    ],
                    options={
                        'db_table': 'sync_exactcustomer',
                        'constraints': [models.UniqueConstraint(fields=('target', 'lead'), name='exact_customer_once_per_target')],
                    },
                ),
            ],
        ),
        content_types_move(old_label="sync", new_label="exact", models=["exactconnection", "exactcustomer"]),
    ]
