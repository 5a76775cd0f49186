"""A Profile is a record (a lead or a CRM record) reduced to normalised, comparable values.

Both the blocking keys stored in LeadFingerprint and the pair scores are computed from profiles, so a
lead and a Salesforce Contact typed differently compare the same way.
"""

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.conf import settings

from leadflow.core import normalize
from leadflow.quality.remote import REMOTE_FIELDS

# Bump when the recipe of the blocking keys changes: every fingerprint becomes stale and is recomputed.
FINGERPRINT_VERSION = 4

# Imported lists carry columns Leadflow has no field for; intake keeps them in `custom_fields`. These are the
# names (lower case, punctuation as "_") that hold supporting evidence, first match wins.
CUSTOM_BIRTH_DATE = ("date_of_birth", "dob", "birth_date", "birthdate", "geboortedatum", "geburtsdatum")
CUSTOM_NATIONAL_ID = ("soc_sec_id", "ssn", "social_security_number", "national_id", "bsn", "rijksregisternummer")
CUSTOM_HOUSE_NUMBER = ("street_number", "house_number", "huisnummer", "hausnummer", "number")
# Where an import left a Leadflow field empty, its value may still sit in a custom column of another name.
CUSTOM_FALLBACKS = {
    "first_name": ("given_name", "firstname", "forename", "voornaam", "vorname"),
    "last_name": ("surname", "lastname", "family_name", "achternaam", "nachname"),
    "email": ("e_mail", "email_address", "mail"),
    "phone": ("phone_number", "telephone", "tel", "telefoon", "telefon", "mobile"),
    "company": ("name", "business_name", "organisation", "organization", "bedrijf", "firma", "restaurant"),
    "street": ("address_1", "address1", "address", "addr", "street_address", "straat", "strasse"),
    "postcode": ("zip", "zipcode", "zip_code", "postal_code", "postleitzahl"),
    "city": ("suburb", "town", "place", "plaats", "woonplaats", "ort"),
}

# A house number: digits, optionally one letter glued or spaced ("12a", "12 A"), not an ordinal ("3rd").
_HOUSE_NUMBER = re.compile(r"\b(\d{1,5})(?:\s?([a-z])\b)?(?!\w)", re.IGNORECASE)
_ORDINAL = re.compile(r"^(\d{1,3})(?:st|nd|rd|th|e|de|ste|ter|er|re|eme|ème)$")
# Street-type abbreviations, English and Dutch/German/Belgian, written out so both spellings compare equal.
_STREET_WORDS = {
    "st": "street",
    "rd": "road",
    "ave": "avenue",
    "av": "avenue",
    "blvd": "boulevard",
    "dr": "drive",
    "ln": "lane",
    "pl": "place",
    "ct": "court",
    "cres": "crescent",
    "cr": "crescent",
    "hwy": "highway",
    "pde": "parade",
    "tce": "terrace",
    "sq": "square",
    "cct": "circuit",
    "cl": "close",
    "gr": "grove",
    "mt": "mount",
    "str": "straat",
    "strasse": "straat",
    "stra": "straat",
    "weg": "weg",
    "ln.": "laan",
    "pln": "plein",
    "gr.": "gracht",
    "bd": "boulevard",
    "av.": "avenue",
    "ch": "chaussee",
    "stwg": "steenweg",
}
# Words glued to the end of a street name that mean the same street type ("Dorpsstr" = "Dorpsstraat").
_STREET_SUFFIXES = (("strasse", "straat"), ("str", "straat"), ("stwg", "steenweg"), ("straße", "straat"))
_ORDINAL_WORDS = {
    "first": "1",
    "second": "2",
    "third": "3",
    "fourth": "4",
    "fifth": "5",
    "sixth": "6",
    "seventh": "7",
    "eighth": "8",
    "ninth": "9",
    "tenth": "10",
    "eerste": "1",
    "tweede": "2",
    "derde": "3",
    "vierde": "4",
    "vijfde": "5",
    "erste": "1",
    "zweite": "2",
    "dritte": "3",
    "vierte": "4",
    "funfte": "5",
    "premier": "1",
    "premiere": "1",
    "deuxieme": "2",
}
# Compass words after a number or street ("1972 N.", "Main St West") say where, not which street.
_DIRECTIONS = frozenset({"n", "s", "e", "w", "ne", "nw", "se", "sw", "north", "south", "east", "west"})
# Words typed into a name field that are not a name: treated as missing, never as a disagreement.
NAME_PLACEHOLDERS = frozenset(
    {
        "mr",
        "mrs",
        "ms",
        "miss",
        "mx",
        "dr",
        "prof",
        "sir",
        "madam",
        "mevr",
        "mevrouw",
        "dhr",
        "heer",
        "herr",
        "frau",
        "man",
        "woman",
        "male",
        "female",
        "unknown",
        "onbekend",
        "unbekannt",
        "declined",
        "none",
        "null",
        "na",
        "nvt",
        "test",
        "xxx",
        "customer",
        "klant",
        "kunde",
        "contact",
        "noname",
        "anonymous",
        "anon",
        "nn",
        "tbd",
        "tba",
        "private",
        "privé",
        "prive",
        "not",
        "given",
        "provided",
        "no",
        "name",
    }
)


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
    house_number: str = ""  # the numeric part: "12a" and "12 A" → "12"
    house_suffix: str = ""  # a letter or addition after the number: "a"; compass letters are dropped
    postcode: str = ""
    city: str = ""
    birth_date: str = ""
    national_id: str = ""
    last_core: str = ""  # the surname without particles ("van der berg" → "berg")

    @property
    def is_person(self) -> bool:
        return bool(self.first or self.last)

    @property
    def is_company(self) -> bool:
        """A record naming a company and no person; a record naming neither is neither."""
        return bool(self.company) and not self.is_person

    @property
    def reachable(self) -> bool:
        """The record gives a way to reach someone: the channel a household shares or each member owns."""
        return bool(self.email or self.phone)

    @property
    def email_local(self) -> str:
        return self.email.split("@", 1)[0]


def profile_from_values(values: Mapping[str, Any], custom: Mapping[str, Any] | None = None) -> Profile:
    """Build a profile from Leadflow field names (a lead's values or a RemoteRecord's fields)."""
    custom = _normalised_keys(custom or {})

    def value(name: str) -> str:
        typed = str(values.get(name) or "").strip() or _first(custom, (name, *CUSTOM_FALLBACKS.get(name, ())))
        return typed[:500]

    email = normalize.email_key(value("email"))
    domain = normalize.registrable_domain(value("website")) or normalize.registrable_domain(email)
    if normalize.is_free_mail_domain(domain):
        domain = ""
    number, suffix, street = split_street(value("street"))
    typed_number = _first(custom, CUSTOM_HOUSE_NUMBER)
    if typed_number:
        number, suffix, _ = split_street(typed_number)
    last = person_name_words(value("last_name"))
    return Profile(
        first=person_name_words(value("first_name")),
        last=last,
        last_core=normalize.surname_core(last),
        email=email,
        phone=_phone_key(value("phone"), value("country")),
        company=normalize.company_key(value("company")),
        domain=domain,
        vat=normalize.identifier_key(value("vat_number")),
        registration=normalize.identifier_key(value("registration_number")),
        street=street,
        house_number=number,
        house_suffix=suffix,
        postcode=normalize.postcode_key(value("postcode")),
        city=" ".join(normalize.plain_words(value("city"))),
        birth_date=_date_key(_first(custom, CUSTOM_BIRTH_DATE)),
        national_id=normalize.identifier_key(_first(custom, CUSTOM_NATIONAL_ID)),
    )


def person_name_words(value: str) -> str:
    """A name field's words without titles and placeholders ('Mr', 'n/a', 'declined'); '' when nothing is left."""
    if value.strip().casefold() in ("n/a", "n.a.", "-", "?", "--"):
        return ""
    return " ".join(w for w in normalize.plain_words(value) if w not in NAME_PLACEHOLDERS)


def split_street(street: str) -> tuple[str, str, str]:
    """'Keizersgracht 123 A' → ('123', 'a', 'keizersgracht'); '1972 N. 3rd St.' → ('1972', '', '3 street').

    The house number is the first number that is not an ordinal; a compass letter after it is dropped, other
    letters are its suffix. Street-type abbreviations and ordinals are written one way (NL/DE/BE forms too).
    """
    words = normalize.plain_words(street)
    number = suffix = ""
    rest: list[str] = []
    for i, word in enumerate(words):
        following = words[i + 1] if i + 1 < len(words) else ""
        if _ORDINAL.match(word) and following.isalpha() and len(following) > 1:
            rest.append(_street_word(word))  # "1e Helmersstraat", "3rd Street": part of the street's name
            continue
        match = _HOUSE_NUMBER.fullmatch(word)
        if not number and word.isdigit() and len(word) <= 5:
            number = word
            if len(following) == 1 and following not in _DIRECTIONS:
                suffix = following
                words[i + 1] = ""
            continue
        if not number and match and match.group(2):
            number, suffix = match.group(1), "" if match.group(2) in _DIRECTIONS else match.group(2)
            continue
        if word:
            rest.append(_street_word(word))
    return number, suffix, " ".join(w for w in rest if w and w not in _DIRECTIONS)


def _street_word(word: str) -> str:
    ordinal = _ORDINAL.match(word)
    if ordinal:
        return ordinal.group(1)
    if word in _ORDINAL_WORDS:
        return _ORDINAL_WORDS[word]
    if word in _STREET_WORDS:
        return _STREET_WORDS[word]
    for ending, written in _STREET_SUFFIXES:
        if word.endswith(ending) and len(word) > len(ending) + 2:
            return word[: -len(ending)] + written
    return word


# A profile reads the fields a CRM record carries, so leads and CRM records compare alike.
LEAD_PROFILE_FIELDS = REMOTE_FIELDS


def profile_from_lead(lead: Any) -> Profile:
    """`lead` is a Lead or a dict of LEAD_PROFILE_FIELDS plus custom_fields."""
    if isinstance(lead, Mapping):
        return profile_from_values(lead, lead.get("custom_fields"))
    return profile_from_values({f: getattr(lead, f) for f in LEAD_PROFILE_FIELDS}, lead.custom_fields)


# The blocking rules: records sharing any one key are compared in full. Each rule names the profile parts it
# is built from; no part is needed by every rule, so one typo or one missing field never hides a pair. A key
# built on a value most records share (a default postcode, one city) says nothing and is not used: see
# `usable_keys`. Weak parts (a surname sound) are combined with a second one so blocks stay small as the
# database grows.
BLOCKING_RULES: dict[str, tuple[str, ...]] = {
    "email_key": ("email",),
    "phone_key": ("phone",),
    "vat_key": ("vat",),
    "registration_key": ("registration",),
    "domain": ("domain",),
    "company_key": ("company",),
    "company_surname": ("company", "last_sound"),
    "full_name": ("name",),
    "name_sound": ("name_sound",),
    "name_prefix": ("name_prefix",),
    "surname_city": ("last_sound", "city_sound"),
    "surname_area": ("last_sound", "postcode_area"),
    "surname_street": ("last_sound", "street_sound"),
    "first_place": ("first_sound", "postcode"),
    "first_city": ("first_sound", "city_sound"),
    "first_street": ("first_sound", "street_sound"),
    "surname_prefix_place": ("last_prefix", "postcode"),
    "initials_address": ("initials", "street", "house_number"),
    "address_key": ("postcode", "house_number"),
    "street_number": ("street_sound", "house_number"),
    "street_place": ("street_sound", "postcode"),
    "city_number": ("city_sound", "house_number"),
    "street_name_area": ("street_name", "postcode_area"),
    "street_name_city": ("street_name", "city_sound"),
    "street_name_number": ("street_name", "house_number"),
    "birth_key": ("birth_date", "initials"),
    "national_id": ("national_id",),
}
KEY_SEPARATOR = "|"


def key_parts(profile: Profile) -> dict[str, str]:
    """The normalised values blocking keys are built from (and whose frequency `usable_keys` checks)."""
    first_sound = normalize.phonetic_key(profile.first.split(" ")[0]) if profile.first else ""
    last_sound = normalize.phonetic_key(profile.last_core.replace(" ", ""))
    words = f"{profile.first} {profile.last}".split()
    street_words = [word for word in profile.street.split() if len(word) >= 3 and not word.isdigit()]
    return {
        "email": profile.email,
        "phone": profile.phone,
        "vat": profile.vat,
        "registration": profile.registration,
        "domain": profile.domain,
        "company": profile.company,
        "name": " ".join(sorted(words)) if profile.first and profile.last else "",
        "name_sound": "+".join(sorted((first_sound, last_sound))) if first_sound and last_sound else "",
        # The first letters of both names, in alphabetical order: survives a typo late in either, and a swap.
        "name_prefix": "+".join(sorted((profile.first[:3], profile.last_core[:3])))
        if len(profile.first) >= 2 and len(profile.last_core) >= 2
        else "",
        "last_prefix": profile.last_core.replace(" ", "")[:4],
        "first_sound": first_sound,
        "last_sound": last_sound,
        "city": profile.city.replace(" ", ""),
        # Sound-alike keys survive a typo in the city, and one in the street's type word ("hopkins sreet").
        "city_sound": normalize.phonetic_key(profile.city.replace(" ", "")),
        "street_name": normalize.phonetic_key(street_words[0]) if street_words else "",
        "postcode": profile.postcode,
        "postcode_area": profile.postcode[:3] if len(profile.postcode) >= 4 else "",
        "initials": "".join(sorted(w[0] for w in (profile.first, profile.last_core) if w)),
        "street": profile.street.replace(" ", ""),
        "street_sound": normalize.phonetic_key(profile.street.replace(" ", "")),
        "house_number": profile.house_number,
        "birth_date": profile.birth_date,
        "national_id": profile.national_id,
    }


def blocking_keys(profile: Profile) -> dict[str, str]:
    """The LeadFingerprint columns: one key per rule of BLOCKING_RULES ('' when a part is missing)."""
    parts = key_parts(profile)
    keys = {}
    for rule, names in BLOCKING_RULES.items():
        values = [parts[name] for name in names]
        keys[rule] = KEY_SEPARATOR.join(values)[:KEY_LENGTH] if all(values) else ""
    return keys


def usable_keys(keys: dict[str, str], common: Mapping[str, set[str] | frozenset[str]]) -> dict[str, str]:
    """The keys none of whose parts is a near-constant value (`common`: measured per part by training)."""
    usable = {}
    for rule, value in keys.items():
        names = BLOCKING_RULES[rule]
        parts = value.split(KEY_SEPARATOR) if len(names) > 1 else [value]
        if value and not any(part in common.get(name, ()) for name, part in zip(names, parts, strict=False)):
            usable[rule] = value
    return usable


KEY_LENGTH = 255


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
