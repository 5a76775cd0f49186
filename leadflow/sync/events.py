"""Events the outbox carries and the payload each one sends (schema version in `PAYLOAD_SCHEMA_VERSION`)."""

from typing import Any

from leadflow.sync.models import PAYLOAD_SCHEMA_VERSION

CUSTOMER_CONVERTED = "customer.converted"
EVENTS = {CUSTOMER_CONVERTED: "A qualified lead became a customer in Salesforce"}

# Lead fields every payload carries, in the payload's `customer` object.
CUSTOMER_FIELDS = (
    "company",
    "first_name",
    "last_name",
    "email",
    "phone",
    "job_title",
    "language",
    "website",
    "vat_number",
    "registration_number",
    "street",
    "postcode",
    "city",
    "country",
)
# Attributes read from the conversion record (leadflow.crm.models.Conversion: the Salesforce record ids);
# a missing one is sent as "".
CONVERSION_FIELDS = ("account_id", "contact_id", "opportunity_id")


def customer_payload(*, lead: Any, conversion: Any) -> dict[str, Any]:
    """The stable JSON document sent downstream for a converted lead."""
    return {
        "schema_version": PAYLOAD_SCHEMA_VERSION,
        "lead_id": lead.pk,
        "customer": {name: getattr(lead, name) or "" for name in CUSTOMER_FIELDS},
        "salesforce": {name: str(getattr(conversion, name, "") or "") for name in CONVERSION_FIELDS},
    }
