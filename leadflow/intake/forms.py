"""The visitor's form, built from a LeadForm's configuration, validating in the visitor's language."""

from functools import lru_cache
from typing import Any

import phonenumbers
from django import forms
from django.conf import settings
from django.utils import translation
from django.utils.functional import lazy

from leadflow.intake.models import LeadForm
from leadflow.intake.texts import text
from leadflow.leads.models import Lead

HONEYPOT_FIELD = "lf_fax"
TIMESTAMP_FIELD = "lf_ts"
CONSENT_FIELD = "consent"
HIDDEN_FIELDS = ("utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content", "referrer")
CUSTOM_FIELD_MAX_LENGTH = 1000
INPUT_TYPES = {"email": "email", "phone": "tel", "website": "url", "company_size": "number", "message": "textarea"}


def phone_is_dialable(value: str) -> bool:
    try:
        number = phonenumbers.parse(value, settings.LEADFLOW_DEFAULT_PHONE_REGION)
    except phonenumbers.NumberParseException:
        return False
    return phonenumbers.is_possible_number(number)


def input_type(field_name: str) -> str:
    return INPUT_TYPES.get(field_name, "text")


def _django_field(name: str, required: bool) -> forms.Field:
    if name == "email":
        return forms.EmailField(required=required, max_length=254)
    if name == "company_size":
        return forms.IntegerField(required=required, min_value=0, max_value=10_000_000)
    if name == "phone":
        return forms.CharField(required=required, max_length=64, validators=[_validate_phone])
    if name in Lead.EDITABLE_FIELDS:
        max_length = Lead._meta.get_field(name).max_length
        return forms.CharField(required=required, max_length=max_length, strip=True)
    return forms.CharField(required=required, max_length=CUSTOM_FIELD_MAX_LENGTH, strip=True)


def _validate_phone(value: str) -> None:
    if value and not phone_is_dialable(value):
        raise forms.ValidationError(text("invalid_phone"), code="invalid_phone")


def visitor_form_class(lead_form: LeadForm) -> type[forms.Form]:
    """A Django form class with the configured fields, the hidden UTM fields and, if there is consent text,
    a required consent checkbox."""
    has_consent = bool(lead_form.consent_text_en or lead_form.consent_text_nl or lead_form.consent_text_de)
    return _form_class(tuple((f.name, f.required) for f in lead_form.fields.all()), has_consent)


@lru_cache(maxsize=256)
def _form_class(fields: tuple[tuple[str, bool], ...], has_consent: bool) -> type[forms.Form]:
    # Built once per shape: messages are translated when validating, so one class serves every language.
    attrs: dict[str, Any] = {name: _django_field(name, required) for name, required in fields}
    for name in HIDDEN_FIELDS:
        attrs.setdefault(name, forms.CharField(required=False, max_length=2048 if name == "referrer" else 255))
    if has_consent:
        attrs[CONSENT_FIELD] = forms.BooleanField(required=True, error_messages={"required": _consent_required})
    form_class = type("VisitorForm", (forms.Form,), attrs)
    form_class.base_fields = SharedFields(form_class.base_fields)
    return form_class


# Looked up when the error is shown, in the language active then (the visitor's).
_consent_required = lazy(lambda: text("consent_required"), str)()


class SharedFields(dict):
    """A visitor form class's fields, shared by its instances instead of deep-copied for each (~0.5 ms of CPU a
    submission): validation only reads them and nothing changes them per request (messages are lazy)."""

    def __deepcopy__(self, memo: dict) -> dict:
        return dict(self)


def visitor_form_errors(lead_form: LeadForm, data: dict[str, Any], language: str) -> tuple[dict, dict[str, list]]:
    """(cleaned values, {} ) when valid, or ({}, {field: [messages in the visitor's language]})."""
    with translation.override(language):
        form = visitor_form_class(lead_form)(data=data)
        if form.is_valid():
            return form.cleaned_data, {}
        return {}, {name: [str(m) for m in messages] for name, messages in form.errors.items()}
