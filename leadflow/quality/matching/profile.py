"""A Profile is a record (a lead or a CRM record) reduced to normalised, comparable values.

Both the blocking keys stored in LeadFingerprint and the pair scores are computed from profiles, so a
lead and a Salesforce Contact typed differently compare the same way.
"""

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.conf import settings

from leadflow.quality import normalize
from leadflow.quality.remote import REMOTE_FIELDS

# Bump when the recipe of the blocking keys changes: every fingerprint becomes stale and is recomputed.
FINGERPRINT_VERSION = 1

# Imported lists carry columns Leadflow has no field for; intake keeps them in `custom_fields`. These are the
# names (lower case, punctuation as "_") that hold supporting evidence, first match wins.
CUSTOM_BIRTH_DATE = ("date_of_birth", "dob", "birth_date", "birthdate", "geboortedatum", "geburtsdatum")
CUSTOM_NATIONAL_ID = ("soc_sec_id", "ssn", "social_security_number", "national_id", "bsn", "rijksregisternummer")
CUSTOM_HOUSE_NUMBER = ("street_number", "house_number", "huisnummer", "hausnummer", "number")
CUSTOM_STREET = ("address_1", "address1", "address", "street_address", "straat", "strasse")
CUSTOM_CITY = ("suburb", "town", "place", "plaats", "woonplaats", "ort")

_HOUSE_NUMBER = re.compile(r"\b(\d{1,5})(?:\s?([a-z])\b)?", re.IGNORECASE)
_STREET_WORDS = {
    "st": "street",
    "str": "strasse",
    "rd": "road",
    "ave": "avenue",
    "av": "avenue",
    "blvd": "boulevard",
    "dr": "drive",
    "ln": "lane",
    "pl": "place",
    "ct": "court",
    "cres": "crescent",
    "hwy": "highway",
    "pde": "parade",
    "tce": "terrace",
    "sq": "square",
}


@dataclass(frozen=True)
class Profile:
    first: str = ""
    last: str = ""
    email: str = ""
    phone: str = ""
    company: str = ""
    domain: str = ""
    vat: str = ""
    registration: str = ""
    street: str = ""
    house_number: str = ""
    postcode: str = ""
    city: str = ""
    birth_date: str = ""
    national_id: str = ""

    @property
    def is_person(self) -> bool:
        return bool(self.first or self.last)

    @property
    def last_core(self) -> str:
        return normalize.surname_core(self.last)

    @property
    def email_local(self) -> str:
        return self.email.split("@", 1)[0]


def profile_from_values(values: Mapping[str, Any], custom: Mapping[str, Any] | None = None) -> Profile:
    """Build a profile from Leadflow field names (a lead's values or a RemoteRecord's fields)."""
    custom = _normalised_keys(custom or {})

    def value(name: str) -> str:
        return str(values.get(name) or "").strip()[:500]

    email = normalize.email_key(value("email"))
    domain = normalize.registrable_domain(value("website")) or normalize.registrable_domain(email)
    if normalize.is_free_mail_domain(domain):
        domain = ""
    street_typed = value("street") or _first(custom, CUSTOM_STREET)
    number, street = _split_house_number(street_typed)
    return Profile(
        first=" ".join(normalize.plain_words(value("first_name"))),
        last=" ".join(normalize.plain_words(value("last_name"))),
        email=email,
        phone=_phone_key(value("phone"), value("country")),
        company=normalize.company_key(value("company")),
        domain=domain,
        vat=normalize.identifier_key(value("vat_number")),
        registration=normalize.identifier_key(value("registration_number")),
        street=street,
        house_number=normalize.identifier_key(_first(custom, CUSTOM_HOUSE_NUMBER)).lower() or number,
        postcode=normalize.postcode_key(value("postcode")),
        city=" ".join(normalize.plain_words(value("city") or _first(custom, CUSTOM_CITY))),
        birth_date=_date_key(_first(custom, CUSTOM_BIRTH_DATE)),
        national_id=normalize.identifier_key(_first(custom, CUSTOM_NATIONAL_ID)),
    )


# A profile reads the fields a CRM record carries, so leads and CRM records compare alike.
LEAD_PROFILE_FIELDS = REMOTE_FIELDS


def profile_from_lead(lead: Any) -> Profile:
    """`lead` is a Lead or a dict of LEAD_PROFILE_FIELDS plus custom_fields."""
    if isinstance(lead, Mapping):
        return profile_from_values(lead, lead.get("custom_fields"))
    return profile_from_values({f: getattr(lead, f) for f in LEAD_PROFILE_FIELDS}, lead.custom_fields)


def blocking_keys(profile: Profile) -> dict[str, str]:
    """The LeadFingerprint columns: records sharing any one of these are compared in full.

    Weak attributes (a name, a birth date) are combined with a second one so that each key stays rare as the
    database grows: the work of matching one lead then does not grow with the number of leads stored.
    """
    first_sound = normalize.phonetic_key(profile.first.split(" ")[0]) if profile.first else ""
    last_sound = normalize.phonetic_key(profile.last_core.replace(" ", ""))
    place = profile.postcode or profile.city.replace(" ", "")
    name = " ".join(sorted(f"{profile.first} {profile.last}".split()))
    initials = "".join(sorted(part[0] for part in (profile.first, profile.last_core) if part))
    return {
        "email_key": profile.email,
        "phone_key": profile.phone,
        "vat_key": profile.vat,
        "registration_key": profile.registration,
        "domain": profile.domain,
        "company_key": profile.company[:255],
        "name_company": f"{name}|{profile.company}"[:255] if name and profile.company else "",
        "name_place": f"{name}|{place}"[:255] if name and place else "",
        "name_sound": (
            f"{'+'.join(sorted((first_sound, last_sound)))}|{place[:2]}" if first_sound and last_sound and place else ""
        ),
        "surname_place": f"{last_sound}|{place}"[:64] if last_sound and place else "",
        "address_key": f"{place}|{profile.house_number}"[:128] if place and profile.house_number else "",
        "birth_key": f"{profile.birth_date}|{initials}" if profile.birth_date and initials else "",
        "national_id": profile.national_id[:32],
    }


def _normalised_keys(custom: Mapping[str, Any]) -> dict[str, str]:
    if not isinstance(custom, Mapping):
        return {}
    return {
        "_".join(normalize.plain_words(str(k))): str(v).strip()[:200]
        for k, v in custom.items()
        if isinstance(v, str | int | float) and str(v).strip()
    }


def _first(custom: Mapping[str, str], names: tuple[str, ...]) -> str:
    return next((custom[n] for n in names if custom.get(n)), "")


def _split_house_number(street: str) -> tuple[str, str]:
    """'Keizersgracht 123 A' → ('123a', 'keizersgracht'); abbreviations written out ('Main St' → 'main street')."""
    match = _HOUSE_NUMBER.search(street)
    number = "".join(part for part in match.groups() if part).lower() if match else ""
    rest = _HOUSE_NUMBER.sub(" ", street) if match else street
    words = [_STREET_WORDS.get(w, w) for w in normalize.plain_words(rest)]
    return number, " ".join(words)


def _phone_key(phone: str, country: str) -> str:
    """E.164 when the number parses; otherwise its digits, so imported lists in any format still compare."""
    region = normalize.country_code(country) or settings.LEADFLOW_DEFAULT_PHONE_REGION
    e164 = normalize.phone_key(phone, region)
    if e164:
        return e164
    digits = normalize.digits(phone)
    return digits[-15:] if len(digits) >= 6 else ""


def _date_key(value: str) -> str:
    """Dates typed as 19870412, 1987-04-12, 12-04-1987 or 12/04/1987 → '19870412' ('' when unreadable)."""
    parts = re.findall(r"\d+", value)
    if len(parts) == 1 and len(parts[0]) == 8:
        text = parts[0]
        return text if text[:2] in ("19", "20") else text[4:] + text[2:4] + text[:2]
    if len(parts) == 3:
        if len(parts[0]) == 4:
            year, month, day = parts
        elif len(parts[2]) == 4:
            day, month, year = parts
        else:
            return ""
        return f"{year}{int(month):02d}{int(day):02d}" if month.isdigit() and day.isdigit() else ""
    return ""
