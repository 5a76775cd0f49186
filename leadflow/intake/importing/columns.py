"""Which column of an imported file fills which lead field: recognised by header name, overridable by hand.

Targets are lead fields, `external_id`, two that combine columns (`name` is split into first and last name,
`house_number` is joined to the street), `custom:<key>` (kept in `lead.custom_fields`) or `ignore`.
A column no synonym recognises is kept in `custom_fields` under its header, so nothing in the file is lost.
"""

import re
import unicodedata
from dataclasses import dataclass, field

from leadflow.core.exceptions import ApplicationError
from leadflow.leads.models import Lead

LEAD_TARGETS = (*Lead.EDITABLE_FIELDS, "utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content")
COMBINING_TARGETS = ("name", "house_number")
IGNORE = "ignore"
CUSTOM_PREFIX = "custom:"

SYNONYMS: dict[str, tuple[str, ...]] = {
    "external_id": (
        "id",
        "rec_id",
        "record_id",
        "recid",
        "identifier",
        "external_id",
        "ext_id",
        "reference",
        "ref",
        "lead_id",
        "contact_id",
        "customer_id",
        "uid",
    ),
    "first_name": ("first_name", "given_name", "given", "forename", "fname", "voornaam", "vorname", "prenom"),
    "last_name": ("last_name", "surname", "family_name", "lname", "achternaam", "nachname", "familienname", "nom"),
    "name": ("name", "full_name", "contact_name", "contact_person", "naam", "contactpersoon"),
    "email": ("email", "e_mail", "email_address", "mail", "emailadres", "e_mailadres", "emailadresse"),
    "phone": (
        "phone",
        "phone_number",
        "telephone",
        "telephone_number",
        "tel",
        "telefoon",
        "telefoonnummer",
        "telefon",
        "telefonnummer",
        "mobile",
        "mobiel",
        "gsm",
        "phone_1",
    ),
    "job_title": (
        "job_title",
        "position",
        "function",
        "functie",
        "funktion",
        "role",
        "functietitel",
        "berufsbezeichnung",
    ),
    "company": (
        "company",
        "company_name",
        "organisation",
        "organization",
        "organisation_name",
        "organization_name",
        "org",
        "business",
        "business_name",
        "bedrijf",
        "bedrijfsnaam",
        "firma",
        "firmenname",
        "unternehmen",
        "account",
        "account_name",
        "employer",
    ),
    "website": ("website", "url", "web", "homepage", "site", "domain", "web_site", "webseite", "internetseite"),
    "vat_number": ("vat", "vat_number", "vat_id", "vat_no", "btw", "btw_nummer", "ust_id", "ust_idnr", "tax_id"),
    "registration_number": (
        "kvk",
        "kvk_nummer",
        "kvk_number",
        "coc",
        "coc_number",
        "chamber_of_commerce",
        "registration_number",
        "company_number",
        "handelsregister",
        "handelsregisternummer",
        "hrb",
        "ondernemingsnummer",
    ),
    "street": (
        "address",
        "addr",
        "address_1",
        "address1",
        "address_line_1",
        "street",
        "street_name",
        "street_address",
        "straat",
        "straatnaam",
        "strasse",
        "adres",
        "anschrift",
    ),
    "house_number": (
        "street_number",
        "house_number",
        "huisnummer",
        "hausnummer",
        "huisnr",
        "hausnr",
        "street_no",
        "house_no",
    ),
    "custom:address_2": ("address_2", "address2", "address_line_2", "toevoeging", "adresszusatz"),
    "city": (
        "city",
        "suburb",
        "town",
        "plaats",
        "woonplaats",
        "ort",
        "stadt",
        "stad",
        "locality",
        "municipality",
        "gemeente",
    ),
    "postcode": ("postcode", "zip", "zipcode", "zip_code", "postal_code", "postalcode", "plz", "postleitzahl"),
    "custom:state": ("state", "region", "province", "provincie", "bundesland", "county"),
    "country": ("country", "land", "country_code", "country_name"),
    "company_size": (
        "company_size",
        "employees",
        "employee_count",
        "number_of_employees",
        "no_of_employees",
        "headcount",
        "staff",
        "medewerkers",
        "aantal_medewerkers",
        "aantal_werknemers",
        "werknemers",
        "bedrijfsgrootte",
        "mitarbeiter",
        "anzahl_mitarbeiter",
        "mitarbeiterzahl",
        "anzahl_der_mitarbeiter",
        # German umlauts: headers lose them in normalise_header (ä → a); people also type them as ae.
        "beschaftigte",
        "beschaeftigte",
        "anzahl_beschaftigte",
        "unternehmensgrosse",
        "unternehmensgroesse",
        "firmengrosse",
    ),
    "message": ("message", "comment", "comments", "notes", "note", "remarks", "bericht", "opmerking", "nachricht"),
    "language": ("language", "lang", "taal", "sprache"),
    "custom:date_of_birth": ("date_of_birth", "dob", "birth_date", "birthdate", "birthday", "geboortedatum"),
    "utm_source": ("utm_source",),
    "utm_medium": ("utm_medium",),
    "utm_campaign": ("utm_campaign",),
    "utm_term": ("utm_term",),
    "utm_content": ("utm_content",),
}


def normalise_header(header: str) -> str:
    """'E-mail adres' → 'emailadres', 'Straße' → 'strasse': only letters and digits, no accents, lower case."""
    text = unicodedata.normalize("NFKD", header.replace("ß", "ss")).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]", "", text.lower())


# Headers that may name a person or an organisation; the other `name` synonyms always name a person.
GENERIC_NAMES = ("name", "naam")
_TARGET_BY_HEADER = {normalise_header(name): target for target, names in SYNONYMS.items() for name in names}


class MappingError(ApplicationError):
    code = "invalid_mapping"


@dataclass
class ColumnMapping:
    """One target per column, in file order. `has_external_id` False means row numbers serve as ids."""

    headers: list[str]
    targets: list[str]
    notes: list[str] = field(default_factory=list)

    @property
    def has_external_id(self) -> bool:
        return "external_id" in self.targets

    def describe(self) -> list[tuple[str, str]]:
        return list(zip(self.headers, self.targets, strict=True))

    def as_dict(self) -> dict[str, str]:
        return dict(self.describe())


def target_is_valid(target: str) -> bool:
    if target.startswith(CUSTOM_PREFIX):
        return bool(target[len(CUSTOM_PREFIX) :].strip())
    return target in (*LEAD_TARGETS, *COMBINING_TARGETS, "external_id", IGNORE)


def column_mapping_guess(headers: list[str], overrides: dict[str, str] | None = None) -> ColumnMapping:
    """Map each header through the synonyms, apply `overrides` ({header: target}), then settle conflicts.

    A generic `name` column (name, naam, full_name, …) is read by what else the file holds:
    first/last name columns → it is the company (a custom field if there is a company column too);
    a company column, or an email column → it is the person's name, split into first and last name;
    neither → it is the company (a restaurant, shop or product list: record-linkage data sets mostly are).
    A second column for a target already taken keeps its data as a custom field under its header.
    """
    overrides = _resolve_overrides(headers, overrides or {})
    guessed = [overrides.get(h) or _TARGET_BY_HEADER.get(normalise_header(h), _custom(h)) for h in headers]
    notes = []
    replacement = _generic_name_target(set(guessed))
    for index, target in enumerate(guessed):
        if target == "name" and headers[index] not in overrides and normalise_header(headers[index]) in GENERIC_NAMES:
            guessed[index] = replacement or _custom(headers[index])
            notes.append(f"Column {headers[index]!r} read as {guessed[index]}.")
    taken: set[str] = set()
    for index, target in enumerate(guessed):
        if target in ("house_number", IGNORE) or target.startswith(CUSTOM_PREFIX):
            continue
        if target in taken or (target == "name" and taken & {"first_name", "last_name"}):
            guessed[index] = _custom(headers[index])
            notes.append(f"Column {headers[index]!r} kept as a custom field: {target} comes from an earlier column.")
        taken.add(target)
        if target == "name":
            taken.update(("first_name", "last_name"))
    return ColumnMapping(headers=list(headers), targets=guessed, notes=notes)


def _generic_name_target(targets: set[str]) -> str | None:
    if targets & {"first_name", "last_name"}:
        return None if "company" in targets else "company"
    if targets & {"company", "email"}:
        return "name"
    return "company"


def parse_map_options(options: list[str]) -> dict[str, str]:
    """`--map "Column name=field"` options as {header: target}; an empty target means ignore."""
    overrides = {}
    for option in options:
        header, sep, target = option.rpartition("=")
        if not sep or not header.strip():
            raise MappingError(f"Write --map as COLUMN=FIELD, e.g. --map 'Bedrijf=company' (got {option!r}).")
        overrides[header.strip()] = target.strip() or IGNORE
    return overrides


def _resolve_overrides(headers: list[str], overrides: dict[str, str]) -> dict[str, str]:
    by_normalised = {normalise_header(h): h for h in headers}
    resolved = {}
    for header, target in overrides.items():
        actual = header if header in headers else by_normalised.get(normalise_header(header))
        if actual is None:
            raise MappingError(f"The file has no column {header!r}; its columns are: {', '.join(headers)}.")
        if target == "custom":
            target = _custom(actual)
        if not target_is_valid(target):
            choices = ", ".join((*LEAD_TARGETS, *COMBINING_TARGETS, "external_id", "custom:<key>", IGNORE))
            raise MappingError(f"Unknown field {target!r} for column {actual!r}; choose one of: {choices}.")
        resolved[actual] = target
    return resolved


def _custom(header: str) -> str:
    return f"{CUSTOM_PREFIX}{header}"
