"""Events the outbox carries and the payload each one sends (schema version in `PAYLOAD_SCHEMA_VERSION`).

Each event's version-1 body is documented as JSON Schema in `docs/schemas/<event>.v1.json`. A target receives an
event only when it opted in (`Target.accepts`): webhooks list their events; other kinds name theirs.
"""

from typing import Any

from leadflow.leads.models import LeadEvent, LeadState
from leadflow.sync.models import PAYLOAD_SCHEMA_VERSION

LEAD_CREATED = "lead.created"
LEAD_QUALIFIED = "lead.qualified"
LEAD_REJECTED = "lead.rejected"
CUSTOMER_CONVERTED = "customer.converted"
CUSTOMER_UPDATED = "customer.updated"
DEAL_WON = "deal.won"
EVENTS = {
    CUSTOMER_CONVERTED: "A qualified lead became a customer in the CRM",
    LEAD_CREATED: "A lead arrived (form, API, import, web shop)",
    LEAD_QUALIFIED: "A lead met the conversion criteria",
    LEAD_REJECTED: "A lead was rejected",
    CUSTOMER_UPDATED: "Something new about a customer (its data edited, a web-shop order, a merged duplicate)",
    DEAL_WON: "The customer's deal was won in the CRM",
}
# What a lead's audit entry says, as an outbox event: (kind, state the transition reached) -> event.
TRANSITION_EVENTS = {LeadState.QUALIFIED: LEAD_QUALIFIED, LeadState.REJECTED: LEAD_REJECTED}

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
# Attributes read from the conversion record (leadflow.crm.models.Conversion: the CRM's record ids);
# a missing one is sent as "".
CONVERSION_FIELDS = ("account_id", "contact_id", "opportunity_id")


def customer_payload(*, lead: Any, conversion: Any) -> dict[str, Any]:
    """The stable JSON document sent downstream for a converted lead. `salesforce` keeps its Salesforce ids for
    receivers written before Pipedrive; `crm` names the CRM the customer is in, whichever it is."""
    crm = getattr(conversion, "crm", "") or ""
    ids = {name: str(getattr(conversion, name, "") or "") for name in CONVERSION_FIELDS}
    return {
        "schema_version": PAYLOAD_SCHEMA_VERSION,
        "lead_id": lead.pk,
        "customer": customer_fields(lead),
        "salesforce": ids if crm == "salesforce" else dict.fromkeys(CONVERSION_FIELDS, ""),
        "crm": {"name": crm, **ids},
    }


def customer_fields(lead: Any) -> dict[str, str]:
    return {name: str(getattr(lead, name) or "") for name in CUSTOMER_FIELDS}


def event_for_audit_entry(entry: LeadEvent) -> str | None:
    """The outbox event an audit entry amounts to, or None: a new lead, a lead qualified or rejected, a won
    deal, or news about a customer (an order or a merge recorded on a converted lead)."""
    if entry.kind == LeadEvent.Kind.CREATED:
        return LEAD_CREATED
    if entry.kind == LeadEvent.Kind.TRANSITION:
        return TRANSITION_EVENTS.get(entry.to_state)
    if entry.lead.state != LeadState.CONVERTED:
        return None
    if entry.data.get("deal_won"):
        return DEAL_WON
    is_customer_news = entry.kind == LeadEvent.Kind.MERGE or bool(entry.data.get("customer_change"))
    return CUSTOMER_UPDATED if is_customer_news else None


def audit_entry_payload(*, entry: LeadEvent, event: str) -> dict[str, Any]:
    """The body of the event an audit entry amounts to, built from the entry and its lead."""
    lead = entry.lead
    if event == DEAL_WON:
        return deal_won_payload(lead=lead, conversion=getattr(lead, "conversion", None), deal=entry.data["deal_won"])
    change = {"actor": entry.actor_label, "reason": entry.reason, "at": entry.created_at.isoformat()}
    if event == CUSTOMER_UPDATED:
        details = {k: v for k, v in entry.data.items() if k != "customer_change"}
        kind = entry.data.get("customer_change") or "merge"
        fields = sorted(changed_fields(entry))
        return customer_payload(lead=lead, conversion=getattr(lead, "conversion", None)) | {
            "change": change | {"kind": kind, "fields": fields, "details": details}
        }
    return {"schema_version": PAYLOAD_SCHEMA_VERSION, "lead_id": lead.pk, "lead": lead_summary(lead), "change": change}


def changed_fields(entry: LeadEvent) -> dict[str, list[str]]:
    """The customer fields an audit entry changed, {field: [before, after]}: an edit's, or what a merge took."""
    if entry.kind == LeadEvent.Kind.MERGE:
        return {name: [value["was"], value["now"]] for name, value in entry.data.get("taken", {}).items()}
    return entry.data.get("changed", {})


def lead_summary(lead: Any) -> dict[str, Any]:
    return {
        "state": lead.state,
        "source": lead.source,
        "source_kind": lead.source_kind,
        "external_id": lead.external_id,
        "created_at": lead.created_at.isoformat(),
        "rejection_reason": lead.rejection_reason,
        "fields": customer_fields(lead),
    }


def deal_won_payload(*, lead: Any, conversion: Any, deal: dict[str, Any]) -> dict[str, Any]:
    """The customer payload plus the won deal, so an accounting target can make sure the customer exists."""
    return customer_payload(lead=lead, conversion=conversion) | {"deal": deal}
