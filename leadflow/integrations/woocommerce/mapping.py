"""Turn WooCommerce resources (REST API v3 / webhook bodies) into lead fields.

A buyer's details come from the billing address (customers: the account's name and e-mail when billing is
empty). A value too long for its lead field is kept as a custom field under the field's name, never cut.
"""

from dataclasses import dataclass, field
from typing import Any

from leadflow.leads.models import Lead

# Order/customer meta keys written by common EU VAT plug-ins (WooCommerce EU VAT Number, Aelia EU VAT
# Assistant, YITH EU VAT, Germanized for WooCommerce, the checkout field editor's usual name).
VAT_META_KEYS = (
    "_vat_number",
    "vat_number",
    "_billing_vat_number",
    "billing_vat_number",
    "_billing_vat",
    "billing_vat",
    "_billing_eu_vat_number",
    "yweu_billing_vat",
    "_billing_vat_id",
)
BILLING_TO_LEAD = {
    "first_name": "first_name",
    "last_name": "last_name",
    "company": "company",
    "email": "email",
    "phone": "phone",
    "address_1": "street",
    "postcode": "postcode",
    "city": "city",
    "country": "country",
}
# Billing values kept as custom fields (the lead has no column for them).
BILLING_CUSTOM = ("address_2", "state")


@dataclass
class BuyerDetails:
    email: str
    woo_customer_id: int | None
    fields: dict[str, str] = field(default_factory=dict)
    custom: dict[str, str] = field(default_factory=dict)


def buyer_from_customer(customer: dict[str, Any]) -> BuyerDetails:
    billing = _dict(customer.get("billing"))
    billing.setdefault("email", "")
    for name in ("first_name", "last_name", "email"):
        billing[name] = str(billing.get(name) or customer.get(name) or "")
    return _details(billing, customer.get("meta_data"), _positive_int(customer.get("id")))


def buyer_from_order(order: dict[str, Any]) -> BuyerDetails:
    return _details(_dict(order.get("billing")), order.get("meta_data"), _positive_int(order.get("customer_id")))


def _details(billing: dict[str, Any], meta: Any, customer_id: int | None) -> BuyerDetails:
    fields: dict[str, str] = {}
    custom = {name: str(billing[name]).strip() for name in BILLING_CUSTOM if str(billing.get(name) or "").strip()}
    for woo_name, lead_name in BILLING_TO_LEAD.items():
        value = str(billing.get(woo_name) or "").strip()
        if value:
            _put(fields, custom, lead_name, value)
    vat = vat_number(meta)
    if vat:
        _put(fields, custom, "vat_number", vat)
    return BuyerDetails(email=fields.get("email", ""), woo_customer_id=customer_id, fields=fields, custom=custom)


def vat_number(meta: Any) -> str:
    """The VAT number a VAT plug-in stored in the meta data, or ''."""
    if not isinstance(meta, list):
        return ""
    values = {str(m.get("key")): m.get("value") for m in meta if isinstance(m, dict)}
    for key in VAT_META_KEYS:
        value = values.get(key)
        if isinstance(value, str) and value.strip():
            return value.strip()
    return ""


def _put(fields: dict[str, str], custom: dict[str, str], name: str, value: str) -> None:
    if len(value) <= Lead._meta.get_field(name).max_length:
        fields[name] = value
    else:
        custom[name] = value


def _dict(value: Any) -> dict[str, Any]:
    return dict(value) if isinstance(value, dict) else {}


def _positive_int(value: Any) -> int | None:
    try:
        number = int(value)
    except (TypeError, ValueError):
        return None
    return number if number > 0 else None
