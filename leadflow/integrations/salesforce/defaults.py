"""The field mappings a new installation starts with (data migration 0002); admins change them in the admin."""

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


def defaults_create(*, field_mapping, opportunity_settings) -> None:
    """Create the default mappings and the settings row; takes the models so migrations pass their historical ones."""
    for sobject, lead_field, salesforce_field, max_length in DEFAULT_MAPPINGS:
        field_mapping.objects.get_or_create(
            sobject=sobject,
            salesforce_field=salesforce_field,
            defaults={"lead_field": lead_field, "max_length": max_length},
        )
    opportunity_settings.objects.get_or_create(pk=1)
