"""Names of people and companies: tidy casing, and refuse obvious junk with a reason."""

import re

from leadflow.core.normalize import NAME_PARTICLES, plain_words, strip_diacritics
from leadflow.leads.models import Lead
from leadflow.quality.validators.base import Finding, Validator, cleaned, error, label

# Entries people type to get past a form.
PLACEHOLDER_WORDS = frozenset(
    {
        "test",
        "testing",
        "tester",
        "asdf",
        "asd",
        "qwerty",
        "azerty",
        "qwertz",
        "foo",
        "bar",
        "foobar",
        "dummy",
        "null",
        "none",
        "nvt",
        "na",
        "xxx",
        "abc",
        "abcd",
        "lorem",
        "ipsum",
        "blah",
        "bla",
    }
)
KEYBOARD_ROWS = ("qwertyuiop", "asdfghjkl", "zxcvbnm", "azertyuiop", "qsdfghjklm", "wxcvbn", "1234567890")
_URL = re.compile(r"https?://|www\.|\.(?:com|nl|de|be|net|org|io|ru|info)\b", re.IGNORECASE)
_MARKUP = re.compile(r"[<>{}\[\]\\|=;$]|&#?\w+;")
_HTML_TAG = re.compile(r"<\s*[a-z/!]", re.IGNORECASE)
_DIGIT = re.compile(r"\d")
_LETTER = re.compile(r"[^\W\d_]")
_REPEAT = re.compile(r"(.)\1\1")
_VOWELS = set("aeiouy")


def junk_reason(value: str, *, allow_digits: bool = False) -> str:
    """Why a name field holds junk rather than a name ('' when it looks like a name)."""
    if _URL.search(value):
        return "contains a web address"
    if _MARKUP.search(value):
        return "contains code or markup characters"
    if not allow_digits and _DIGIT.search(value):
        return "contains digits"
    if not _LETTER.search(value):
        return "has no letters"
    words = plain_words(value)
    if words and all(w in PLACEHOLDER_WORDS for w in words):
        return "is a placeholder, not a name"
    folded = strip_diacritics(value).casefold()
    if _REPEAT.search(folded.replace(" ", "")) and len(set(folded.replace(" ", ""))) <= 2:
        return "is one letter repeated"
    for word in words:
        if len(word) >= 4 and any(word in row for row in KEYBOARD_ROWS):
            return "looks like keyboard mashing"
        if len(word) >= 6 and not _VOWELS & set(word):
            return "has no vowels"
    return ""


def tidy_person_name(value: str, *, is_last_name: bool) -> str:
    """Fix a name typed ALL CAPS or all lower case: 'VAN DER BERG' → 'van der Berg', "o'brien" → "O'Brien".

    Mixed-case names are left alone: 'McDonald' and 'de Vries' were typed with care.
    """
    letters = "".join(_LETTER.findall(value))
    if not letters or (not letters.isupper() and not letters.islower()) or len(letters) == 1:
        return value
    words = value.split(" ")
    tidied = []
    for index, word in enumerate(words):
        is_particle = word.casefold() in NAME_PARTICLES and index < len(words) - 1
        if is_particle and (is_last_name or index > 0):
            tidied.append(word.casefold())
        else:
            tidied.append(_capitalise(word))
    return " ".join(tidied)


def _capitalise(word: str) -> str:
    """Capitalise each part of 'anne-marie' and "o'brien"; 'mcdonald' → 'McDonald'."""
    parts = re.split(r"([-'\u2019])", word.casefold())
    word = "".join(part[:1].upper() + part[1:] for part in parts)
    if word.startswith("Mc") and len(word) > 3:
        word = "Mc" + word[2].upper() + word[3:]
    return word


class PersonNameValidator(Validator):
    name = "names"

    def validate(self, *, lead: Lead) -> list[Finding]:
        findings = []
        for field in ("first_name", "last_name"):
            value = getattr(lead, field).strip()
            if not value:
                continue
            reason = junk_reason(value)
            if reason:
                findings.append(error(field, "junk", f"{label(field)} {reason}: “{value[:40]}”."))
                continue
            tidy = tidy_person_name(value, is_last_name=field == "last_name")
            if tidy != value:
                findings.append(cleaned(field, "casing", f"{label(field)} written with capitals.", tidy))
        return findings


class CompanyNameValidator(Validator):
    """Company names keep their casing ('IBM', 'bol.com'); junk is refused."""

    name = "company"

    def validate(self, *, lead: Lead) -> list[Finding]:
        value = lead.company.strip()
        if not value:
            return []
        words = plain_words(value)
        if words and all(w in PLACEHOLDER_WORDS for w in words):
            return [error("company", "junk", f"Company is a placeholder, not a name: “{value[:40]}”.")]
        if _HTML_TAG.search(value):
            return [error("company", "junk", "Company contains HTML.")]
        if not _LETTER.search(value) and not _DIGIT.search(value):
            return [error("company", "junk", "Company has no letters or digits.")]
        return []
