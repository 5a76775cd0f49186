"""The validator contract: each checks one aspect of a lead and says what it found, cleaning values where it can."""

from dataclasses import dataclass
from typing import ClassVar

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

    name: ClassVar[str] = ""  # stored with what it finds

    def validate(self, *, lead: Lead) -> list[Finding]:
        raise NotImplementedError


def error(field: str, code: str, message: str) -> Finding:
    return Finding(field, code, Severity.ERROR, message)


def warning(field: str, code: str, message: str) -> Finding:
    return Finding(field, code, Severity.WARNING, message)


def cleaned(field: str, code: str, message: str, value: str) -> Finding:
    return Finding(field, code, Severity.INFO, message, value)


def label(field_name: str) -> str:
    return str(Lead._meta.get_field(field_name).verbose_name).capitalize()


def country_of(lead: Lead) -> str:
    """The lead's ISO country code ('' when unknown); earlier validators have already cleaned the field."""
    country = lead.country.strip().upper()
    return country if len(country) == 2 and country.isalpha() else ""
