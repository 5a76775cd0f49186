"""SOQL for finding records that already exist in Salesforce, shared by conversion planning and duplicate lookup.

Every value goes through soql_literal/soql_in/soql_contains; field names come from validated settings or
FieldMapping rows. Text is compared again in Python on normalised keys, since SOQL only narrows the search.
"""

from collections.abc import Iterable

from django.conf import settings

from leadflow.core.normalize import company_key, identifier_key, registrable_domain
from leadflow.integrations.salesforce.client import soql_contains
from leadflow.integrations.salesforce.models import FieldMapping, SalesforceObject

QUERY_LIMIT = 2000
# Lead fields holding company identifiers, strongest first, with the reason a match on them gives.
ACCOUNT_IDENTIFIERS = {"vat_number": "same VAT number", "registration_number": "same chamber of commerce number"}


def account_identifier_fields(mappings: Iterable[FieldMapping]) -> dict[str, str]:
    """Where this org keeps the identifying numbers: lead field → the Account field it is mapped to."""
    return {
        m.lead_field: m.salesforce_field
        for m in mappings
        if m.enabled and m.sobject == SalesforceObject.ACCOUNT and m.lead_field in ACCOUNT_IDENTIFIERS
    }


def account_query(
    *,
    domains: Iterable[str],
    company_names: Iterable[str],
    identifiers: dict[str, Iterable[str]],
    identifier_fields: dict[str, str],
    extra_fields: Iterable[str] = (),
) -> str:
    """SELECT the Accounts that may share a domain, a normalised name or an identifier; '' when nothing to look for.

    `identifiers` maps a lead field (vat_number, registration_number) to the values looked for.
    """
    conditions = []
    for lead_field, values in identifiers.items():
        if lead_field in identifier_fields:
            # However the number was typed there ("NL 9521.02.328.B01" for NL952102328B01): its characters in
            # order with anything between; the normalised comparison afterwards keeps only real matches.
            keys = sorted({identifier_key(v) for v in values} - {""})
            conditions += [f"{identifier_fields[lead_field]} LIKE {soql_contains(*key)}" for key in keys]
    conditions += [f"Website LIKE {soql_contains(d)}" for d in sorted({d for d in domains if d})]
    # Names are compared on their normalised key afterwards; the query narrows by the key's words, in order.
    keys = {company_key(name) for name in company_names if company_key(name)}
    conditions += [f"Name LIKE {soql_contains(*key.split(' '))}" for key in sorted(keys)]
    if not conditions:
        return ""
    ext = settings.SALESFORCE_EXTERNAL_ID_FIELD
    fields = ", ".join(dict.fromkeys(["Id", "Name", "Website", *identifier_fields.values(), *extra_fields, ext]))
    return f"SELECT {fields} FROM Account WHERE {' OR '.join(conditions)} LIMIT {QUERY_LIMIT}"  # noqa: S608


def same_identifier(a: str, b: str) -> bool:
    """VAT and chamber of commerce numbers compared without spaces, dots or case."""
    key_a, key_b = (identifier_key(a), identifier_key(b))
    return bool(key_a) and key_a == key_b


def same_domain(website: str, domain: str) -> bool:
    return bool(domain) and registrable_domain(website or "") == domain


def same_company(name: str, other: str) -> bool:
    key = company_key(name or "")
    return bool(key) and key == company_key(other or "")
