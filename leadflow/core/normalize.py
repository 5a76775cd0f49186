"""Pure normalisation functions: the keys under which the same customer, typed differently, looks the same.

No database, no network: validators, matchers, intake and the CRM code import these freely.
"""

import re
import unicodedata
from functools import cache, lru_cache
from typing import Any

import phonenumbers
import tldextract
from disposable_email_domains import blocklist as DISPOSABLE_DOMAINS
from phonenumbers.geodata.locale import LOCALE_DATA

# The public-suffix snapshot bundled with tldextract: never fetched, never cached on disk.
_EXTRACT = tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None)

# Mailbox providers whose domain says nothing about the sender's employer (matched on the registrable domain).
FREE_MAIL_DOMAINS = frozenset(
    {
        "aol.com",
        "aim.com",
        "gmail.com",
        "googlemail.com",
        "hotmail.com",
        "hotmail.co.uk",
        "hotmail.nl",
        "hotmail.be",
        "hotmail.de",
        "hotmail.fr",
        "outlook.com",
        "outlook.nl",
        "outlook.be",
        "outlook.de",
        "live.com",
        "live.nl",
        "live.be",
        "live.de",
        "live.co.uk",
        "msn.com",
        "yahoo.com",
        "yahoo.co.uk",
        "yahoo.de",
        "yahoo.fr",
        "ymail.com",
        "icloud.com",
        "me.com",
        "mac.com",
        "gmx.de",
        "gmx.net",
        "gmx.com",
        "gmx.at",
        "web.de",
        "t-online.de",
        "freenet.de",
        "posteo.de",
        "mailbox.org",
        "proton.me",
        "protonmail.com",
        "pm.me",
        "tutanota.com",
        "tuta.io",
        "mail.com",
        "zoho.com",
        "yandex.com",
        "yandex.ru",
        "fastmail.com",
        "ziggo.nl",
        "kpnmail.nl",
        "kpnplanet.nl",
        "planet.nl",
        "hetnet.nl",
        "home.nl",
        "xs4all.nl",
        "chello.nl",
        "casema.nl",
        "quicknet.nl",
        "upcmail.nl",
        "zeelandnet.nl",
        "telfort.nl",
        "online.nl",
        "telenet.be",
        "skynet.be",
        "proximus.be",
        "scarlet.be",
        "orange.fr",
        "free.fr",
        "laposte.net",
        "wanadoo.fr",
        "btinternet.com",
        "sky.com",
        "virginmedia.com",
        "comcast.net",
        "verizon.net",
        "att.net",
    }
)

# Legal-form words that say nothing about which company it is ("Acme B.V." is "Acme").
LEGAL_FORMS = frozenset(
    {
        # Netherlands / Belgium
        "bv",
        "nv",
        "vof",
        "cv",
        "bvba",
        "cvba",
        "comm",
        "commv",
        "vzw",
        "asbl",
        "sprl",
        "scrl",
        "srl",
        "sc",
        "eenmanszaak",
        # Germany / Austria / Switzerland
        "gmbh",
        "ag",
        "kg",
        "ohg",
        "ug",
        "ev",
        "eg",
        "kgaa",
        "mbh",
        "co",
        # English-speaking
        "ltd",
        "limited",
        "llc",
        "llp",
        "lp",
        "plc",
        "inc",
        "incorporated",
        "corp",
        "corporation",
        "company",
        # Romance / Nordic
        "sa",
        "sas",
        "sarl",
        "spa",
        "sl",
        "ab",
        "as",
        "asa",
        "oy",
        "aps",
    }
)
# Words that join or introduce names and differ between spellings of one company ("The Acme & Co").
COMPANY_FILLER_WORDS = frozenset({"the", "and", "en", "und", "et"})
# Lower-case particles of Dutch, German and French surnames ("van der Berg", "von Humboldt", "de la Cruz").
NAME_PARTICLES = frozenset(
    {"van", "der", "den", "de", "het", "ter", "ten", "te", "von", "vom", "zu", "zum", "zur", "la", "le", "du", "des"}
)

_NON_WORD = re.compile(r"[^\w]+")
_LETTERS_ONLY = re.compile(r"[^a-z]+")
_DIGITS_ONLY = re.compile(r"\D+")
_DOTTED_ABBREVIATION = re.compile(r"\b((?:\w\.){2,})")

# Mailboxes of a department rather than a person: fine to write to, poor to match or qualify on (the email
# validator warns about them; matching does not count a shared one as evidence of the same person).
ROLE_MAILBOXES = frozenset(
    {
        "info",
        "sales",
        "contact",
        "office",
        "admin",
        "administratie",
        "support",
        "hello",
        "hallo",
        "mail",
        "post",
        "verkoop",
        "kantoor",
        "service",
        "marketing",
        "inkoop",
        "finance",
        "billing",
        "noreply",
        "no-reply",
        "webmaster",
        "team",
    }
)


def strip_diacritics(value: str) -> str:
    """'Émile Zoë Müller' → 'Emile Zoe Muller' (ß and ø become ss and o)."""
    if value.isascii():
        return value
    value = value.replace("ß", "ss").replace("ø", "o").replace("Ø", "O").replace("æ", "ae").replace("Æ", "AE")
    decomposed = unicodedata.normalize("NFKD", value)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def plain_words(value: str) -> list[str]:
    """Case-folded words without diacritics or punctuation; dotted abbreviations join ('B.V.' → 'bv')."""
    value = _DOTTED_ABBREVIATION.sub(lambda m: m.group(1).replace(".", ""), strip_diacritics(value or ""))
    value = value.replace("'", "").replace("\u2019", "")  # "Art's" is one word
    return [word for word in _NON_WORD.sub(" ", value.casefold().replace("_", " ")).split() if word]


@lru_cache(maxsize=100_000)
def registrable_domain(value: str) -> str:
    """The domain a company registered, from a URL, a bare host or an email address ('' when there is none).

    'https://www.Acme.co.uk/contact' → 'acme.co.uk'; 'anna@mail.acme.nl' → 'acme.nl'.
    """
    value = (value or "").strip().casefold()
    if "@" in value:
        value = value.rsplit("@", 1)[1]
    if not value or " " in value:
        return ""
    result = _EXTRACT(value)
    if result.ipv4 or result.ipv6:
        return ""
    return result.top_domain_under_public_suffix


@lru_cache(maxsize=100_000)
def is_free_mail_domain(domain: str) -> bool:
    """True for mailbox providers (gmail.com, ziggo.nl) and throwaway domains: not a company's own domain."""
    domain = registrable_domain(domain) or (domain or "").strip().casefold()
    return domain in FREE_MAIL_DOMAINS or domain in DISPOSABLE_DOMAINS


def is_disposable_domain(domain: str) -> bool:
    domain = (domain or "").strip().casefold()
    return domain in DISPOSABLE_DOMAINS or registrable_domain(domain) in DISPOSABLE_DOMAINS


def company_key(name: str) -> str:
    """The company name without legal form, articles, punctuation, case or diacritics.

    'The Acme Trading B.V.' and 'ACME trading bv' → 'acme trading'. A name made only of such words keeps them.
    A legal-form word that opens the name is a word of the name ('Spa Hotel Zuid', 'AS Adventure').
    """
    words = [w for w in plain_words(name.replace("&", " and ").replace("+", " and ")) if w not in COMPANY_FILLER_WORDS]
    significant = [w for i, w in enumerate(words) if i == 0 or w not in LEGAL_FORMS]
    return " ".join(significant) or " ".join(plain_words(name))


def person_name_key(first: str, last: str) -> str:
    """'Zoë', 'van der Berg' → 'zoe van der berg': comparable spelling of a person's full name."""
    return " ".join(plain_words(f"{first or ''} {last or ''}"))


def sorted_name_key(first: str, last: str) -> str:
    """The name's words in alphabetical order, so 'Vries, Anna de' and 'Anna de Vries' agree."""
    return " ".join(sorted(plain_words(f"{first or ''} {last or ''}")))


def surname_core(last: str) -> str:
    """The surname without its particles: 'van der Berg' → 'berg' (Dutch lists sort and search this way)."""
    words = plain_words(last or "")
    core = [w for w in words if w not in NAME_PARTICLES]
    return " ".join(core or words)


def email_key(email: str) -> str:
    """The mailbox an address delivers to: lower case, no '+tag', Gmail's dots ignored ('' if not an address)."""
    email = (email or "").strip().casefold()
    if email.count("@") != 1:
        return ""
    local, domain = email.split("@")
    domain = domain.rstrip(".")
    if not local or "." not in domain:
        return ""
    local = local.split("+", 1)[0]
    if domain in ("gmail.com", "googlemail.com"):
        local, domain = local.replace(".", ""), "gmail.com"
    return f"{local}@{domain}"


@lru_cache(maxsize=100_000)
def phone_key(phone: str, region: str = "") -> str:
    """E.164 form of a phone number ('' when it cannot be one); `region` reads numbers typed without a prefix."""
    phone = (phone or "").strip()
    if not phone or len(phone) > 64:
        return ""
    try:
        number = phonenumbers.parse(phone, (region or "").upper() or None)
    except phonenumbers.NumberParseException:
        return ""
    if not phonenumbers.is_possible_number(number):
        return ""
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def digits(value: str) -> str:
    return _DIGITS_ONLY.sub("", value or "")


def identifier_key(value: str) -> str:
    """VAT and registration numbers compared without spaces, dots, dashes or case: 'NL 8532.31.512.B01'."""
    return _NON_WORD.sub("", strip_diacritics(value or "")).upper().replace("_", "")


def postcode_key(postcode: str) -> str:
    """'1234 ab' → '1234AB'."""
    return identifier_key(postcode)


@lru_cache(maxsize=100_000)
def phonetic_key(word: str) -> str:
    """A sound-alike key tuned for Dutch, German and English names: 'Meijer', 'Meyer', 'Maier' → 'MR'.

    Keeps the first letter's sound class and the consonant skeleton; vowels, doubled letters and silent
    h/w vanish. Cheaper and more forgiving than Soundex for ij/y, ph/f, ck/k, sch/s, dt/t, z/s spellings.
    """
    word = _LETTERS_ONLY.sub("", strip_diacritics(word or "").casefold())
    if not word:
        return ""
    for spelling, sound in _SOUND_SPELLINGS:
        word = word.replace(spelling, sound)
    skeleton = [word[0].upper() if word[0] not in "aeiouy" else "A"]
    for letter in word[1:]:
        sound = _CONSONANT_CLASS.get(letter, "")
        if sound and sound != skeleton[-1]:
            skeleton.append(sound)
        elif not sound and letter in "aeiouy":
            skeleton.append("")  # a vowel separates two identical consonant sounds ("Anana")
    return "".join(skeleton)[:6]


_SOUND_SPELLINGS = (
    ("sch", "s"),
    ("ij", "y"),
    ("ei", "y"),
    ("ai", "y"),
    ("ey", "y"),
    ("ay", "y"),
    ("ph", "f"),
    ("ck", "k"),
    ("dt", "t"),
    ("th", "t"),
    ("ch", "g"),
    ("qu", "kw"),
    ("x", "ks"),
    ("c", "k"),
    ("z", "s"),
    ("v", "f"),
    ("w", "f"),
    ("d", "t"),
    ("b", "p"),
    ("g", "k"),
)
_CONSONANT_CLASS = {
    "f": "F",
    "j": "J",
    "k": "K",
    "l": "L",
    "m": "M",
    "n": "N",
    "p": "P",
    "r": "R",
    "s": "S",
    "t": "T",
}


@lru_cache(maxsize=100_000)
def country_code(value: str) -> str:
    """ISO 3166 alpha-2 code for a code or a country name in a common language ('' if unknown).

    'nl', 'NLD', 'Nederland', 'The Netherlands', 'Deutschland', 'Belgique' → 'NL', 'NL', 'NL', 'NL', 'DE', 'BE'.
    """
    key = " ".join(plain_words(value or ""))
    return _country_index().get(key, "")


@cache
def _country_index() -> dict[str, str]:
    index: dict[str, str] = {}
    for code, names in LOCALE_DATA.items():
        if len(code) != 2 or not code.isalpha():
            continue
        index[code.casefold()] = code
        for name in names.values():
            if name.startswith("*"):
                name = names.get(name[1:], "")
            key = " ".join(plain_words(name))
            if key:
                index.setdefault(key, code)
                if key.startswith("the "):
                    index.setdefault(key[4:], code)
    index.update({alpha3.casefold(): code for alpha3, code in _ALPHA3.items()})
    index.update(_COUNTRY_ALIASES)
    return index


# Three-letter codes and everyday names the phone metadata does not list.
_ALPHA3 = {
    "NLD": "NL",
    "BEL": "BE",
    "DEU": "DE",
    "LUX": "LU",
    "FRA": "FR",
    "GBR": "GB",
    "AUT": "AT",
    "CHE": "CH",
    "USA": "US",
    "ESP": "ES",
    "ITA": "IT",
    "DNK": "DK",
    "SWE": "SE",
    "NOR": "NO",
    "POL": "PL",
    "AUS": "AU",
    "IRL": "IE",
    "PRT": "PT",
    "FIN": "FI",
    "CAN": "CA",
}
_COUNTRY_ALIASES = {
    "holland": "NL",
    "the netherlands": "NL",
    "netherlands": "NL",
    "nederland": "NL",
    "belgie": "BE",
    "belgien": "BE",
    "belgique": "BE",
    "duitsland": "DE",
    "germany": "DE",
    "uk": "GB",
    "england": "GB",
    "great britain": "GB",
    "united kingdom": "GB",
    "usa": "US",
    "united states of america": "US",
    "america": "US",
}


def company_domain(lead: Any) -> str:
    """The company's own domain: the website's, else the email's unless it is a mailbox provider."""
    domain = registrable_domain(lead.website)
    if domain:
        return domain
    email_domain = registrable_domain(lead.email)
    return "" if not email_domain or is_free_mail_domain(email_domain) else email_domain
