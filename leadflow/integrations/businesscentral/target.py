"""Dynamics 365 Business Central target: the converted customer becomes a customer of one company (API v2.0
`companies({id})/customers`), and later edits Leadflow leads are PATCHed onto it with `If-Match`.

Idempotent like the Exact target: the `BusinessCentralCustomer` row (a job run twice makes no call), a look-up
before every create (VAT number in normal form, then the number Leadflow gives, against the copy of the company's
customers, see `customers.py`), and a unique constraint on the row.
"""

from typing import TYPE_CHECKING, Any

from django import forms

from leadflow.core.normalize import identifier_key
from leadflow.integrations.businesscentral.client import BusinessCentralClient, EntityChanged
from leadflow.integrations.businesscentral.customers import (
    business_central_customer_match,
    business_central_customer_suggestion,
    business_central_customers_refresh,
)
from leadflow.integrations.businesscentral.models import BusinessCentralCustomer
from leadflow.sync.accounting import AccountingTarget, RecordFound
from leadflow.sync.events import CUSTOMER_CONVERTED, CUSTOMER_UPDATED, DEAL_WON
from leadflow.sync.leading import LeadingSystemsForm
from leadflow.sync.targets import DeliveryResult

if TYPE_CHECKING:
    from leadflow.sync.models import SyncJob, SyncTarget

# Customer table lengths (see standins/businesscentral/README.md); longer values are shortened, not refused.
MAX_LENGTHS = {
    "displayName": 100,
    "addressLine1": 100,
    "city": 30,
    "postalCode": 20,
    "phoneNumber": 30,
    "email": 80,
    "website": 80,
    "taxRegistrationNumber": 20,
}
# Business Central property ← customer field (an update sends exactly the properties of the changed fields).
FIELDS = {
    "displayName": "company",
    "email": "email",
    "phoneNumber": "phone",
    "website": "website",
    "taxRegistrationNumber": "vat_number",
    "addressLine1": "street",
    "postalCode": "postcode",
    "city": "city",
    "country": "country",
}


class BusinessCentralSettingsForm(LeadingSystemsForm):
    login_url = forms.URLField(
        assume_scheme="https", initial="https://login.microsoftonline.com", help_text="Microsoft identity platform."
    )
    api_url = forms.URLField(
        assume_scheme="https",
        initial="https://api.businesscentral.dynamics.com/v2.0",
        help_text="Business Central's API root.",
    )
    tenant_id = forms.CharField(help_text="The customer's Microsoft Entra tenant (directory) id.")
    environment = forms.SlugField(initial="production", help_text="Business Central environment name.")
    company_id = forms.UUIDField(help_text="The company's id (GET …/api/v2.0/companies).")
    client_id = forms.CharField(help_text="Application (client) id of the app registration.")
    client_secret = forms.CharField(help_text="A client secret of that app registration.")
    number_prefix = forms.CharField(
        required=False,
        max_length=8,
        initial="LF",
        help_text="Leadflow numbers its customers <prefix><lead id> (needs Manual Nos. on the customer No. Series); "
        "empty = Business Central's number series, and a create whose answer was lost is then found again only by "
        "its VAT number.",
    )
    calls_per_five_minutes = forms.IntegerField(
        min_value=1, max_value=6000, initial=6000, help_text="Requests all workers share per five minutes."
    )

    def clean_company_id(self) -> str:
        return str(self.cleaned_data["company_id"])


class BusinessCentralTarget(AccountingTarget):
    name = "businesscentral"
    label = "Dynamics 365 Business Central"
    system = "Business Central"
    settings_form = BusinessCentralSettingsForm
    secret_fields = ("client_secret",)
    events = (CUSTOMER_CONVERTED, DEAL_WON, CUSTOMER_UPDATED)
    client_class = BusinessCentralClient
    record_model = BusinessCentralCustomer
    record_noun = "customer"
    own_match_field = "number"

    def describe(self, *, target: "SyncTarget") -> str:
        settings = target.settings
        return f"{settings.get('environment', '')} company {settings.get('company_id', '')}"

    def record_label(self, record: BusinessCentralCustomer) -> str:
        return record.number

    def record_find_or_create(
        self, *, target: "SyncTarget", job: "SyncJob", client: BusinessCentralClient
    ) -> RecordFound:
        customer = business_central_customer(job.payload, prefix=target.settings.get("number_prefix", ""))
        business_central_customers_refresh(target=target, client=client)
        match = business_central_customer_match(target=target, customer=customer)
        if match is not None:
            found = match.customer
            fields = {"customer_id": found.customer_id, "number": found.number, "etag": ""}
            return RecordFound(fields=fields, code=found.number, match_field=match.field)
        suggestion = business_central_customer_suggestion(target=target, customer=customer)
        created = client.post("/customers", customer)
        fields = {"customer_id": created["id"], "number": created["number"], "etag": created["@odata.etag"]}
        return RecordFound(fields=fields, code=created["number"], suggestion=suggestion)

    def record_update(
        self, *, target: "SyncTarget", job: "SyncJob", known: BusinessCentralCustomer | None
    ) -> DeliveryResult:
        """PATCH only the properties of the changed fields, with the ETag last seen as If-Match. Someone changed
        the customer in Business Central meanwhile (409): read its new ETag and send the same change once more;
        the PATCH leaves every other property as Business Central has it."""
        wanted = business_central_customer(job.payload, prefix="")
        changed = {FIELDS_BY_SOURCE[f] for f in job.payload["change"].get("fields", []) if f in FIELDS_BY_SOURCE}
        if not changed:
            return DeliveryResult(detail="No field Business Central keeps was changed.")
        client = BusinessCentralClient(target)
        known = self.record_for_update(target=target, job=job, client=client, known=known)
        if isinstance(known, DeliveryResult):
            return known
        body = {name: wanted.get(name, "") for name in sorted(changed)}
        path = f"/customers({known.customer_id})"
        try:
            saved = client.patch(path, body, etag=known.etag or client.get(path)["@odata.etag"])
        except EntityChanged:
            saved = client.patch(path, body, etag=client.get(path)["@odata.etag"])
        BusinessCentralCustomer.objects.filter(pk=known.pk).update(etag=saved["@odata.etag"])
        return DeliveryResult(status_code=200, detail=f"Updated customer {known.number}: {', '.join(body)}."[:255])


FIELDS_BY_SOURCE = {source: name for name, source in FIELDS.items()}


def business_central_customer(payload: dict[str, Any], *, prefix: str) -> dict[str, Any]:
    """The customers entity for a customer payload: texts shortened to the table's lengths, the VAT number in
    normal form, the country only as a two-letter code, the number `<prefix><lead id>` when a prefix is set."""
    source = payload["customer"]
    person = f"{source.get('first_name', '')} {source.get('last_name', '')}".strip()
    customer: dict[str, Any] = {
        "type": "Company" if source.get("company") else "Person",
        "displayName": source.get("company") or person or f"Leadflow lead {payload['lead_id']}",
    }
    for name, field in FIELDS.items():
        if name != "displayName":
            customer[name] = (source.get(field) or "").strip()
    customer["taxRegistrationNumber"] = identifier_key(customer["taxRegistrationNumber"])
    country = customer["country"].upper()
    customer["country"] = country if len(country) == 2 and country.isalpha() else ""
    for name, limit in MAX_LENGTHS.items():
        customer[name] = customer[name][:limit].strip()
    if prefix:
        customer["number"] = f"{prefix}{payload['lead_id']}"[:20]
    return customer
