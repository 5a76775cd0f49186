"""Countries as ISO codes, and postcodes in the format of their country (NL, BE and DE checked)."""

import re

from stdnum.exceptions import ValidationError
from stdnum.nl import postcode as nl_postcode

from leadflow.core.normalize import country_code
from leadflow.leads.models import Lead
from leadflow.quality.validators.base import Finding, Validator, cleaned, country_of, error, warning

_BE_POSTCODE = re.compile(r"^(?:B-?)?([1-9]\d{3})$", re.IGNORECASE)
_DE_POSTCODE = re.compile(r"^(?:D-?)?(\d{5})$", re.IGNORECASE)


class CountryValidator(Validator):
    """'Nederland', 'the Netherlands', 'nl' → 'NL'. Runs before the validators that read the country."""

    name = "country"

    def validate(self, *, lead: Lead) -> list[Finding]:
        typed = lead.country.strip()
        if not typed:
            return []
        code = country_code(typed)
        if not code:
            return [warning("country", "unknown_country", f"“{typed[:60]}” is not a country we know.")]
        if code != lead.country:
            return [cleaned("country", "normalised", "Country written as its ISO code.", code)]
        return []


class PostcodeValidator(Validator):
    name = "postcode"

    def validate(self, *, lead: Lead) -> list[Finding]:
        typed = lead.postcode.strip()
        country = country_of(lead)
        if not typed or country not in ("NL", "BE", "DE"):
            return []
        valid = _POSTCODE_CHECKS[country](typed.replace(" ", ""))
        if not valid:
            return [error("postcode", "invalid_postcode", f"“{typed[:20]}” is not a postcode in {country}.")]
        if valid != lead.postcode:
            return [cleaned("postcode", "normalised", "Postcode written in standard form.", valid)]
        return []


def _nl(typed: str) -> str:
    try:
        return nl_postcode.validate(typed)
    except ValidationError:
        return ""


def _be(typed: str) -> str:
    match = _BE_POSTCODE.match(typed)
    return match.group(1) if match else ""


def _de(typed: str) -> str:
    match = _DE_POSTCODE.match(typed)
    return match.group(1) if match and match.group(1) != "00000" else ""


_POSTCODE_CHECKS = {"NL": _nl, "BE": _be, "DE": _de}
