"""Validators: each checks one aspect of a lead and says what it found, cleaning values where it can."""

from dataclasses import dataclass

import phonenumbers
from django.conf import settings
from email_validator import EmailNotValidError, validate_email

from leadflow.leads.models import Lead
from leadflow.quality.models import Severity


@dataclass(frozen=True)
class Finding:
    """One observation. A non-error finding with a `cleaned_value` replaces the field's value."""

    field: str
    code: str
    severity: str
    message: str
    cleaned_value: str | None = None


class Validator:
    """Contract for validators (settings.LEADFLOW_VALIDATORS). Later validators see earlier cleanings."""

    name = ""

    def validate(self, lead: Lead) -> list[Finding]:
        raise NotImplementedError


class RequiredFieldsValidator(Validator):
    name = "required"
    required_fields = ("last_name",)

    def validate(self, lead: Lead) -> list[Finding]:
        findings = [
            Finding(name, "required", Severity.ERROR, f"{_label(name)} is missing.")
            for name in self.required_fields
            if not str(getattr(lead, name) or "").strip()
        ]
        if not lead.email.strip() and not lead.phone.strip():
            findings.append(Finding("email", "no_contact", Severity.ERROR, "Give an email address or a phone number."))
        return findings


class EmailValidator(Validator):
    name = "email"

    def validate(self, lead: Lead) -> list[Finding]:
        typed = lead.email.strip()
        if not typed:
            return []
        try:
            info = validate_email(typed, check_deliverability=settings.LEADFLOW_EMAIL_CHECK_DELIVERABILITY)
        except EmailNotValidError as exc:
            return [Finding("email", "invalid_email", Severity.ERROR, f"The email address is not valid: {exc}")]
        if info.normalized != lead.email:
            return [Finding("email", "normalised", Severity.INFO, "Email address tidied.", info.normalized)]
        return []


class PhoneValidator(Validator):
    name = "phone"

    def validate(self, lead: Lead) -> list[Finding]:
        typed = lead.phone.strip()
        if not typed:
            return []
        region = lead.country.upper() if len(lead.country) == 2 else settings.LEADFLOW_DEFAULT_PHONE_REGION
        try:
            number = phonenumbers.parse(typed, region)
        except phonenumbers.NumberParseException:
            return [Finding("phone", "not_a_number", Severity.ERROR, "The phone number is not a phone number.")]
        if not phonenumbers.is_possible_number(number):
            return [Finding("phone", "impossible", Severity.ERROR, "The phone number has the wrong length.")]
        if not phonenumbers.is_valid_number(number):
            return [Finding("phone", "invalid", Severity.ERROR, "The phone number does not exist in its country.")]
        e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
        if e164 != lead.phone:
            return [Finding("phone", "normalised", Severity.INFO, "Phone number written in international form.", e164)]
        return []


def _label(field_name: str) -> str:
    return str(Lead._meta.get_field(field_name).verbose_name).capitalize()
