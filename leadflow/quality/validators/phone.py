import phonenumbers
from django.conf import settings

from leadflow.leads.models import Lead
from leadflow.quality.validators.base import Finding, Validator, cleaned, country_of, error


class PhoneValidator(Validator):
    """Parses with the lead's country as the default region and stores E.164; the typed form stays in the
    finding and in the submission."""

    name = "phone"

    def validate(self, *, lead: Lead) -> list[Finding]:
        typed = lead.phone.strip()
        if not typed:
            return []
        region = country_of(lead) or settings.LEADFLOW_DEFAULT_PHONE_REGION
        try:
            number = phonenumbers.parse(typed, region)
        except phonenumbers.NumberParseException:
            return [error("phone", "not_a_number", "The phone number is not a phone number.")]
        if not phonenumbers.is_possible_number(number):
            return [error("phone", "impossible", "The phone number has the wrong length.")]
        if not phonenumbers.is_valid_number(number):
            return [error("phone", "invalid", "The phone number does not exist in its country.")]
        e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
        if e164 != lead.phone:
            return [cleaned("phone", "normalised", "Phone number written in international form.", e164)]
        return []
