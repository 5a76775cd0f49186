"""What converting a lead means in Salesforce: which records to create, which existing ones to link.

A plan is built from the field mappings, the opportunity settings and one lookup of existing Accounts
(same VAT or KvK number, website domain or normalised name) and Contacts (same email). Records this
conversion itself created on an earlier attempt carry its external key and count as its own, so a retry
upserts them again instead of linking to them.
"""

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.utils import timezone

from leadflow.integrations.salesforce.client import SalesforceClient, external_id_url, record_link, soql_in
from leadflow.integrations.salesforce.models import FieldMapping, OpportunitySettings, RecordAction, SalesforceObject
from leadflow.integrations.salesforce.soql import (
    ACCOUNT_IDENTIFIERS,
    QUERY_LIMIT,
    account_identifier_fields,
    account_query,
    identifier_key,
)
from leadflow.leads.models import Lead
from leadflow.quality.normalize import company_key, is_free_mail_domain, registrable_domain


@dataclass
class RecordPlan:
    sobject: str
    action: str  # a RecordAction
    values: dict[str, Any] = field(default_factory=dict)  # what a created record gets
    record_id: str = ""  # the existing record a linked plan points to
    label: str = ""
    reason: str = ""  # why an existing record was chosen

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

    @property
    def records(self) -> tuple[RecordPlan, RecordPlan, RecordPlan]:
        return (self.account, self.contact, self.opportunity)

    def subrequests(self) -> list[dict]:
        """The writes of this conversion as composite subrequests: upserts by external key, in order."""
        account_ref = "@{account.id}" if self.account.action == RecordAction.CREATED else self.account.record_id
        writes = []
        if self.account.action == RecordAction.CREATED:
            writes.append(self._upsert("account", self.account.values))
        if self.contact.action == RecordAction.CREATED:
            writes.append(self._upsert("contact", {**self.contact.values, "AccountId": account_ref}))
        if self.opportunity.action == RecordAction.CREATED:
            writes.append(self._upsert("opportunity", {**self.opportunity.values, "AccountId": account_ref}))
        return writes

    def _upsert(self, reference_id: str, values: dict[str, Any]) -> dict:
        sobject = getattr(self, reference_id).sobject
        return {
            "method": "PATCH",
            "url": external_id_url(sobject, self.external_key),
            "referenceId": reference_id,
            "body": values,
            # Leadflow looked for existing records itself: duplicate rules set to Alert may let the save through;
            # rules set to Block still refuse it.
            "httpHeaders": {"Sforce-Duplicate-Rule-Header": "allowSave=true"},
        }


def mapped_values(lead: Lead, mappings: Sequence[FieldMapping], sobject: str) -> dict[str, Any]:
    values = {}
    for mapping in mappings:
        if mapping.sobject == sobject:
            value = mapping.value_for(lead)
            if value is not None:
                values[mapping.salesforce_field] = value
    return values


def opportunity_values(lead: Lead, options: OpportunitySettings) -> dict[str, Any]:
    today = timezone.localdate()
    values: dict[str, Any] = {
        "Name": options.name_for(lead, today.isoformat()),
        "StageName": options.stage_name,
        "CloseDate": (today + timedelta(days=options.close_date_offset_days)).isoformat(),
    }
    amount = options.amount_for(lead)
    if amount is not None:
        values["Amount"] = float(amount)
    return values


class ConversionPlanner:
    """Plans many leads with one lookup (a single Composite call holding two SOQL queries)."""

    def __init__(self, client: SalesforceClient) -> None:
        self.client = client
        self.options = OpportunitySettings.current()
        mappings = list(FieldMapping.objects.filter(enabled=True))
        org_fields = client.field_names(SalesforceObject.values)
        # A mapped field the org does not have would make Salesforce refuse every conversion (INVALID_FIELD):
        # it is left out and named in the preview, so an admin can create the field or switch the mapping off.
        self.unknown_fields = [
            f"{m.sobject}.{m.salesforce_field}"
            for m in mappings
            if org_fields.get(m.sobject) is not None and m.salesforce_field.lower() not in org_fields[m.sobject]
        ]
        self.mappings = [m for m in mappings if f"{m.sobject}.{m.salesforce_field}" not in self.unknown_fields]
        self.account_fields = account_identifier_fields(self.mappings)

    def plan(self, items: Sequence[tuple[Lead, str]]) -> list[ConversionPlan]:
        """A plan for each (lead, external key), in order."""
        existing = ExistingRecords(*self._existing([lead for lead, _key in items]), self.account_fields)
        return [self._plan_one(lead, key, existing) for lead, key in items]

    def _plan_one(self, lead: Lead, key: str, existing: "ExistingRecords") -> ConversionPlan:
        contact = existing.contact_for(lead, key)
        account = existing.account_for(lead, key)
        if account is None and contact and contact.get("AccountId"):
            account = (existing.account(contact["AccountId"]), "the existing contact's account")
        return ConversionPlan(
            lead=lead,
            external_key=key,
            account=self._account_plan(lead, account),
            contact=self._contact_plan(lead, contact),
            opportunity=self._opportunity_plan(lead),
            unknown_fields=self.unknown_fields,
        )

    def _account_plan(self, lead: Lead, match: tuple[dict, str] | None) -> RecordPlan:
        if match:
            found, reason = match
            return RecordPlan(
                SalesforceObject.ACCOUNT,
                RecordAction.LINKED,
                record_id=found["Id"],
                label=found.get("Name") or "",
                reason=reason,
            )
        values = mapped_values(lead, self.mappings, SalesforceObject.ACCOUNT)
        return RecordPlan(SalesforceObject.ACCOUNT, RecordAction.CREATED, values=values, label=values.get("Name", ""))

    def _contact_plan(self, lead: Lead, found: dict | None) -> RecordPlan:
        if found:
            label = " ".join(filter(None, (found.get("FirstName"), found.get("LastName"))))
            return RecordPlan(
                SalesforceObject.CONTACT, RecordAction.LINKED, record_id=found["Id"], label=label, reason="same email"
            )
        values = mapped_values(lead, self.mappings, SalesforceObject.CONTACT)
        label = " ".join(filter(None, (values.get("FirstName"), values.get("LastName"))))
        return RecordPlan(SalesforceObject.CONTACT, RecordAction.CREATED, values=values, label=label)

    def _opportunity_plan(self, lead: Lead) -> RecordPlan:
        if not self.options.create_opportunity:
            return RecordPlan(SalesforceObject.OPPORTUNITY, RecordAction.SKIPPED)
        values = {
            **mapped_values(lead, self.mappings, SalesforceObject.OPPORTUNITY),
            **opportunity_values(lead, self.options),
        }
        return RecordPlan(SalesforceObject.OPPORTUNITY, RecordAction.CREATED, values=values, label=values["Name"])

    def _existing(self, leads: Sequence[Lead]) -> tuple[list[dict], list[dict]]:
        queries = {}
        found_accounts = account_query(
            domains=[company_domain(lead) for lead in leads],
            company_names=[lead.company for lead in leads],
            identifiers={field: [getattr(lead, field) for lead in leads] for field in ACCOUNT_IDENTIFIERS},
            identifier_fields=self.account_fields,
        )
        if found_accounts:
            queries["accounts"] = found_accounts
        emails = {lead.email for lead in leads if lead.email}
        if emails:
            ext = settings.SALESFORCE_EXTERNAL_ID_FIELD
            queries["contacts"] = (
                f"SELECT Id, FirstName, LastName, Email, AccountId, {ext} FROM Contact "  # noqa: S608
                f"WHERE Email IN {soql_in(emails)} LIMIT {QUERY_LIMIT}"
            )
        if not queries:
            return [], []
        found = self.client.queries(queries)
        return found.get("accounts", []), found.get("contacts", [])


class ExistingRecords:
    """The lookup's answer indexed by the keys leads are matched on: one pass, then a dictionary look-up per lead.

    Records carrying the conversion's own external key were created by an earlier attempt of that conversion:
    they are its own, not existing ones, so the retry upserts them.
    """

    def __init__(self, accounts: list[dict], contacts: list[dict], account_fields: dict[str, str]) -> None:
        self.account_fields = account_fields
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


def company_domain(lead: Lead) -> str:
    """The company's own domain: the website's, else the email's unless it is a mailbox provider."""
    domain = registrable_domain(lead.website)
    if domain:
        return domain
    email_domain = registrable_domain(lead.email)
    return "" if not email_domain or is_free_mail_domain(email_domain) else email_domain


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
