"""What converting a lead means in Salesforce: which records to create, which existing ones to link.

A plan is built from the field mappings, the opportunity settings and one lookup of existing Accounts
(same VAT or KvK number, website domain or normalised name) and Contacts (same email). Records this
conversion itself created on an earlier attempt carry its external key and count as its own, so a retry
upserts them again instead of linking to them.
"""

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.utils import timezone
from django.utils.text import capfirst

from leadflow.core.normalize import company_domain, company_key, identifier_key, registrable_domain
from leadflow.integrations.salesforce.client import (
    ObjectDescription,
    SalesforceClient,
    external_id_url,
    record_link,
    sobject_url,
    soql_in,
)
from leadflow.integrations.salesforce.models import (
    CUSTOM_FIELD_PREFIX,
    FieldMapping,
    OpportunitySettings,
    RecordAction,
    SalesforceObject,
)
from leadflow.integrations.salesforce.soql import (
    ACCOUNT_IDENTIFIERS,
    QUERY_LIMIT,
    account_identifier_fields,
    account_query,
)
from leadflow.leads.models import Lead


@dataclass
class RecordPlan:
    sobject: str
    action: str  # a RecordAction
    values: dict[str, Any] = field(default_factory=dict)  # what a created record gets
    record_id: str = ""  # the existing record a linked plan points to
    label: str = ""
    reason: str = ""  # why an existing record was chosen
    # Salesforce field → the Leadflow value it comes from, to name both when Salesforce would refuse it.
    sources: dict[str, str] = field(default_factory=dict)
    # For a linked record: its empty fields that this conversion fills (an existing customer's data is kept).
    updates: dict[str, Any] = field(default_factory=dict)

    @property
    def action_label(self) -> str:
        return RecordAction(self.action).label

    @property
    def link(self) -> str:
        return record_link(self.sobject, self.record_id) if self.record_id else ""


@dataclass
class ConversionPlan:
    lead: Lead
    external_key: str
    account: RecordPlan
    contact: RecordPlan
    opportunity: RecordPlan
    unknown_fields: list[str] = field(default_factory=list)  # mapped fields the org lacks, left out
    # Why Salesforce would refuse this conversion (too long, not in a restricted picklist, required field
    # missing): it is not sent, and people see these before any call.
    problems: list[str] = field(default_factory=list)
    # The Contact's role on a new Opportunity; False when an earlier attempt of this conversion made both.
    contact_role: bool = True

    @property
    def records(self) -> tuple[RecordPlan, RecordPlan, RecordPlan]:
        return (self.account, self.contact, self.opportunity)

    def subrequests(self) -> list[dict]:
        """The writes of this conversion as composite subrequests, in order: upserts by external key for new
        records, updates by id of a linked record's empty fields, and the Contact's role on the Opportunity."""
        account_ref = self._ref(self.account, "account")
        contact_ref = self._ref(self.contact, "contact")
        writes = [*self._writes(self.account, "account", {})]
        writes += self._writes(self.contact, "contact", {"AccountId": account_ref})
        writes += self._writes(self.opportunity, "opportunity", {"AccountId": account_ref})
        if self.opportunity.action == RecordAction.CREATED and self.contact_role:
            writes.append(
                {
                    "method": "POST",
                    "url": sobject_url("OpportunityContactRole"),
                    "referenceId": "contactRole",
                    "body": {"OpportunityId": "@{opportunity.id}", "ContactId": contact_ref, "IsPrimary": True},
                }
            )
        return writes

    @staticmethod
    def _ref(record: RecordPlan, reference_id: str) -> str:
        return f"@{{{reference_id}.id}}" if record.action == RecordAction.CREATED else record.record_id

    def _writes(self, record: RecordPlan, reference_id: str, links: dict[str, str]) -> list[dict]:
        if record.action == RecordAction.CREATED:
            return [self._upsert(record.sobject, reference_id, {**record.values, **links})]
        if record.action == RecordAction.LINKED and record.updates:
            return [
                {
                    "method": "PATCH",
                    "url": sobject_url(record.sobject, record.record_id),
                    "referenceId": f"{reference_id}Update",
                    "body": record.updates,
                }
            ]
        return []

    def _upsert(self, sobject: str, reference_id: str, values: dict[str, Any]) -> dict:
        return {
            "method": "PATCH",
            "url": external_id_url(sobject, self.external_key),
            "referenceId": reference_id,
            "body": values,
            # Leadflow looked for existing records itself: duplicate rules set to Alert may let the save through;
            # rules set to Block still refuse it.
            "httpHeaders": {"Sforce-Duplicate-Rule-Header": "allowSave=true"},
        }


@dataclass(frozen=True)
class Deal:
    """What the person converting chose for the Opportunity; None means the admin's default."""

    create_opportunity: bool | None = None
    name: str = ""
    amount: Decimal | None = None
    close_date: date | None = None
    stage: str = ""


def mapped_values(lead: Lead, mappings: Sequence[FieldMapping], sobject: str) -> tuple[dict[str, Any], dict[str, str]]:
    """The lead's values for one sObject, and where each came from (for messages)."""
    values, sources = {}, {}
    for mapping in mappings:
        if mapping.sobject == sobject:
            value = mapping.value_for(lead)
            if value is not None:
                values[mapping.salesforce_field] = value
                sources[mapping.salesforce_field] = lead_field_label(mapping.lead_field)
    return values, sources


def opportunity_values(lead: Lead, options: OpportunitySettings, deal: Deal) -> dict[str, Any]:
    today = timezone.localdate()
    close_date = deal.close_date or today + timedelta(days=options.close_date_offset_days)
    values: dict[str, Any] = {
        "Name": deal.name or options.name_for(lead, today.isoformat()),
        "StageName": deal.stage or options.stage_name,
        "CloseDate": close_date.isoformat(),
    }
    amount = deal.amount if deal.amount is not None else options.amount_for(lead)
    if amount is not None:
        values["Amount"] = float(amount)
    return values


OPPORTUNITY_SOURCES = {"Name": "Opportunity name", "StageName": "Stage", "CloseDate": "Close date", "Amount": "Amount"}
# Fields the conversion fills itself (links between the records and its external key).
FILLED_BY_CONVERSION = {"accountid", "contactid", "opportunityid"}


class ConversionPlanner:
    """Plans many leads with one lookup (a single Composite call holding the SOQL queries)."""

    def __init__(self, client: SalesforceClient) -> None:
        self.client = client
        self.options = OpportunitySettings.current()
        mappings = list(FieldMapping.objects.filter(enabled=True))
        self.descriptions = client.describe(SalesforceObject.values)
        # A mapped field the org does not have would make Salesforce refuse every conversion (INVALID_FIELD):
        # it is left out and named in the preview, so an admin can create the field or switch the mapping off.
        self.unknown_fields = [
            f"{m.sobject}.{m.salesforce_field}"
            for m in mappings
            if self.descriptions.get(m.sobject) is not None
            and self.descriptions[m.sobject].field(m.salesforce_field) is None
        ]
        self.mappings = [m for m in mappings if f"{m.sobject}.{m.salesforce_field}" not in self.unknown_fields]
        self.account_fields = account_identifier_fields(self.mappings)

    def plan(self, items: Sequence[tuple[Lead, str, Deal]]) -> list[ConversionPlan]:
        """A plan for each (lead, external key, deal), in order."""
        existing = self._existing([lead for lead, _key, _deal in items], [key for _lead, key, _deal in items])
        return [self._plan_one(lead, key, deal, existing) for lead, key, deal in items]

    def _plan_one(self, lead: Lead, key: str, deal: Deal, existing: "ExistingRecords") -> ConversionPlan:
        contact = existing.contact_for(lead, key)
        account = existing.account_for(lead, key)
        if account is None and contact and contact.get("AccountId"):
            account = (existing.account(contact["AccountId"]), "the existing contact's account")
        plan = ConversionPlan(
            lead=lead,
            external_key=key,
            account=self._account_plan(lead, account),
            contact=self._contact_plan(lead, contact),
            opportunity=self._opportunity_plan(lead, deal),
            unknown_fields=self.unknown_fields,
            contact_role=key not in existing.own_opportunities,
        )
        if plan.contact.action == RecordAction.LINKED and contact and not contact.get("AccountId"):
            # An existing Contact without an Account joins the Account this conversion creates or links.
            plan.contact.updates["AccountId"] = plan._ref(plan.account, "account")
            plan.contact.sources["AccountId"] = "the Account of this conversion"
        plan.problems = self.problems(plan)
        return plan

    def _account_plan(self, lead: Lead, match: tuple[dict, str] | None) -> RecordPlan:
        values, sources = mapped_values(lead, self.mappings, SalesforceObject.ACCOUNT)
        if match:
            found, reason = match
            return RecordPlan(
                SalesforceObject.ACCOUNT,
                RecordAction.LINKED,
                record_id=found["Id"],
                label=found.get("Name") or "",
                reason=reason,
                sources=sources,
                updates=_empty_in(found, values),
            )
        return RecordPlan(
            SalesforceObject.ACCOUNT, RecordAction.CREATED, values=values, label=values.get("Name", ""), sources=sources
        )

    def _contact_plan(self, lead: Lead, found: dict | None) -> RecordPlan:
        values, sources = mapped_values(lead, self.mappings, SalesforceObject.CONTACT)
        if found:
            label = " ".join(filter(None, (found.get("FirstName"), found.get("LastName"))))
            return RecordPlan(
                SalesforceObject.CONTACT,
                RecordAction.LINKED,
                record_id=found["Id"],
                label=label,
                reason="same email",
                sources=sources,
                updates=_empty_in(found, values),
            )
        label = " ".join(filter(None, (values.get("FirstName"), values.get("LastName"))))
        return RecordPlan(SalesforceObject.CONTACT, RecordAction.CREATED, values=values, label=label, sources=sources)

    def _opportunity_plan(self, lead: Lead, deal: Deal) -> RecordPlan:
        wanted = self.options.create_opportunity if deal.create_opportunity is None else deal.create_opportunity
        if not wanted:
            return RecordPlan(SalesforceObject.OPPORTUNITY, RecordAction.SKIPPED)
        values, sources = mapped_values(lead, self.mappings, SalesforceObject.OPPORTUNITY)
        values.update(opportunity_values(lead, self.options, deal))
        sources.update(OPPORTUNITY_SOURCES)
        return RecordPlan(
            SalesforceObject.OPPORTUNITY, RecordAction.CREATED, values=values, label=values["Name"], sources=sources
        )

    def problems(self, plan: ConversionPlan) -> list[str]:
        """What Salesforce would refuse in this plan, checked against the org's describe before any write."""
        problems = []
        for record in plan.records:
            description = self.descriptions.get(record.sobject)
            if description is None or record.action == RecordAction.SKIPPED:
                continue
            sent = record.values if record.action == RecordAction.CREATED else record.updates
            for name, value in sent.items():
                described = description.field(name)
                reason = described.problem_with(value) if described else ""
                if reason:
                    source = record.sources.get(name, name)
                    problems.append(f"{source} does not fit Salesforce {record.sobject}.{described.name}: {reason}.")
            if record.action == RecordAction.CREATED:
                problems += required_but_missing(description, record.sobject, record.values)
        return problems

    def _existing(self, leads: Sequence[Lead], keys: Sequence[str]) -> "ExistingRecords":
        ext = settings.SALESFORCE_EXTERNAL_ID_FIELD
        queries = {}
        found_accounts = account_query(
            domains=[company_domain(lead) for lead in leads],
            company_names=[lead.company for lead in leads],
            identifiers={field: [getattr(lead, field) for lead in leads] for field in ACCOUNT_IDENTIFIERS},
            identifier_fields=self.account_fields,
            extra_fields=self._mapped_fields(SalesforceObject.ACCOUNT),
        )
        if found_accounts:
            queries["accounts"] = found_accounts
        emails = {lead.email for lead in leads if lead.email}
        if emails:
            contact_fields = ["Id", "FirstName", "LastName", "Email", "AccountId", ext]
            fields = ", ".join(dict.fromkeys([*contact_fields, *self._mapped_fields(SalesforceObject.CONTACT)]))
            queries["contacts"] = (
                f"SELECT {fields} FROM Contact "  # noqa: S608
                f"WHERE Email IN {soql_in(emails)} LIMIT {QUERY_LIMIT}"
            )
        # Opportunities an earlier attempt of these conversions created: their contact role exists too.
        queries["opportunities"] = (
            f"SELECT Id, {ext} FROM Opportunity WHERE {ext} IN {soql_in(keys)} LIMIT {QUERY_LIMIT}"  # noqa: S608
        )
        found = self.client.queries(queries)
        return ExistingRecords(
            found.get("accounts", []),
            found.get("contacts", []),
            self.account_fields,
            own_opportunities={record[ext] for record in found.get("opportunities", [])},
        )

    def _mapped_fields(self, sobject: str) -> list[str]:
        return [m.salesforce_field for m in self.mappings if m.sobject == sobject]


def _empty_in(found: dict, values: dict[str, Any]) -> dict[str, Any]:
    """The values for fields the existing record leaves empty: what Salesforce already holds is kept. A record
    the lookup did not read (only its id is known, e.g. an existing Contact's Account) is left alone."""
    if set(found) <= {"Id"}:
        return {}
    return {name: value for name, value in values.items() if found.get(name) in (None, "")}


def required_but_missing(description: ObjectDescription, sobject: str, values: dict[str, Any]) -> list[str]:
    ext = settings.SALESFORCE_EXTERNAL_ID_FIELD.lower()
    given = {name.lower() for name in values} | FILLED_BY_CONVERSION | {ext}
    return [
        f"Salesforce requires {sobject}.{each.name} ({each.label}), and no field mapping fills it."
        for key, each in description.fields.items()
        if each.required and key not in given
    ]


def mapping_problems(mapping: FieldMapping, descriptions: dict[str, ObjectDescription | None]) -> list[str]:
    """Why the org's describe says this mapping cannot work; nothing when the org was not described."""
    description = descriptions.get(mapping.sobject)
    if description is None:
        return []
    described = description.field(mapping.salesforce_field)
    if described is None:
        return [f"Salesforce {mapping.sobject} has no field {mapping.salesforce_field}."]
    if not described.createable:
        return [f"Salesforce does not let Leadflow's user write {mapping.sobject}.{described.name}."]
    if described.type in ("reference", "id"):
        return [f"{mapping.sobject}.{described.name} holds a record id; conversion sets the links itself."]
    return []


def opportunity_settings_problems(
    options: OpportunitySettings, descriptions: dict[str, ObjectDescription | None]
) -> list[str]:
    description = descriptions.get(SalesforceObject.OPPORTUNITY)
    stage = description.field("StageName") if description else None
    if stage and stage.picklist_values and options.stage_name not in stage.picklist_values:
        return [
            f"“{options.stage_name}” is not an Opportunity stage of this org; choose one of: "
            f"{', '.join(stage.picklist_values)}."
        ]
    return []


def lead_field_label(path: str) -> str:
    """A lead field as people know it: "Email", "Registration number", "custom field budget"."""
    if path.startswith(CUSTOM_FIELD_PREFIX):
        return f"Custom field {path.removeprefix(CUSTOM_FIELD_PREFIX)}"
    return capfirst(Lead._meta.get_field(path).verbose_name)


class ExistingRecords:
    """The lookup's answer indexed by the keys leads are matched on: one pass, then a dictionary look-up per lead.

    Records carrying the conversion's own external key were created by an earlier attempt of that conversion:
    they are its own, not existing ones, so the retry upserts them.
    """

    def __init__(
        self,
        accounts: list[dict],
        contacts: list[dict],
        account_fields: dict[str, str],
        own_opportunities: set[str] = frozenset(),
    ) -> None:
        self.account_fields = account_fields
        self.own_opportunities = own_opportunities
        self._accounts = {account["Id"]: account for account in accounts}
        self._accounts_by_key: dict[str, list[dict]] = defaultdict(list)
        for account in accounts:
            for key in self._account_keys(account):
                self._accounts_by_key[key].append(account)
        self._contacts_by_email: dict[str, list[dict]] = defaultdict(list)
        for contact in contacts:
            self._contacts_by_email[(contact.get("Email") or "").casefold()].append(contact)

    def account(self, account_id: str) -> dict:
        return self._accounts.get(account_id, {"Id": account_id})

    def account_for(self, lead: Lead, own_key: str) -> tuple[dict, str] | None:
        """The existing Account the lead belongs to and why, strongest reason first."""
        for key, reason in lead_account_keys(lead, self.account_fields):
            found = self._foreign(self._accounts_by_key.get(key, []), own_key)
            if found:
                return found, reason
        return None

    def contact_for(self, lead: Lead, own_key: str) -> dict | None:
        return self._foreign(self._contacts_by_email.get(lead.email.casefold(), []) if lead.email else [], own_key)

    def _account_keys(self, account: dict) -> list[str]:
        keys = [
            f"{lead_field}:{identifier_key(account.get(sf_field) or '')}"
            for lead_field, sf_field in self.account_fields.items()
        ]
        keys += [
            f"domain:{registrable_domain(account.get('Website') or '')}",
            f"name:{company_key(account.get('Name') or '')}",
        ]
        return [key for key in keys if not key.endswith(":")]

    @staticmethod
    def _foreign(records: list[dict], own_key: str) -> dict | None:
        ext = settings.SALESFORCE_EXTERNAL_ID_FIELD
        return next((record for record in records if record.get(ext) != own_key), None)


def lead_account_keys(lead: Lead, account_fields: dict[str, str] | None = None) -> list[tuple[str, str]]:
    """(key, reason) pairs identifying the lead's company, strongest first; only mapped identifiers when given."""
    pairs = [
        (f"{field}:{identifier_key(getattr(lead, field))}", reason)
        for field, reason in ACCOUNT_IDENTIFIERS.items()
        if account_fields is None or field in account_fields
    ]
    pairs += [
        (f"domain:{company_domain(lead)}", "same website domain"),
        (f"name:{company_key(lead.company)}", "same company name"),
    ]
    return [(key, reason) for key, reason in pairs if not key.endswith(":")]


def deferred_for_shared_accounts(plans: Sequence[ConversionPlan]) -> set[int]:
    """Indexes of plans that would create an Account another plan of the batch creates too (same VAT or KvK
    number, domain or normalised name). Run after the first, their lookup links to the Account it made."""
    seen: set[str] = set()
    deferred = set()
    for index, plan in enumerate(plans):
        keys = _new_account_keys(plan)
        if keys & seen:
            deferred.add(index)
        seen |= keys
    return deferred


def _new_account_keys(plan: ConversionPlan) -> set[str]:
    if plan.account.action != RecordAction.CREATED:
        return set()
    return {key for key, _reason in lead_account_keys(plan.lead)}
