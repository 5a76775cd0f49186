"""SnelStart target: the converted customer becomes a relatie (`relatiesoort` Klant) in one administration, and
later edits Leadflow leads change it.

Idempotent like the Exact target: the `SnelStartCustomer` row (a job run twice makes no call), a look-up before
every create (KvK, then VAT, then Leadflow's mark in the memo, in normal form against the copy of the
administration's relaties, see `relaties.py`), and a unique constraint on the row.

SnelStart keeps one contact person per relatie (`vestigingsAdres.contactpersoon`). A relatie Leadflow creates gets
the converted lead's person; a relatie that already existed keeps its own until an edit of the person's name in
Leadflow is pushed (when Leadflow leads contact data): the newest name from the leading system wins.
"""

from typing import TYPE_CHECKING, Any

from django import forms
from django.core.cache import cache

from leadflow.core.normalize import identifier_key
from leadflow.integrations.snelstart.client import SnelStartClient
from leadflow.integrations.snelstart.models import SnelStartCustomer
from leadflow.integrations.snelstart.relaties import (
    MEMO_MARK,
    snelstart_relatie_match,
    snelstart_relatie_suggestion,
    snelstart_relaties_refresh,
)
from leadflow.sync.accounting import AccountingTarget, RecordFound
from leadflow.sync.events import CUSTOMER_CONVERTED, CUSTOMER_UPDATED, DEAL_WON
from leadflow.sync.leading import LeadingSystemsForm
from leadflow.sync.targets import DeliveryResult, TargetError

if TYPE_CHECKING:
    from leadflow.sync.models import SyncJob, SyncTarget

# Longest text SnelStart stores (B2B API v2 error codes REL-0012/13/20-23; see standins/snelstart/README.md).
MAX_LENGTHS = {"telefoon": 25, "contactpersoon": 50, "straat": 50, "postcode": 25, "plaats": 50, "btwNummer": 50}
ADDRESS = ("straat", "postcode", "plaats", "land")
# Which relatie fields each customer field feeds (an update sends exactly these).
FEEDS = {
    "company": ("naam",),
    "email": ("email",),
    "phone": ("telefoon",),
    "website": ("websiteUrl",),
    "vat_number": ("btwNummer",),
    "registration_number": ("kvkNummer",),
    "first_name": ("contactpersoon",),
    "last_name": ("contactpersoon",),
    "street": ADDRESS,
    "postcode": ADDRESS,
    "city": ADDRESS,
    "country": ADDRESS,
}
LANDEN_CACHE_SECONDS = 86400


class SnelStartSettingsForm(LeadingSystemsForm):
    api_url = forms.URLField(
        assume_scheme="https", initial="https://b2bapi.snelstart.nl/v2", help_text="SnelStart's B2B API v2."
    )
    auth_url = forms.URLField(
        assume_scheme="https", initial="https://auth.snelstart.nl/b2b/token", help_text="SnelStart's token endpoint."
    )
    subscription_key = forms.CharField(help_text="Your partner subscription key (B2B API developer portal, Profile).")
    client_key = forms.CharField(
        help_text="The koppelingsleutel the customer generated in SnelStart Web for this administration."
    )
    calls_per_minute = forms.IntegerField(
        min_value=1, max_value=1000, initial=60, help_text="Calls a minute all workers share for this subscription key."
    )


class SnelStartTarget(AccountingTarget):
    name = "snelstart"
    label = system = "SnelStart"
    settings_form = SnelStartSettingsForm
    secret_fields = ("subscription_key", "client_key")
    events = (CUSTOMER_CONVERTED, DEAL_WON, CUSTOMER_UPDATED)
    client_class = SnelStartClient
    record_model = SnelStartCustomer
    record_noun = "relatie"
    own_match_field = "memo"

    def describe(self, *, target: "SyncTarget") -> str:
        return f"one administration via {target.settings.get('api_url', '')}"

    def record_label(self, record: SnelStartCustomer) -> str:
        return f"{record.relatiecode} ({record.relatie_id})"

    def record_find_or_create(self, *, target: "SyncTarget", job: "SyncJob", client: SnelStartClient) -> RecordFound:
        relatie = snelstart_relatie(job.payload, landen=_landen(target, client))
        snelstart_relaties_refresh(target=target, client=client)
        match = snelstart_relatie_match(target=target, relatie=relatie, lead_id=job.lead_id)
        if match is not None:
            found = match.relatie
            fields = {"relatie_id": found.relatie_id, "relatiecode": found.relatiecode}
            return RecordFound(fields=fields, code=found.relatiecode, match_field=match.field)
        postcode = job.payload["customer"].get("postcode", "")
        suggestion = snelstart_relatie_suggestion(target=target, naam=relatie["naam"], postcode=postcode)
        created = client.post("/relaties", relatie)
        fields = {"relatie_id": created["id"], "relatiecode": created.get("relatiecode")}
        return RecordFound(fields=fields, code=created.get("relatiecode"), suggestion=suggestion)

    def record_update(self, *, target: "SyncTarget", job: "SyncJob", known: SnelStartCustomer | None) -> DeliveryResult:
        """SnelStart's PUT replaces the whole relatie, so the current one is read first and only the fields fed
        by `change.fields` are changed in it. A customer not yet a relatie is created from today's data."""
        fed = {name for field in job.payload["change"].get("fields", []) for name in FEEDS.get(field, ())}
        if not fed:
            return DeliveryResult(detail="No field SnelStart keeps was changed.")
        client = SnelStartClient(target)
        known = self.record_for_update(target=target, job=job, client=client, known=known)
        if isinstance(known, DeliveryResult):
            return known
        wanted = snelstart_relatie(job.payload, landen=_landen(target, client))
        current = client.get(f"/relaties/{known.relatie_id}")
        client.put(f"/relaties/{known.relatie_id}", relatie_changed(current, wanted, fed))
        return DeliveryResult(
            status_code=200, detail=f"Updated relatie {known.relatiecode}: {', '.join(sorted(fed))}."[:255]
        )


def snelstart_relatie(payload: dict[str, Any], *, landen: dict[str, str]) -> dict[str, Any]:
    """The RelatieWriteModel for a customer payload: a Klant with Leadflow's mark in the memo. Values SnelStart
    would refuse are cleaned (VAT letters and digits only, KvK only as 8 digits, texts shortened), and the address
    is sent only when complete, as SnelStart requires (REL-0060)."""
    customer = payload["customer"]
    person = f"{customer.get('first_name', '')} {customer.get('last_name', '')}".strip()
    kvk = identifier_key(customer.get("registration_number", ""))
    relatie: dict[str, Any] = {
        "relatiesoort": ["Klant"],
        "naam": customer.get("company") or person or f"Leadflow lead {payload['lead_id']}",
        "email": customer.get("email") or None,
        "telefoon": _cut("telefoon", customer.get("phone")),
        "websiteUrl": _website(customer.get("website", "")),
        "btwNummer": _cut("btwNummer", identifier_key(customer.get("vat_number", ""))),
        "kvkNummer": kvk if len(kvk) == 8 and kvk.isdigit() else None,
        "memo": MEMO_MARK.format(lead_id=payload["lead_id"]),
        "vestigingsAdres": {"contactpersoon": _cut("contactpersoon", person)},
    }
    address = {
        "straat": _cut("straat", customer.get("street")),
        "postcode": _cut("postcode", customer.get("postcode")),
        "plaats": _cut("plaats", customer.get("city")),
    }
    if all(address.values()):
        relatie["vestigingsAdres"] |= address | _land(customer.get("country", ""), landen)
    return relatie


def relatie_changed(current: dict[str, Any], wanted: dict[str, Any], fed: set[str]) -> dict[str, Any]:
    """The current relatie with the fed fields taken from `wanted` (address fields inside vestigingsAdres)."""
    updated = {**current}
    address = {**(current.get("vestigingsAdres") or {})}
    wanted_address = wanted.get("vestigingsAdres") or {}
    for name in fed:
        if name == "contactpersoon" or (name in ADDRESS and wanted_address.get("straat")):
            address[name] = wanted_address.get(name)
        elif name not in ADDRESS:  # An incomplete address is not sent (REL-0060): SnelStart keeps its own.
            updated[name] = wanted.get(name)
    updated["vestigingsAdres"] = address
    return updated


def _land(country: str, landen: dict[str, str]) -> dict[str, Any]:
    code = country.strip().upper()
    if not code:
        return {}  # SnelStart takes Nederland when no country is given.
    if code not in landen:
        raise TargetError(
            f"SnelStart has no country with code {code!r}; correct the customer's country.", permanent=True
        )
    return {"land": {"id": landen[code]}}


def _landen(target: "SyncTarget", client: SnelStartClient) -> dict[str, str]:
    """Two-letter country code → SnelStart's land id, read once a day per target."""
    key = f"snelstart:landen:{target.pk}"
    landen = cache.get(key)
    if landen is None:
        landen = {land["landcode"].upper(): land["id"] for land in client.get("/landen") if land.get("landcode")}
        cache.set(key, landen, LANDEN_CACHE_SECONDS)
    return landen


def _cut(name: str, value: str | None) -> str | None:
    return (value or "").strip()[: MAX_LENGTHS[name]] or None


def _website(value: str) -> str | None:
    value = value.strip()
    if not value:
        return None
    return value if value.startswith(("http://", "https://")) else f"https://{value}"
