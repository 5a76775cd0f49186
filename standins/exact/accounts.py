"""crm/Accounts: the properties Exact accepts, its validation and its quirks.

Only the properties Leadflow might touch are modelled; any other name is
refused the way Exact's OData layer refuses it.
"""

import re
import uuid

ENTITY_TYPE = "Exact.Web.Api.Models.Account"
SYNC_ENTITY_TYPE = "Exact.Web.Api.Models.Sync.CRM.Account"
CODE_LENGTH = 18
STATUSES = {"A", "S", "P", "C"}  # none, suspect, prospect, customer

# Property name -> EDM type. Read-only ones are set by the service.
WRITABLE = {
    "Code": "String",
    "Name": "String",
    "Status": "String",
    "IsSales": "Boolean",
    "IsSupplier": "Boolean",
    "IsCompetitor": "Boolean",
    "IsMailing": "Boolean",
    "Blocked": "Boolean",
    "ChamberOfCommerce": "String",
    "VATNumber": "String",
    "VATLiability": "String",
    "Email": "String",
    "Phone": "String",
    "PhoneExtension": "String",
    "Fax": "String",
    "Website": "String",
    "AddressLine1": "String",
    "AddressLine2": "String",
    "AddressLine3": "String",
    "Postcode": "String",
    "City": "String",
    "State": "String",
    "Country": "String",
    "Language": "String",
    "SearchCode": "String",
    "Remarks": "String",
    "AccountManager": "Guid",
    "MainContact": "Guid",
}
READ_ONLY = {
    "ID": "Guid",
    "Division": "Int32",
    "Type": "String",
    "Created": "DateTime",
    "Creator": "Guid",
    "Modified": "DateTime",
    "Modifier": "Guid",
}
PROPERTIES = {**READ_ONLY, **WRITABLE}
DEFAULTS = {"Status": "C"} | {name: False for name, edm_type in WRITABLE.items() if edm_type == "Boolean"}

# Longest text Exact stores per property (Exact's data model as documented by Invantive: AccountName string(50),
# AccountCode string(18), AddressLine1-3 string(80), City string(30), ChamberOfCommerce string(60)); longer
# values are refused with the property named. Salesforce allows 255 characters for an Account name.
MAX_LENGTHS = {
    "Code": CODE_LENGTH,
    "Name": 50,
    "AddressLine1": 80,
    "AddressLine2": 80,
    "AddressLine3": 80,
    "City": 30,
    "ChamberOfCommerce": 60,
}

GUID_PATTERN = re.compile(r"^[0-9a-fA-F]{8}(-[0-9a-fA-F]{4}){3}-[0-9a-fA-F]{12}$")


class AccountError(Exception):
    """A payload Exact would refuse with 400; the message is Exact-like."""


def new_account(payload: object, *, division: int, user_id: str, now: float, existing: list[dict]) -> dict:
    changes = _checked_changes(payload)
    account = dict.fromkeys(PROPERTIES) | DEFAULTS | changes
    if not (account["Code"] or "").strip():
        account["Code"] = next_code(existing)
    stamp = odata_datetime(now)
    account |= {
        "ID": str(uuid.uuid4()),
        "Division": division,
        "Type": "A",
        "Created": stamp,
        "Creator": user_id,
        "Modified": stamp,
        "Modifier": user_id,
    }
    _validate(account, existing)
    return account


def changed_account(account: dict, payload: object, *, user_id: str, now: float, others: list[dict]) -> dict:
    updated = account | _checked_changes(payload)
    updated |= {"Modified": odata_datetime(now), "Modifier": user_id}
    _validate(updated, others)
    return updated


def pad_code(code: str) -> str:
    """Exact right-aligns numeric codes in the 18-character Code column."""
    code = code.strip()
    return code.rjust(CODE_LENGTH) if code.isdigit() else code


def next_code(existing: list[dict]) -> str:
    numbers = [int(a["Code"]) for a in existing if (a["Code"] or "").strip().isdigit()]
    return pad_code(str(max(numbers, default=0) + 1))


def odata_datetime(epoch_seconds: float) -> str:
    return f"/Date({int(epoch_seconds * 1000)})/"


def _checked_changes(payload: object) -> dict:
    if not isinstance(payload, dict):
        raise AccountError("Error processing request stream. JSON text specified is not valid.")
    changes = {}
    for name, value in payload.items():
        if name == "__metadata" or name in READ_ONLY:
            continue  # Echoed metadata and read-only properties are ignored.
        if name not in WRITABLE:
            raise AccountError(
                f"Error processing request stream. The property name '{name}' "
                f"specified for type '{ENTITY_TYPE}' is not valid."
            )
        if not _has_type(value, WRITABLE[name]):
            raise AccountError(
                "Error processing request stream. Error encountered in converting "
                f"the value from request payload for property '{name}' to type "
                f"'{WRITABLE[name]}', which is the property's expected type. "
                "See inner exception for more detail."
            )
        changes[name] = value
    if isinstance(changes.get("Code"), str):
        changes["Code"] = pad_code(changes["Code"])
    if isinstance(changes.get("Country"), str):
        changes["Country"] = changes["Country"].upper()
    return changes


def _has_type(value: object, edm_type: str) -> bool:
    if value is None:
        return True
    if edm_type == "Boolean":
        return isinstance(value, bool)
    if edm_type == "Guid":
        return isinstance(value, str) and bool(GUID_PATTERN.match(value))
    return isinstance(value, str)


def _validate(account: dict, others: list[dict]) -> None:
    problems = []
    if not (account["Name"] or "").strip():
        problems.append("Mandatory: Name")
    code = account["Code"] or ""
    problems += [
        f"{name}: maximum length is {limit}"
        for name, limit in MAX_LENGTHS.items()
        if isinstance(account[name], str) and len(account[name]) > limit
    ]
    if not code.strip():
        problems.append("Mandatory: Code")
    elif any(other["Code"] == code for other in others):
        problems.append(f"Code already exists: {code.strip()}")
    if account["Status"] not in STATUSES:
        problems.append(f"Invalid value for Status: {account['Status']}")
    country = account["Country"]
    if country is not None and not re.fullmatch(r"[A-Z]{2}", country):
        problems.append(f"Invalid value for Country: {country}")
    if problems:
        raise AccountError("\r\n".join(problems))
