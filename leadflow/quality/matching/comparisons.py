"""Comparison levels: how two profiles agree on each field, as one of a few named levels.

The Fellegi-Sunter model (`scoring.py`) gives every level of every field a weight (learned from the user's own
data, or hand-set), so a comparison here only decides *which* level a pair is in, never how much it counts.
A field missing (or a placeholder) on either side has no level: it says nothing.
"""

from functools import lru_cache

from nicknames import NickNamer
from rapidfuzz import fuzz
from rapidfuzz.distance import DamerauLevenshtein, JaroWinkler

from leadflow.core.normalize import surname_core
from leadflow.quality.matching.profile import Profile

# Each field's levels, best agreement first; the last one is "clearly different".
FIELD_LEVELS: dict[str, tuple[str, ...]] = {
    "first_name": ("exact", "nickname", "typo", "initial", "similar", "different"),
    "last_name": ("exact", "typo", "similar", "different"),
    "email": ("exact", "typo", "different"),
    "phone": ("exact", "typo", "different"),
    "company": ("exact", "typo", "contains", "different"),
    "domain": ("exact", "different"),
    "vat": ("exact", "typo", "different"),
    "registration": ("exact", "typo", "different"),
    "street": ("exact", "typo", "similar", "different"),
    "house_number": ("exact", "number", "different"),
    "postcode": ("exact", "typo", "area", "different"),
    "city": ("exact", "typo", "different"),
    "birth_date": ("exact", "typo", "different"),
    "national_id": ("exact", "typo", "different"),
}
# Fields whose exact agreement is weighed by how common the shared value is (term frequency): two "Smith"s
# say less than two "Zwartjes", a postcode most records share says almost nothing.
TERM_FREQUENCY_FIELDS = ("first_name", "last_name", "street", "postcode", "city")

_NICKNAMES = NickNamer()


def compare(a: Profile, b: Profile) -> dict[str, str]:
    """{field: level} for every field both profiles have; names compared straight or swapped, whichever fits."""
    levels = _compare_names(a, b)
    for name, level in (
        ("email", _email_level(a.email, b.email)),
        ("phone", _phone_level(a.phone, b.phone)),
        ("company", company_level(a.company, b.company)),
        ("domain", _exact_level(a.domain, b.domain)),
        ("vat", _code_level(a.vat, b.vat)),
        ("registration", _code_level(a.registration, b.registration)),
        ("street", _street_level(a.street, b.street)),
        ("house_number", _house_number_level(a, b)),
        ("postcode", _postcode_level(a.postcode, b.postcode)),
        ("city", _city_level(a.city, b.city)),
        ("birth_date", _date_level(a.birth_date, b.birth_date)),
        ("national_id", _code_level(a.national_id, b.national_id)),
    ):
        if level:
            levels[name] = level
    return levels


def term_frequency_values(profile: Profile) -> dict[str, str]:
    """The value of each term-frequency field, as the frequency table stores it."""
    return {
        "first_name": profile.first.split(" ")[0] if profile.first else "",
        "last_name": profile.last_core,
        "street": profile.street,
        "postcode": profile.postcode,
        "city": profile.city,
    }


def _compare_names(a: Profile, b: Profile) -> dict[str, str]:
    straight = {
        "first_name": first_name_level(a.first, b.first),
        "last_name": last_name_level(a.last_core, b.last_core),
    }
    # Swapped: one record's first name holds the other's surname (particles and all: "de Vries, Anna").
    a_first, b_first = surname_core(a.first), surname_core(b.first)
    swapped = {"first_name": first_name_level(a_first, b.last_core), "last_name": last_name_level(a.last_core, b_first)}
    # A swap is taken only when both crosswise names agree at least a little: "Gray, Eric" is not "Jessica Gray".
    if all(swapped.values()) and "different" not in swapped.values() and _rank(swapped) < _rank(straight) - 1:
        return {name: level for name, level in swapped.items() if level}
    return {name: level for name, level in straight.items() if level}


def _rank(levels: dict[str, str]) -> int:
    """Lower is better agreement; a missing level counts as the worst."""
    return sum(FIELD_LEVELS[name].index(level) if level else 6 for name, level in levels.items())


@lru_cache(maxsize=200_000)
def first_name_level(a: str, b: str) -> str:
    if not a or not b:
        return ""
    a_first, b_first = a.split(" ")[0], b.split(" ")[0]
    if a_first == b_first:
        return "exact"
    if len(a_first) == 1 or len(b_first) == 1:
        return "initial" if a_first[0] == b_first[0] else "different"
    if names_related(a_first, b_first):
        return "nickname"
    if _is_typo(a_first, b_first) or _is_typo(a, b):
        return "typo"
    if JaroWinkler.similarity(a_first, b_first) >= 0.8:
        return "similar"
    return "different"


@lru_cache(maxsize=200_000)
def last_name_level(a: str, b: str) -> str:
    # Token sets: "van den berg" and "berg" share their words; one is the other with particles.
    return _words_level(a, b, similar_words=fuzz.token_set_ratio(a, b) >= 90 if a and b else False)


def _words_level(a: str, b: str, *, similar_words: bool) -> str:
    """Names and streets: equal (spaces ignored), one typo, similar (Jaro-Winkler or their words), different."""
    if not a or not b:
        return ""
    if a == b or a.replace(" ", "") == b.replace(" ", ""):
        return "exact"
    if _is_typo(a, b):
        return "typo"
    if similar_words or JaroWinkler.similarity(a, b) >= 0.8:
        return "similar"
    return "different"


def names_related(a: str, b: str) -> bool:
    """Bob and Robert, Jim and James, Bob and Rob (both short for Robert): the `nicknames` package's table."""
    return b in _related_names(a)


@lru_cache(maxsize=50_000)
def _related_names(name: str) -> frozenset[str]:
    """The name's nicknames, the names it is a nickname of, and their other nicknames."""
    canonicals = _NICKNAMES.canonicals_of(name)
    related = set(_NICKNAMES.nicknames_of(name)) | canonicals
    for canonical in canonicals:
        related |= _NICKNAMES.nicknames_of(canonical)
    return frozenset(related - {name})


def _is_typo(a: str, b: str) -> bool:
    """One slip (insert, delete, substitute or swap two neighbours; two in long words), or a close Jaro-Winkler."""
    allowed = 1 if min(len(a), len(b)) < 8 else 2
    if DamerauLevenshtein.distance(a, b) <= allowed and min(len(a), len(b)) >= 3:
        return True
    return JaroWinkler.similarity(a, b) >= 0.93


@lru_cache(maxsize=200_000)
def company_level(a: str, b: str) -> str:
    """Equal names; one typo; one name's words inside the other's ('acme' in 'acme trading'); or different.

    Names that share a brand but each have words the other lacks ('cafe grand hotel' and 'dining room grand
    hotel': two outlets at one address) are different companies.
    """
    if not a or not b:
        return ""
    if a == b or a.replace(" ", "") == b.replace(" ", ""):
        return "exact"
    if len(a) >= 4 and len(b) >= 4 and DamerauLevenshtein.distance(a, b) <= (1 if min(len(a), len(b)) < 8 else 2):
        return "typo"
    a_words, b_words = a.split(), b.split()
    if _words_within(a_words, b_words) or _words_within(b_words, a_words):
        return "contains"
    return "different"


def _words_within(short: list[str], long: list[str]) -> bool:
    """`short` is how `long` starts: each word equal, abbreviated ('deli', 'rest') or mistyped, in order.

    Extra words after the name are a description ('acme' → 'acme trading'); extra words before it name an
    outlet or department ('grand hotel' → 'cafe grand hotel'), which is another business.
    """
    if len(short) > len(long):
        return False
    return all(_same_word(word, other) for word, other in zip(short, long, strict=False))


def _same_word(short: str, long: str) -> bool:
    if short == long or (len(short) >= 3 and long.startswith(short)):
        return True
    return min(len(short), len(long)) >= 4 and JaroWinkler.similarity(short, long) >= 0.9


def _exact_level(a: str, b: str) -> str:
    if not a or not b:
        return ""
    return "exact" if a == b else "different"


def _email_level(a: str, b: str) -> str:
    """Equal mailboxes; one typo or the same mailbox name at another provider; different."""
    if not a or not b:
        return ""
    if a == b:
        return "exact"
    a_local, b_local = a.split("@")[0], b.split("@")[0]
    if DamerauLevenshtein.distance(a, b) <= 1 or (len(a_local) >= 6 and a_local == b_local):
        return "typo"
    return "different"


def _code_level(a: str, b: str) -> str:
    """Identifiers: equal, one mistyped or swapped character, or different."""
    if not a or not b:
        return ""
    if a == b:
        return "exact"
    return "typo" if len(a) == len(b) and DamerauLevenshtein.distance(a, b) <= 1 else "different"


def _postcode_level(a: str, b: str) -> str:
    """Equal; one typo or transposition ('4754'/'7454' is two swapped digits: still near); same area; different."""
    level = _code_level(a, b)
    if level != "different":
        return level
    if len(a) == len(b) and sorted(a) == sorted(b) and sum(x != y for x, y in zip(a, b, strict=True)) == 2:
        return "typo"
    return "area" if len(a) >= 4 and a[:2] == b[:2] else "different"


def _phone_level(a: str, b: str) -> str:
    """Equal numbers (one typed with and one without the country prefix too), one mistyped digit, different."""
    if not a or not b:
        return ""
    a_digits, b_digits = a.lstrip("+"), b.lstrip("+")
    if a == b or (len(a_digits) >= 9 and len(b_digits) >= 9 and a_digits[-9:] == b_digits[-9:]):
        return "exact"
    return _code_level(a_digits[-9:], b_digits[-9:])


def _street_level(a: str, b: str) -> str:
    return _words_level(a, b, similar_words=fuzz.token_sort_ratio(a, b) >= 85 if a and b else False)


def _house_number_level(a: Profile, b: Profile) -> str:
    """Compared on the number: '12a' and '12' are the same number (exact only with the same suffix)."""
    if not a.house_number or not b.house_number:
        return ""
    if a.house_number != b.house_number:
        return "different"
    return "exact" if a.house_suffix == b.house_suffix else "number"


def _city_level(a: str, b: str) -> str:
    if not a or not b:
        return ""
    if a == b or a.replace(" ", "") == b.replace(" ", ""):
        return "exact"
    return "typo" if _is_typo(a, b) else "different"


def _date_level(a: str, b: str) -> str:
    """Equal dates, one mistyped digit, or day and month swapped; different."""
    if not a or not b:
        return ""
    if a == b:
        return "exact"
    if len(a) == len(b) == 8 and a[:4] == b[:4] and a[4:6] == b[6:8] and a[6:8] == b[4:6]:
        return "typo"
    return _code_level(a, b)
