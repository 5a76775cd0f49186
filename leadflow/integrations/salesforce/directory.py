"""Records already in Salesforce that a lead may duplicate, for the quality app's remote matching.

Set `LEADFLOW_REMOTE_DIRECTORY=leadflow.integrations.salesforce.directory.SalesforceDirectory`. One search is one
API call: a Composite request holding up to three SOQL queries (Contacts, Leads, Accounts).
"""

from leadflow.integrations.salesforce.client import SalesforceClient, soql_contains, soql_in
from leadflow.integrations.salesforce.models import FieldMapping
from leadflow.integrations.salesforce.soql import (
    QUERY_LIMIT,
    account_identifier_fields,
    account_query,
    same_company,
    same_domain,
    same_identifier,
)
from leadflow.quality.remote import RemoteDirectory, RemoteQuery, RemoteRecord

# Salesforce field → Leadflow field, per object searched.
CONTACT_FIELDS = {
    "FirstName": "first_name",
    "LastName": "last_name",
    "Email": "email",
    "Phone": "phone",
    "MailingStreet": "street",
    "MailingPostalCode": "postcode",
    "MailingCity": "city",
    "MailingCountry": "country",
}
LEAD_FIELDS = {
    **{sf.removeprefix("Mailing"): ours for sf, ours in CONTACT_FIELDS.items()},
    "Company": "company",
    "Website": "website",
}
ACCOUNT_FIELDS = {
    "Name": "company",
    "Website": "website",
    "Phone": "phone",
    "BillingStreet": "street",
    "BillingPostalCode": "postcode",
    "BillingCity": "city",
    "BillingCountry": "country",
}


class SalesforceDirectory(RemoteDirectory):
    name = "salesforce"

    def search(self, *, query: RemoteQuery) -> list[RemoteRecord]:
        if not query:
            return []
        identifier_fields = account_identifier_fields(FieldMapping.objects.filter(enabled=True))
        soqls = {
            "contacts": _person_query("Contact", CONTACT_FIELDS, query, with_company=False),
            "leads": _person_query("Lead", LEAD_FIELDS, query, with_company=True),
            "accounts": account_query(
                domains=query.domains,
                company_names=query.company_names,
                identifiers={"vat_number": query.vat_numbers, "registration_number": query.registration_numbers},
                identifier_fields=identifier_fields,
                extra_fields=ACCOUNT_FIELDS,
            ),
        }
        found = SalesforceClient().queries({name: soql for name, soql in soqls.items() if soql})
        records = [_person("Contact", CONTACT_FIELDS, r) for r in found.get("contacts", [])]
        records += [_person("Lead", LEAD_FIELDS, r) for r in found.get("leads", []) if _lead_matches(r, query)]
        records += [
            _account(r, identifier_fields)
            for r in found.get("accounts", [])
            if _account_matches(r, query, identifier_fields)
        ]
        return records


def _person_query(sobject: str, fields: dict[str, str], query: RemoteQuery, *, with_company: bool) -> str:
    conditions = []
    if query.emails:
        conditions.append(f"Email IN {soql_in(query.emails)}")
    if query.phones:
        conditions.append(f"Phone IN {soql_in(query.phones)}")
    if with_company:
        conditions += [f"Website LIKE {soql_contains(domain)}" for domain in sorted(set(query.domains))]
        if query.company_names:
            conditions.append(f"Company IN {soql_in(query.company_names)}")
    if not conditions:
        return ""
    return f"SELECT Id, {', '.join(fields)} FROM {sobject} WHERE {' OR '.join(conditions)} LIMIT {QUERY_LIMIT}"  # noqa: S608


def _lead_matches(record: dict, query: RemoteQuery) -> bool:
    """The Website LIKE narrowing also finds other domains containing the text; keep real agreements."""
    return (
        (record.get("Email") or "").casefold() in {e.casefold() for e in query.emails}
        or record.get("Phone") in query.phones
        or any(same_domain(record.get("Website"), d) for d in query.domains)
        or any(same_company(record.get("Company"), name) for name in query.company_names)
    )


def _account_matches(record: dict, query: RemoteQuery, identifier_fields: dict[str, str]) -> bool:
    vat_field, kvk_field = identifier_fields.get("vat_number"), identifier_fields.get("registration_number")
    return (
        any(same_domain(record.get("Website"), d) for d in query.domains)
        or any(same_company(record.get("Name"), name) for name in query.company_names)
        or bool(vat_field and any(same_identifier(record.get(vat_field) or "", v) for v in query.vat_numbers))
        or bool(kvk_field and any(same_identifier(record.get(kvk_field) or "", v) for v in query.registration_numbers))
    )


def _person(sobject: str, fields: dict[str, str], record: dict) -> RemoteRecord:
    values = _leadflow_values(record, fields)
    name = " ".join(filter(None, (values.get("first_name"), values.get("last_name")))) or values.get("email", "")
    label = f"{name} ({values['company']})" if values.get("company") else name
    return RemoteRecord(sobject=sobject, id=record["Id"], label=label, fields=values)


def _account(record: dict, identifier_fields: dict[str, str]) -> RemoteRecord:
    fields = {**ACCOUNT_FIELDS, **{sf: ours for ours, sf in identifier_fields.items()}}
    values = _leadflow_values(record, fields)
    return RemoteRecord(sobject="Account", id=record["Id"], label=values.get("company", record["Id"]), fields=values)


def _leadflow_values(record: dict, fields: dict[str, str]) -> dict[str, str]:
    return {ours: str(record[sf]) for sf, ours in fields.items() if record.get(sf) not in (None, "")}
