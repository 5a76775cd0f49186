"""Exact Online target: the converted customer becomes a debtor (`crm/Accounts`, Status C) in one division.

Idempotent in three layers: the `ExactCustomer` row (a job run twice makes no call at all), a look-up before
every create (KvK, then VAT, then Code, in normal form against Leadflow's copy of the division's accounts, see
`accounts.py` — the Code is the Salesforce Account Id, so even a create whose answer was lost is found again),
and a unique constraint on the row.
OAuth tokens live in `ExactConnection`; see `leadflow.integrations.exact.client` for refresh, limits and errors.
"""

import json
from typing import TYPE_CHECKING, Any

from django import forms
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html

from leadflow.integrations.exact import client as exact_client
from leadflow.integrations.exact.accounts import (
    exact_account_match,
    exact_account_suggestion,
    exact_accounts_refresh,
)
from leadflow.integrations.exact.models import ExactConnection, ExactCustomer, ExactOpenItems
from leadflow.sync.events import CUSTOMER_CONVERTED, CUSTOMER_UPDATED, DEAL_WON
from leadflow.sync.leading import LeadingSystemsForm
from leadflow.sync.targets import DeliveryResult, Target, TargetError

if TYPE_CHECKING:
    from leadflow.sync.models import SyncJob, SyncTarget

CODE_LENGTH = 18
# Longest text Exact stores per property (see standins/exact/README.md for the sources).
MAX_LENGTHS = {
    "Code": CODE_LENGTH,
    "Name": 50,
    "AddressLine1": 80,
    "AddressLine2": 80,
    "City": 30,
    "ChamberOfCommerce": 60,
}
# Exact property -> where its value comes from in the job payload ("customer.<field>" or "salesforce.<id>").
DEFAULT_FIELD_MAPPING = {
    "Code": "salesforce.account_id",
    "Name": "customer.company",
    "ChamberOfCommerce": "customer.registration_number",
    "VATNumber": "customer.vat_number",
    "Email": "customer.email",
    "Phone": "customer.phone",
    "Website": "customer.website",
    "AddressLine1": "customer.street",
    "Postcode": "customer.postcode",
    "City": "customer.city",
    "Country": "customer.country",
}
MAPPABLE_PROPERTIES = [
    "Code",
    "Name",
    "ChamberOfCommerce",
    "VATNumber",
    "Email",
    "Phone",
    "Website",
    "AddressLine1",
    "AddressLine2",
    "Postcode",
    "City",
    "State",
    "Country",
    "SearchCode",
    "Remarks",
]


class ExactSettingsForm(LeadingSystemsForm):
    division = forms.IntegerField(
        min_value=1, required=False, help_text="Exact company number; empty = the connecting user's current one."
    )
    field_mapping = forms.JSONField(
        initial=DEFAULT_FIELD_MAPPING,
        help_text='Exact property → payload field, e.g. {"Name": "customer.company", "Code": "salesforce.account_id"}.',
    )

    def clean_field_mapping(self) -> dict[str, str]:
        mapping = self.cleaned_data["field_mapping"]
        if not isinstance(mapping, dict) or not mapping:
            raise forms.ValidationError("Give an object of Exact property names and payload fields.")
        problems = [
            f"{name!r} is not an Exact account property we write."
            for name in mapping
            if name not in MAPPABLE_PROPERTIES
        ]
        problems += [
            f"{source!r} (for {name}) is not a payload field."
            for name, source in mapping.items()
            if source not in payload_fields()
        ]
        if "Name" not in mapping:
            problems.append("Name must be mapped: Exact requires it.")
        if problems:
            raise forms.ValidationError(problems)
        return mapping


def payload_fields() -> set[str]:
    from leadflow.sync.events import CONVERSION_FIELDS, CUSTOMER_FIELDS

    return {f"customer.{name}" for name in CUSTOMER_FIELDS} | {f"salesforce.{name}" for name in CONVERSION_FIELDS}


def exact_account(payload: dict[str, Any], mapping: dict[str, str]) -> dict[str, Any]:
    """The crm/Accounts document for a customer payload, following the admin's field mapping."""
    account: dict[str, Any] = {"Status": "C"}
    for name, source in mapping.items():
        if value := _payload_value(payload, source):
            account[name] = value
    customer = payload["customer"]
    if not account.get("Name"):
        person = f"{customer.get('first_name', '')} {customer.get('last_name', '')}".strip()
        account["Name"] = person or f"Leadflow lead {payload['lead_id']}"
    account["Code"] = account.get("Code") or f"LF{payload['lead_id']}"
    for name, limit in MAX_LENGTHS.items():
        if name in account:  # Salesforce allows longer names (255) than Exact stores; Exact refuses the rest.
            account[name] = account[name][:limit].strip()
    country = account.get("Country", "").upper()
    if len(country) == 2 and country.isalpha():
        account["Country"] = country
    else:
        account.pop("Country", None)  # Exact only takes ISO codes; an unclean country must not fail the job.
    return account


def _payload_value(payload: dict[str, Any], source: str) -> str:
    section, _, field = source.partition(".")
    return str(payload.get(section, {}).get(field) or "").strip()


def exact_changes(payload: dict[str, Any], mapping: dict[str, str]) -> dict[str, Any]:
    """The properties a customer.updated job changes: those fed by the fields it names (`change.fields`),
    written as for a new debtor; an emptied field clears the property (null), a value Exact cannot take (a
    country that is no ISO code) is left as it is."""
    changed = {f"customer.{name}" for name in payload["change"].get("fields", [])}
    account = exact_account(payload, mapping)
    return {
        name: account.get(name)
        for name, source in mapping.items()
        if source in changed and (name in account or not _payload_value(payload, source))
    }


class ExactTarget(Target):
    name = "exact"
    label = "Exact Online"
    settings_form = ExactSettingsForm
    # A won deal makes sure the customer is a debtor (its payload carries the same customer and ids); an update
    # changes the debtor.
    events = (CUSTOMER_CONVERTED, DEAL_WON, CUSTOMER_UPDATED)

    def describe(self, *, target: "SyncTarget") -> str:
        division = target.settings.get("division")
        connection = ExactConnection.objects.filter(target=target).first()
        state = connection.state(timezone.now()) if connection else "Not connected"
        return f"division {division or 'not chosen yet'} · {state}"

    def admin_status(self, *, target: "SyncTarget") -> str:
        connection = ExactConnection.objects.filter(target=target).first()
        status = connection.state(timezone.now()) if connection else "Not connected"
        url = reverse("exact:connect", args=[target.pk])
        # A button of the change form posting to the connect view (a form cannot sit inside the admin's form).
        return format_html(
            '{} — <button type="submit" class="button" formaction="{}" formmethod="post" formnovalidate>'
            "Connect to Exact Online</button>",
            status,
            url,
        )

    def payment_status(self, *, target: "SyncTarget", lead: Any) -> str:
        items = ExactOpenItems.objects.filter(target=target, lead=lead).first()
        if items is None:
            return ""
        when = f"as read from Exact {timezone.localtime(items.read_at):%d-%m-%Y %H:%M}"
        if not items.open_count:
            return f"Nothing open in Exact ({when})."
        overdue = f", {items.currency} {items.overdue:,.2f} overdue" if items.overdue else ", nothing overdue"
        return (
            f"Open in Exact: {items.currency} {items.outstanding:,.2f} in {items.open_count} item(s){overdue} ({when})."
        )

    def deliver(self, *, target: "SyncTarget", job: "SyncJob") -> DeliveryResult:
        if job.event == CUSTOMER_UPDATED:
            return self._update(target, job)
        known = ExactCustomer.objects.filter(target=target, lead_id=job.lead_id).first()
        if known:
            return DeliveryResult(detail=f"Already in Exact as {known.code.strip()} ({known.exact_id}).")
        return self._create(target, job)

    def _update(self, target: "SyncTarget", job: "SyncJob") -> DeliveryResult:
        """PUT the changed properties on the customer's debtor (a PUT sent twice changes nothing more). A customer
        not yet a debtor (its conversion job has not run) is created from today's data, which that job then finds."""
        changes = exact_changes(job.payload, _mapping(target))
        if not changes:
            return DeliveryResult(detail="No field Exact keeps was changed.")
        known = ExactCustomer.objects.filter(target=target, lead_id=job.lead_id).first()
        if known is None:
            result = self._create(target, job)
            if result.status_code == 201:
                return result
            known = ExactCustomer.objects.get(target=target, lead_id=job.lead_id)
        client = exact_client.ExactClient(target)
        client.put(f"/api/v1/{_division(target)}/crm/Accounts(guid'{known.exact_id}')", json_body=changes)
        return DeliveryResult(status_code=204, detail=f"Updated debtor {known.code.strip()!r}: {', '.join(changes)}.")

    def _create(self, target: "SyncTarget", job: "SyncJob") -> DeliveryResult:
        division = _division(target)
        account = exact_account(job.payload, _mapping(target))
        client = exact_client.ExactClient(target)
        exact_accounts_refresh(target=target, client=client, division=division)
        match = exact_account_match(target=target, account=account)
        suggestion = None
        if match is None:
            suggestion = exact_account_suggestion(target=target, account=account)
            created = client.post(f"/api/v1/{division}/crm/Accounts", json_body=account)
            exact_id, code, status = created["d"]["ID"], created["d"]["Code"], 201
        else:
            exact_id, code, status = match.account.exact_id, match.account.code, 200
        # Our own Code found again means an earlier attempt created the debtor and its answer was lost.
        ours = match is not None and match.field == "Code"
        review = (
            f"Same name and postcode as existing debtor {suggestion}: check whether it is a duplicate."
            if suggestion
            else ""
        )
        # get_or_create: an earlier run of this job that lost its lease may have recorded the same debtor.
        ExactCustomer.objects.get_or_create(
            target=target,
            lead_id=job.lead_id,
            defaults={
                "exact_id": exact_id,
                "code": code or "",
                "matched_existing": bool(match) and not ours,
                "review_suggestion": review[:255],
            },
        )
        if ours:
            return DeliveryResult(
                status_code=status, detail=f"Found debtor {code.strip()!r} an earlier attempt created."
            )
        if review:
            return DeliveryResult(status_code=status, detail=f"Created debtor {code.strip()!r}. {review}"[:255])
        verb = "Matched existing" if match else "Created"
        return DeliveryResult(status_code=status, detail=f"{verb} debtor {json.dumps((code or '').strip())}.")


def _mapping(target: "SyncTarget") -> dict[str, str]:
    return target.settings.get("field_mapping") or DEFAULT_FIELD_MAPPING


def _division(target: "SyncTarget") -> int:
    division = target.settings.get("division")
    if not division:
        raise TargetError("Choose the Exact division (company) in the target's settings.", permanent=True)
    return division
