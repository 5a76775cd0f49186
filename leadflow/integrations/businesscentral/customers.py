"""Finding a customer among those Business Central already has, in normal form.

Before each create the target's `BusinessCentralCustomerCopy` is brought up to date (`GET customers?$select=…
&$filter=lastModifiedDateTime ge <newest seen>`, following `@odata.nextLink`), then the lead is looked up locally by
VAT number (`taxRegistrationNumber`) compared without spaces, dots or case, and by the number Leadflow gives its
customers (a create whose answer was lost). The same name and postcode is only a review suggestion.
"""

from dataclasses import dataclass
from typing import Any

from leadflow.core.normalize import company_key, identifier_key, postcode_key
from leadflow.integrations.businesscentral.client import BusinessCentralClient
from leadflow.integrations.businesscentral.models import BusinessCentralConnection, BusinessCentralCustomerCopy
from leadflow.sync.models import SyncTarget

EPOCH = "2000-01-01T00:00:00Z"
COPIED = "id,number,displayName,taxRegistrationNumber,postalCode,lastModifiedDateTime"


@dataclass
class Match:
    customer: BusinessCentralCustomerCopy
    field: str  # "taxRegistrationNumber" or "number" (our own earlier create)


def business_central_customers_refresh(*, target: SyncTarget, client: BusinessCentralClient) -> int:
    """Copy the customers created or changed since the last refresh; returns how many."""
    since = BusinessCentralConnection.objects.values_list("copied_until", flat=True).get(target=target) or EPOCH
    page = client.get("/customers", {"$select": COPIED, "$filter": f"lastModifiedDateTime ge {since}"})
    copied, newest = 0, since
    while True:
        rows = page["value"]
        BusinessCentralCustomerCopy.objects.bulk_create(
            [_copy(target, row) for row in rows],
            update_conflicts=True,
            unique_fields=["target", "customer_id"],
            update_fields=["number", "display_name", "vat_key", "name_key", "postcode_key"],
        )
        copied += len(rows)
        newest = max([newest, *(row.get("lastModifiedDateTime") or EPOCH for row in rows)])
        if not page.get("@odata.nextLink"):
            break
        page = client.get_url(page["@odata.nextLink"])
    BusinessCentralConnection.objects.filter(target=target).update(copied_until=newest)
    return copied


def business_central_customer_match(*, target: SyncTarget, customer: dict[str, Any]) -> Match | None:
    copies = BusinessCentralCustomerCopy.objects.filter(target=target).order_by("pk")
    for field, lookup, value in (
        ("taxRegistrationNumber", "vat_key", identifier_key(customer.get("taxRegistrationNumber") or "")),
        ("number", "number", customer.get("number") or ""),
    ):
        found = copies.filter(**{lookup: value}).first() if value else None
        if found:
            return Match(found, field)
    return None


def business_central_customer_suggestion(*, target: SyncTarget, customer: dict[str, Any]):
    """A customer with the same name and postcode: for a person to review, never matched by itself."""
    name, code = company_key(customer.get("displayName") or ""), postcode_key(customer.get("postalCode") or "")
    if not (name and code):
        return None
    copies = BusinessCentralCustomerCopy.objects.filter(target=target, name_key=name, postcode_key=code)
    return copies.order_by("pk").first()


def _copy(target: SyncTarget, row: dict[str, Any]) -> BusinessCentralCustomerCopy:
    return BusinessCentralCustomerCopy(
        target=target,
        customer_id=row["id"],
        number=row.get("number") or "",
        display_name=(row.get("displayName") or "")[:100],
        vat_key=identifier_key(row.get("taxRegistrationNumber") or "")[:60],
        name_key=company_key(row.get("displayName") or "")[:100],
        postcode_key=postcode_key(row.get("postalCode") or "")[:30],
    )
