"""Finding a customer among the accounts Exact already has, in normal form.

Before each delivery the target's `ExactAccount` copy is brought up to date from Exact's sync endpoint
(`sync/CRM/Accounts?$filter=Timestamp gt <last seen>`: usually one call returning nothing or a few rows), then the
customer is looked up locally by KvK, VAT number and Code, each compared without spaces, dots or case. A company
with the same name and postcode is only offered as a review suggestion, never taken as the same debtor.
"""

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from leadflow.core.normalize import company_key, identifier_key, postcode_key
from leadflow.integrations.exact.client import ExactClient
from leadflow.integrations.exact.models import ExactAccount, ExactConnection
from leadflow.sync.models import SyncTarget

MIRRORED = ("ID", "Code", "Name", "ChamberOfCommerce", "VATNumber", "Postcode", "Timestamp")


@dataclass
class Match:
    account: ExactAccount
    field: str  # "ChamberOfCommerce", "VATNumber" or "Code"


def exact_accounts_refresh(*, target: SyncTarget, client: ExactClient, division: int) -> int:
    """Copy the accounts created or changed in Exact since the last refresh; returns how many."""
    since = ExactConnection.objects.values_list("accounts_timestamp", flat=True).get(target=target)
    url = f"/api/v1/{division}/sync/CRM/Accounts"
    params = {"$select": ",".join(MIRRORED), "$filter": f"Timestamp gt {since}"}
    copied, newest = 0, since
    while url:
        page = client.get(url, params=params)["d"]
        rows = page["results"]
        ExactAccount.objects.bulk_create(
            [_mirror_row(target, row) for row in rows],
            update_conflicts=True,
            unique_fields=["target", "exact_id"],
            update_fields=["code", "name", "postcode", "kvk_key", "vat_key", "name_key", "postcode_key"],
        )
        copied += len(rows)
        newest = max([newest, *(int(row["Timestamp"]) for row in rows)])
        url, params = _next_page(page.get("__next")), {}
    ExactConnection.objects.filter(target=target, accounts_timestamp__lt=newest).update(accounts_timestamp=newest)
    return copied


def exact_account_match(*, target: SyncTarget, account: dict[str, Any]) -> Match | None:
    """The debtor this customer already is: same KvK, else same VAT number, else same Code (normal forms)."""
    accounts = ExactAccount.objects.filter(target=target)
    for field, lookup, value in (
        ("ChamberOfCommerce", "kvk_key", identifier_key(account.get("ChamberOfCommerce", ""))),
        ("VATNumber", "vat_key", identifier_key(account.get("VATNumber", ""))),
        ("Code", "code", account.get("Code", "").strip()),
    ):
        found = accounts.filter(**{lookup: value}).order_by("pk").first() if value else None
        if found:
            return Match(found, field)
    return None


def exact_account_suggestion(*, target: SyncTarget, account: dict[str, Any]) -> ExactAccount | None:
    """A debtor with the same company name and postcode: for a person to review, never matched by itself."""
    name, postcode = company_key(account.get("Name", "")), postcode_key(account.get("Postcode", ""))
    if not (name and postcode):
        return None
    return ExactAccount.objects.filter(target=target, name_key=name, postcode_key=postcode).order_by("pk").first()


def _mirror_row(target: SyncTarget, row: dict[str, Any]) -> ExactAccount:
    return ExactAccount(
        target=target,
        exact_id=row["ID"],
        code=(row.get("Code") or "").strip(),
        name=(row.get("Name") or "")[:100],
        postcode=(row.get("Postcode") or "")[:30],
        kvk_key=identifier_key(row.get("ChamberOfCommerce") or "")[:60],
        vat_key=identifier_key(row.get("VATNumber") or "")[:60],
        name_key=company_key(row.get("Name") or "")[:100],
        postcode_key=postcode_key(row.get("Postcode") or "")[:30],
    )


def _next_page(next_url: str | None) -> str:
    """Exact's __next is a full URL on the same host; the client wants the path with its query."""
    if not next_url:
        return ""
    parts = urlsplit(next_url)
    return f"{parts.path}?{parts.query}"
