"""Sensible default mappings and opportunity settings; admins change them in the admin."""

from django.db import migrations

# (Salesforce object, lead field, Salesforce field, Salesforce's length limit)
DEFAULT_MAPPINGS = [
    ("Account", "company", "Name", 255),
    ("Account", "website", "Website", 255),
    ("Account", "phone", "Phone", 40),
    ("Account", "company_size", "NumberOfEmployees", None),
    ("Account", "street", "BillingStreet", 255),
    ("Account", "postcode", "BillingPostalCode", 20),
    ("Account", "city", "BillingCity", 40),
    ("Account", "country", "BillingCountry", 80),
    ("Account", "vat_number", "VAT_Number__c", 20),
    ("Account", "registration_number", "KvK_Number__c", 8),
    ("Contact", "first_name", "FirstName", 40),
    ("Contact", "last_name", "LastName", 80),
    ("Contact", "email", "Email", 80),
    ("Contact", "phone", "Phone", 40),
    ("Contact", "job_title", "Title", 128),
    ("Contact", "street", "MailingStreet", 255),
    ("Contact", "postcode", "MailingPostalCode", 20),
    ("Contact", "city", "MailingCity", 40),
    ("Contact", "country", "MailingCountry", 80),
    ("Opportunity", "message", "Description", 32000),
]


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
