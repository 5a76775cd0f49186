"""Business identifiers with python-stdnum: EU VAT numbers and the chambers-of-commerce numbers of NL, BE, DE."""

import re

from stdnum.be import vat as be_enterprise
from stdnum.de import handelsregisternummer
from stdnum.eu import vat as eu_vat
from stdnum.exceptions import ValidationError

from leadflow.core.normalize import identifier_key
from leadflow.leads.models import Lead
from leadflow.quality.validators.base import Finding, Validator, cleaned, country_of, error

_KVK = re.compile(r"^\d{8}$")


class VatNumberValidator(Validator):
    """An EU VAT number with its country prefix (the lead's country is assumed when the prefix is missing)."""

    name = "vat"

    def validate(self, *, lead: Lead) -> list[Finding]:
        typed = lead.vat_number.strip()
        if not typed:
            return []
        number = identifier_key(typed)
        country = country_of(lead)
        if number[:2].isdigit() and country:
            number = ("EL" if country == "GR" else country) + number
        try:
            valid = eu_vat.validate(number)
        except ValidationError as exc:
            return [error("vat_number", "invalid_vat", f"The VAT number is not valid: {exc.message}")]
        if valid != lead.vat_number:
            return [cleaned("vat_number", "normalised", "VAT number written in standard form.", valid)]
        return []


class RegistrationNumberValidator(Validator):
    """KvK (NL, 8 digits), enterprise number (BE, checksum) or Handelsregister (DE, court + HRA/HRB + number).

    Other countries' numbers are kept as typed: there is no check to apply.
    """

    name = "registration"

    def validate(self, *, lead: Lead) -> list[Finding]:
        typed = lead.registration_number.strip()
        country = country_of(lead)
        if not typed or country not in ("NL", "BE", "DE"):
            return []
        try:
            valid = getattr(self, f"_{country.lower()}")(typed)
        except ValidationError as exc:
            return [
                error("registration_number", "invalid_registration", f"The registration number is not valid: {exc}")
            ]
        if valid != lead.registration_number:
            return [
                cleaned("registration_number", "normalised", "Registration number written in standard form.", valid)
            ]
        return []

    def _nl(self, typed: str) -> str:
        number = re.sub(r"[\s.\-]", "", typed)
        if not _KVK.match(number):
            raise ValidationError("a KvK number has 8 digits.")
        return number

    def _be(self, typed: str) -> str:
        number = be_enterprise.validate(typed)
        return f"{number[:4]}.{number[4:7]}.{number[7:]}"

    def _de(self, typed: str) -> str:
        return handelsregisternummer.validate(typed)
