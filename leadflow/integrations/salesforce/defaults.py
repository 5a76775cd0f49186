"""The field mappings a new installation starts with (data migration 0002); admins change them in the admin."""

# (Salesforce object, lead field, Salesforce field); lengths and picklists come from the org's describe.
DEFAULT_MAPPINGS = [
    ("Account", "company", "Name"),
    ("Account", "website", "Website"),
    ("Account", "phone", "Phone"),
    ("Account", "company_size", "NumberOfEmployees"),
    ("Account", "street", "BillingStreet"),
    ("Account", "postcode", "BillingPostalCode"),
    ("Account", "city", "BillingCity"),
    ("Account", "country", "BillingCountry"),
    ("Account", "vat_number", "VAT_Number__c"),
    ("Account", "registration_number", "KvK_Number__c"),
    ("Contact", "first_name", "FirstName"),
    ("Contact", "last_name", "LastName"),
    ("Contact", "email", "Email"),
    ("Contact", "phone", "Phone"),
    ("Contact", "job_title", "Title"),
    ("Contact", "street", "MailingStreet"),
    ("Contact", "postcode", "MailingPostalCode"),
    ("Contact", "city", "MailingCity"),
    ("Contact", "country", "MailingCountry"),
    ("Opportunity", "message", "Description"),
    ("Opportunity", "source", "LeadSource"),  # where the enquiry came from, kept on the deal
]


def defaults_create(*, field_mapping, opportunity_settings) -> None:
    """Create the default mappings and the settings row; takes the models so migrations pass their historical ones."""
    for sobject, lead_field, salesforce_field in DEFAULT_MAPPINGS:
        field_mapping.objects.get_or_create(
            sobject=sobject, salesforce_field=salesforce_field, defaults={"lead_field": lead_field}
        )
    opportunity_settings.objects.get_or_create(pk=1)
