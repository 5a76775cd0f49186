"""Hygiene every text field gets before anything else looks at it: no control characters, tidy spaces."""

import re
import unicodedata

from leadflow.leads.models import Lead
from leadflow.quality.validators.base import Finding, Validator, cleaned

# Fields that may span lines; every other field is one line.
MULTILINE_FIELDS = frozenset({"message"})
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u200b-\u200f\u2028\u2029\u202a-\u202e\u2060-\u2064\ufeff]")
_SPACES = re.compile(r"\s+")


class TextHygieneValidator(Validator):
    """Strips invisible control and direction characters (they hide spoofs), collapses whitespace, NFC form."""

    name = "text"

    def validate(self, *, lead: Lead) -> list[Finding]:
        findings = []
        for name in Lead.EDITABLE_FIELDS:
            value = getattr(lead, name)
            if not isinstance(value, str) or not value:
                continue
            tidy = tidy_text(value, multiline=name in MULTILINE_FIELDS)
            if tidy != value:
                findings.append(cleaned(name, "tidied", "Spaces and invisible characters tidied.", tidy))
        return findings


def tidy_text(value: str, *, multiline: bool = False) -> str:
    value = unicodedata.normalize("NFC", _CONTROL.sub("", value))
    if multiline:
        return "\n".join(_SPACES.sub(" ", line).strip() for line in value.replace("\r\n", "\n").split("\n")).strip()
    return _SPACES.sub(" ", value).strip()
