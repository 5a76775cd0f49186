"""Finding a customer among the relaties SnelStart already has, in normal form.

Before each create the target's `SnelStartRelatieCopy` is brought up to date (`GET /relaties?$filter=ModifiedOn ge
datetime'<newest seen>'`, 500 a page: usually one call returning the last few), then the customer is looked up
locally by KvK and VAT number compared without spaces, dots or case, and by Leadflow's own mark in the memo (a
create whose answer was lost). The same company name and postcode is only a review suggestion.
"""

import re
from dataclasses import dataclass
from typing import Any

from leadflow.core.normalize import company_key, identifier_key, postcode_key
from leadflow.integrations.snelstart.client import SnelStartClient
from leadflow.integrations.snelstart.models import SnelStartConnection, SnelStartRelatieCopy
from leadflow.sync.models import SyncTarget

PAGE_SIZE = 500  # SnelStart's largest $top
EPOCH = "1900-01-01T00:00:00"
MEMO_MARK = "Leadflow lead {lead_id}"
MEMO_MARK_PATTERN = re.compile(r"\bLeadflow lead (\d+)\b")


@dataclass
class Match:
    relatie: SnelStartRelatieCopy
    field: str  # "kvkNummer", "btwNummer" or "memo" (our own earlier create)


def snelstart_relaties_refresh(*, target: SyncTarget, client: SnelStartClient) -> int:
    """Copy the relaties created or changed since the last refresh; returns how many. `ge`, not `gt`: relaties
    changed in the same millisecond as the newest one seen are not skipped (copying one twice is harmless)."""
    since = SnelStartConnection.objects.values_list("copied_until", flat=True).get(target=target) or EPOCH
    copied, newest, skip = 0, since, 0
    while True:
        params = {"$filter": f"ModifiedOn ge datetime'{since}'", "$top": str(PAGE_SIZE), "$skip": str(skip)}
        rows = client.get("/relaties", params)
        SnelStartRelatieCopy.objects.bulk_create(
            [_copy(target, row) for row in rows],
            update_conflicts=True,
            unique_fields=["target", "relatie_id"],
            update_fields=["relatiecode", "naam", "kvk_key", "vat_key", "name_key", "postcode_key", "leadflow_lead_id"],
        )
        copied += len(rows)
        newest = max([newest, *(row.get("modifiedOn") or EPOCH for row in rows)])
        if len(rows) < PAGE_SIZE:
            break
        skip += PAGE_SIZE
    SnelStartConnection.objects.filter(target=target).update(copied_until=newest)
    return copied


def snelstart_relatie_match(*, target: SyncTarget, relatie: dict[str, Any], lead_id: int) -> Match | None:
    """The relatie this customer already is: same KvK, else same VAT number, else the one our earlier attempt made."""
    copies = SnelStartRelatieCopy.objects.filter(target=target).order_by("pk")
    for field, lookup, value in (
        ("kvkNummer", "kvk_key", identifier_key(relatie.get("kvkNummer") or "")),
        ("btwNummer", "vat_key", identifier_key(relatie.get("btwNummer") or "")),
        ("memo", "leadflow_lead_id", lead_id),
    ):
        found = copies.filter(**{lookup: value}).first() if value else None
        if found:
            return Match(found, field)
    return None


def snelstart_relatie_suggestion(*, target: SyncTarget, naam: str, postcode: str) -> SnelStartRelatieCopy | None:
    """A relatie with the same company name and postcode: for a person to review, never matched by itself."""
    name, code = company_key(naam), postcode_key(postcode)
    if not (name and code):
        return None
    return SnelStartRelatieCopy.objects.filter(target=target, name_key=name, postcode_key=code).order_by("pk").first()


def _copy(target: SyncTarget, row: dict[str, Any]) -> SnelStartRelatieCopy:
    address = row.get("vestigingsAdres") or {}
    mark = MEMO_MARK_PATTERN.search(row.get("memo") or "")
    return SnelStartRelatieCopy(
        target=target,
        relatie_id=row["id"],
        relatiecode=row.get("relatiecode"),
        naam=(row.get("naam") or "")[:100],
        kvk_key=identifier_key(row.get("kvkNummer") or "")[:60],
        vat_key=identifier_key(row.get("btwNummer") or "")[:60],
        name_key=company_key(row.get("naam") or "")[:100],
        postcode_key=postcode_key(address.get("postcode") or "")[:30],
        leadflow_lead_id=int(mark[1]) if mark else None,
    )
