"""Pipedrive as a CRM target (leadflow.crm.targets): an Organization, a Person and a Deal per lead, API v2.

Pipedrive has no all-or-nothing request, so a conversion is made idempotent step by step:
- every record it creates carries the conversion's key in a Leadflow-id custom field, and each attempt first
  searches for that key (one itemSearch call over the three types): a retry after a lost answer finds what the
  earlier attempt made and creates only what is missing;
- each id is stored on the Conversion row as soon as Pipedrive returns it, so a later attempt does not even need
  the search for those.
An existing Organization is linked when its KvK custom field holds the lead's registration number, its domain
custom field the lead's website domain, or its name the lead's company name (normalised); an existing Person when
an email matches.
"""

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone

from leadflow.core.exceptions import ExternalServiceError
from leadflow.core.normalize import company_domain, company_key, registrable_domain
from leadflow.crm.models import Conversion
from leadflow.crm.targets import DOES_NOT_FIT, REFERENCES, BatchOutcome, Converted, CrmTarget
from leadflow.integrations.pipedrive.client import PipedriveClient
from leadflow.integrations.salesforce.models import OpportunitySettings, RecordAction
from leadflow.integrations.salesforce.payload import Deal
from leadflow.leads.models import Lead

ENTITIES = {"account": "organization", "contact": "person", "opportunity": "deal"}
PATHS = {"account": "/api/v2/organizations", "contact": "/api/v2/persons", "opportunity": "/api/v2/deals"}
NAMES = ("Organization", "Person", "Deal")
LINK_FIELDS = {"account": "org_id", "contact": "person_id"}  # how the later records point at the earlier ones
STAGES_KEY = "crm:pipedrive:stages"
STAGES_TTL_SECONDS = 3600


@dataclass
class PipedriveRecord:
    """One record of a plan; the attribute names are those the preview templates read for every CRM."""

    reference: str
    action: str  # a RecordAction
    values: dict[str, Any] = field(default_factory=dict)  # the body a created record is sent with
    record_id: str = ""
    label: str = ""
    reason: str = ""
    updates: dict[str, Any] = field(default_factory=dict)

    @property
    def sobject(self) -> str:
        return NAMES[REFERENCES.index(self.reference)]

    @property
    def action_label(self) -> str:
        return RecordAction(self.action).label

    @property
    def link(self) -> str:
        return record_link(self.reference, self.record_id) if self.record_id else ""


@dataclass
class PipedrivePlan:
    lead: Lead
    external_key: str
    account: PipedriveRecord
    contact: PipedriveRecord
    opportunity: PipedriveRecord
    problems: list[str] = field(default_factory=list)
    unknown_fields: list[str] = field(default_factory=list)

    @property
    def records(self) -> tuple[PipedriveRecord, PipedriveRecord, PipedriveRecord]:
        return (self.account, self.contact, self.opportunity)


def record_link(reference: str, record_id: str) -> str:
    return f"{settings.PIPEDRIVE_APP_URL}/{ENTITIES[reference]}/{record_id}"


class PipedriveTarget(CrmTarget):
    name = "pipedrive"
    label = "Pipedrive"
    record_names = NAMES

    def preview(self, *, lead: Lead, external_key: str, deal: Deal) -> PipedrivePlan:
        """Three to six search calls; writes nothing."""
        return Planner(PipedriveClient()).plan(lead, external_key, deal, known={})

    def convert(self, conversions: Sequence[Conversion]) -> BatchOutcome:
        """One lead after the other: a second lead of a new company finds the Organization the first made."""
        client = PipedriveClient()
        outcomes: list[Converted | ExternalServiceError | None] = []
        for conversion in conversions:
            try:
                outcomes.append(_convert_one(client, conversion))
            except ExternalServiceError as exc:
                outcomes.append(exc)
        return BatchOutcome(outcomes, calls=client.calls)

    def record_link(self, reference: str, record_id: str) -> str:
        return record_link(reference, record_id)

    def deal_stages(self) -> list[str]:
        """The account's stage names (GET /api/v2/stages, cached for an hour)."""
        try:
            return list(_stages(PipedriveClient()))
        except ExternalServiceError:
            return [OpportunitySettings.current().stage_name]


def _stages(client: PipedriveClient) -> dict[str, int]:
    stages = cache.get(STAGES_KEY)
    if stages is None:
        stages = {stage["name"]: stage["id"] for stage in client.pages("/api/v2/stages", limit=500)}
        cache.set(STAGES_KEY, stages, STAGES_TTL_SECONDS)
    return stages


def _convert_one(client: PipedriveClient, conversion: Conversion) -> Converted:
    known = {
        reference: (getattr(conversion, f"{reference}_id"), getattr(conversion, f"{reference}_action"))
        for reference in REFERENCES
        if getattr(conversion, f"{reference}_id")
    }
    plan = Planner(client).plan(conversion.lead, conversion.external_key, conversion.deal(), known=known)
    if plan.problems:
        raise ExternalServiceError(
            "Not sent to Pipedrive, which would refuse it: " + " ".join(plan.problems),
            permanent=True,
            extra={"code": DOES_NOT_FIT},
        )
    links: dict[str, int] = {}
    for reference, record in zip(REFERENCES, plan.records, strict=True):
        if record.action == RecordAction.CREATED and not record.record_id:
            body = {**record.values, **links}
            made = client.post(PATHS[reference], body, subject=f"the {record.sobject}")
            record.record_id = str(made["id"])
            # Stored at once: if a later step fails, the retry continues from here without searching.
            Conversion.objects.filter(pk=conversion.pk).update(
                **{f"{reference}_id": record.record_id, f"{reference}_action": record.action}
            )
        elif record.updates:  # setting the same Organization again on a retry changes nothing
            body = {name: links[name] for name in record.updates}
            client.patch(f"{PATHS[reference]}/{record.record_id}", body, subject=f"the update of the {record.sobject}")
        if record.record_id and reference in LINK_FIELDS:
            links[LINK_FIELDS[reference]] = int(record.record_id)
    return Converted(
        {reference: (r.record_id, r.action) for reference, r in zip(REFERENCES, plan.records, strict=True)}
    )


class Planner:
    """What converting a lead means in Pipedrive, from a few searches."""

    def __init__(self, client: PipedriveClient) -> None:
        self.client = client
        self.options = OpportunitySettings.current()

    def plan(self, lead: Lead, key: str, deal: Deal, *, known: dict[str, tuple[str, str]]) -> PipedrivePlan:
        """`known`: records an earlier attempt stored on the Conversion (reference → id, action)."""
        own = self._own_records(key) if len(known) < len(REFERENCES) else {}
        plan = PipedrivePlan(
            lead=lead,
            external_key=key,
            account=self._account(lead, key, known.get("account"), own.get("organization")),
            contact=self._contact(lead, key, known.get("contact"), own.get("person")),
            opportunity=self._deal(lead, key, deal, known.get("opportunity"), own.get("deal")),
        )
        plan.problems = self._problems(plan)
        return plan

    def _own_records(self, key: str) -> dict[str, str]:
        """Records an earlier attempt created (they carry the key): one itemSearch call over the three types."""
        answer = self.client.get(
            "/api/v2/itemSearch",
            term=key,
            item_types="organization,person,deal",
            fields="custom_fields",
            exact_match="true",
            limit=10,
        )
        return {
            found["item"]["type"]: str(found["item"]["id"]) for found in (answer.get("data") or {}).get("items", [])
        }

    def _account(self, lead: Lead, key: str, known: tuple | None, own: str | None) -> PipedriveRecord:
        if known or own:
            record_id, action = known or (own, RecordAction.CREATED)
            return PipedriveRecord("account", action, record_id=record_id, label=lead.company)
        match = self._existing_organization(lead)
        if match:
            found, reason = match
            return PipedriveRecord(
                "account", RecordAction.LINKED, record_id=str(found["id"]), label=found.get("name", ""), reason=reason
            )
        custom = {settings.PIPEDRIVE_ORGANIZATION_KEY_FIELD: key}
        if settings.PIPEDRIVE_KVK_FIELD and lead.registration_number:
            custom[settings.PIPEDRIVE_KVK_FIELD] = lead.registration_number
        if settings.PIPEDRIVE_DOMAIN_FIELD and company_domain(lead):
            custom[settings.PIPEDRIVE_DOMAIN_FIELD] = company_domain(lead)
        values: dict[str, Any] = {"name": lead.company, "custom_fields": custom}
        address = ", ".join(filter(None, (lead.street, f"{lead.postcode} {lead.city}".strip(), lead.country)))
        if address:
            values["address"] = {"value": address}
        return PipedriveRecord("account", RecordAction.CREATED, values=values, label=lead.company)

    def _existing_organization(self, lead: Lead) -> tuple[dict, str] | None:
        """Strongest reason first: KvK number, website domain, company name (each one search call)."""
        if settings.PIPEDRIVE_KVK_FIELD and lead.registration_number:
            number = lead.registration_number.strip()
            for item in self.client.search("organizations", number, fields="custom_fields", exact=True):
                if number in item.get("custom_fields", []):
                    return item, "same KvK number"
        domain = company_domain(lead)
        if settings.PIPEDRIVE_DOMAIN_FIELD and domain:
            for item in self.client.search("organizations", domain, fields="custom_fields", exact=False):
                if any(registrable_domain(value) == domain for value in item.get("custom_fields", [])):
                    return item, "same website domain"
        name = company_key(lead.company)
        if name and len(lead.company.strip()) >= 2:
            for item in self.client.search("organizations", lead.company.strip(), fields="name", exact=False):
                if company_key(item.get("name") or "") == name:
                    return item, "same company name"
        return None

    def _contact(self, lead: Lead, key: str, known: tuple | None, own: str | None) -> PipedriveRecord:
        name = f"{lead.first_name} {lead.last_name}".strip()
        if known or own:
            record_id, action = known or (own, RecordAction.CREATED)
            return PipedriveRecord("contact", action, record_id=record_id, label=name)
        if lead.email:
            for item in self.client.search("persons", lead.email, fields="email", exact=True):
                if lead.email.casefold() in (e.casefold() for e in item.get("emails", [])):
                    # A Person without an Organization joins the one this conversion creates or links.
                    updates = {} if item.get("organization") else {"org_id": "the Organization of this conversion"}
                    return PipedriveRecord(
                        "contact",
                        RecordAction.LINKED,
                        record_id=str(item["id"]),
                        label=item.get("name", ""),
                        reason="same email",
                        updates=updates,
                    )
        values: dict[str, Any] = {
            "name": name,
            "custom_fields": {settings.PIPEDRIVE_PERSON_KEY_FIELD: key},
        }
        if lead.email:
            values["emails"] = [{"value": lead.email, "primary": True, "label": "work"}]
        if lead.phone:
            values["phones"] = [{"value": lead.phone, "primary": True, "label": "work"}]
        return PipedriveRecord("contact", RecordAction.CREATED, values=values, label=values["name"])

    def _deal(self, lead: Lead, key: str, deal: Deal, known: tuple | None, own: str | None) -> PipedriveRecord:
        if known or own:
            record_id, action = known or (own, RecordAction.CREATED)
            return PipedriveRecord("opportunity", action, record_id=record_id)
        wanted = self.options.create_opportunity if deal.create_opportunity is None else deal.create_opportunity
        if not wanted:
            return PipedriveRecord("opportunity", RecordAction.SKIPPED)
        today = timezone.localdate()
        close_date = deal.close_date or today + timedelta(days=self.options.close_date_offset_days)
        values: dict[str, Any] = {
            "title": deal.name or self.options.name_for(lead, today.isoformat()),
            "currency": settings.PIPEDRIVE_CURRENCY,
            "expected_close_date": close_date.isoformat(),
            "custom_fields": {settings.PIPEDRIVE_DEAL_KEY_FIELD: key},
        }
        amount = deal.amount if deal.amount is not None else self.options.amount_for(lead)
        if amount is not None:
            values["value"] = float(amount)
        stage = _stages(self.client).get(deal.stage or self.options.stage_name)
        if stage is not None:  # otherwise Pipedrive puts the deal in the first stage of the default pipeline
            values["stage_id"] = stage
        return PipedriveRecord("opportunity", RecordAction.CREATED, values=values, label=values["title"])

    @staticmethod
    def _problems(plan: PipedrivePlan) -> list[str]:
        """What Pipedrive would refuse, found before any write (it requires these names)."""
        problems = []
        if plan.account.action == RecordAction.CREATED and not plan.account.record_id and not plan.lead.company:
            problems.append("Pipedrive requires an Organization name: the lead has no company.")
        if plan.contact.action == RecordAction.CREATED and not plan.contact.record_id and not plan.contact.label:
            problems.append("Pipedrive requires a Person name: the lead has no first or last name.")
        return problems
