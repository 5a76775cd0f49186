# FieldMapping and OpportunitySettings moved here from the crm app: the tables keep their names, only Django's
# state moves (crm 0003 drops them from crm's state).

import leadflow.integrations.salesforce.models
from django.db import migrations, models

from leadflow.core.migration_ops import content_types_move


class Migration(migrations.Migration):
    initial = True

    dependencies = [("crm", "0002_default_field_mappings"), ("contenttypes", "0002_remove_content_type_name")]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='OpportunitySettings',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('create_opportunity', models.BooleanField(default=True)),
                        ('name_pattern', models.CharField(default='{company}', help_text='Placeholders: {company}, {first_name}, {last_name}, {full_name}, {email}, {source}, {date}.', max_length=120)),
                        ('stage_name', models.CharField(default='Prospecting', help_text='An Opportunity stage of your org.', max_length=255)),
                        ('close_date_offset_days', models.PositiveIntegerField(default=30, help_text='The close date is this many days after the conversion.')),
                        ('amount_lead_field', models.CharField(blank=True, help_text='Take the amount from this lead field (e.g. custom_fields.budget); leave empty for a fixed amount.', max_length=100, validators=[leadflow.integrations.salesforce.models.validate_lead_path])),
                        ('amount_fixed', models.DecimalField(blank=True, decimal_places=2, max_digits=16, null=True)),
                    ],
                    options={
                        'verbose_name': 'opportunity settings',
                        'verbose_name_plural': 'opportunity settings',
                        'db_table': 'crm_opportunitysettings',
                    },
                ),
                migrations.CreateModel(
                    name='FieldMapping',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('sobject', models.CharField(choices=[('Account', 'Account'), ('Contact', 'Contact'), ('Opportunity', 'Opportunity')], max_length=16, verbose_name='Salesforce object')),
                        ('lead_field', models.CharField(help_text="A lead field (e.g. company) or custom_fields.<key> for a value from the lead's custom fields.", max_length=100, validators=[leadflow.integrations.salesforce.models.validate_lead_path])),
                        ('salesforce_field', models.CharField(help_text='API name of the Salesforce field, standard (Website) or custom (VAT_Number__c).', max_length=80, validators=[leadflow.integrations.salesforce.models.validate_salesforce_name])),
                        ('max_length', models.PositiveIntegerField(blank=True, help_text='Longer values are cut to this length (Salesforce refuses them otherwise).', null=True)),
                        ('enabled', models.BooleanField(default=True)),
                    ],
                    options={
                        'db_table': 'crm_fieldmapping',
                        'ordering': ['sobject', 'salesforce_field'],
                        'constraints': [models.UniqueConstraint(fields=('sobject', 'salesforce_field'), name='field_mapping_unique_target')],
                    },
                ),
            ],
        ),
        content_types_move(old_label="crm", new_label="salesforce", models=["fieldmapping", "opportunitysettings"]),
    ]
