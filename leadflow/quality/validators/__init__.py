"""Validators, one module per aspect; settings.LEADFLOW_VALIDATORS lists them by these dotted paths."""

from leadflow.quality.validators.address import CountryValidator, PostcodeValidator
from leadflow.quality.validators.base import Finding, Validator
from leadflow.quality.validators.email import EmailValidator
from leadflow.quality.validators.identifiers import RegistrationNumberValidator, VatNumberValidator
from leadflow.quality.validators.names import CompanyNameValidator, PersonNameValidator
from leadflow.quality.validators.phone import PhoneValidator
from leadflow.quality.validators.required import RequiredFieldsValidator
from leadflow.quality.validators.text import TextHygieneValidator
from leadflow.quality.validators.website import WebsiteValidator

__all__ = [
    "CompanyNameValidator",
    "CountryValidator",
    "EmailValidator",
    "Finding",
    "PersonNameValidator",
    "PhoneValidator",
    "PostcodeValidator",
    "RegistrationNumberValidator",
    "RequiredFieldsValidator",
    "TextHygieneValidator",
    "Validator",
    "VatNumberValidator",
    "WebsiteValidator",
]
