"""API shapes: what a client may send to create a lead, and what it reads back."""

import threading
from typing import Any

from django.db import models
from rest_framework import serializers

from leadflow.intake.forms import HIDDEN_FIELDS, phone_is_dialable
from leadflow.intake.selectors import lead_salesforce_ids
from leadflow.leads.models import Lead, LeadState

# A lead nobody could contact or recognise is not a lead: at least one of these must be sent.
IDENTIFYING_FIELDS = ("email", "phone", "first_name", "last_name", "company")
WRITABLE_FIELDS = (*Lead.EDITABLE_FIELDS, *HIDDEN_FIELDS, "external_id", "consent_given", "consent_text")


class SharedPerThread:
    """A ModelSerializer works out every field from the model for each new instance, which costs more CPU than
    using the fields (a fifth of an API request). On the create path one instance per thread is kept and used
    only through its stateless methods (`run_validation`, `to_representation`): fields are built once per
    thread instead of once per request."""

    _instances = threading.local()

    @classmethod
    def shared(cls) -> Any:
        instance = getattr(cls._instances, cls.__qualname__, None)
        if instance is None:
            instance = cls()
            setattr(cls._instances, cls.__qualname__, instance)
        return instance


class StrictCharField(serializers.CharField):
    """Text only: a JSON number or boolean is refused, not silently turned into text (the schema says string)."""

    def to_internal_value(self, data: Any) -> str:
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictBooleanField(serializers.BooleanField):
    """true or false (in a form post: the strings "true"/"false"); "yes", 1 and the like are refused."""

    default_error_messages = {"invalid": "Must be true or false."}

    def to_internal_value(self, data: Any) -> bool:
        if isinstance(data, bool):
            return data
        if isinstance(data, str) and data.lower() in ("true", "false"):
            return data.lower() == "true"
        self.fail("invalid")


class LeadCreateSerializer(SharedPerThread, serializers.ModelSerializer):
    """Known lead fields are validated; any other key is kept in `custom_fields` under its name."""

    email = serializers.EmailField(required=False, allow_blank=True, max_length=254)
    external_id = StrictCharField(required=False, allow_blank=True, max_length=255)
    consent_given = StrictBooleanField(required=False, default=False)
    custom_fields = serializers.DictField(required=False, default=dict)

    # Every text field is strict: a JSON number or boolean is refused, not stored as its text.
    serializer_field_mapping = {
        **serializers.ModelSerializer.serializer_field_mapping,
        models.CharField: StrictCharField,
        models.TextField: StrictCharField,
    }

    class Meta:
        model = Lead
        fields = (*WRITABLE_FIELDS, "custom_fields")
        # The unique (source, external_id) constraint is checked by the service, which knows the source.
        validators: list[Any] = []

    def to_internal_value(self, data: Any) -> dict[str, Any]:
        if not isinstance(data, dict):
            raise serializers.ValidationError({"non_field_errors": ["Send a JSON object with the lead's fields."]})
        values = super().to_internal_value(data)
        extra = {k: v for k, v in data.items() if k not in self.fields}
        values["custom_fields"] = {**extra, **values.get("custom_fields", {})}
        return values

    def validate(self, values: dict[str, Any]) -> dict[str, Any]:
        if not any(values.get(name) for name in IDENTIFYING_FIELDS):
            raise serializers.ValidationError(
                {"non_field_errors": [f"A lead needs at least one of: {', '.join(IDENTIFYING_FIELDS)}."]}
            )
        return values

    def validate_phone(self, value: str) -> str:
        if value and not phone_is_dialable(value):
            raise serializers.ValidationError("Not a phone number that can be dialled; include the country code.")
        return value


class FindingSerializer(serializers.Serializer):
    field = serializers.CharField()
    code = serializers.CharField()
    severity = serializers.CharField()
    message = serializers.CharField()


class DuplicateCandidateSerializer(serializers.Serializer):
    other_lead = serializers.IntegerField(source="other_lead_id", allow_null=True)
    remote_object = serializers.CharField()
    remote_id = serializers.CharField()
    score = serializers.FloatField()
    decision = serializers.CharField()
    status = serializers.CharField()


class LeadDetailSerializer(SharedPerThread, serializers.ModelSerializer):
    findings = FindingSerializer(many=True, read_only=True)
    duplicate_candidates = DuplicateCandidateSerializer(many=True, read_only=True)
    salesforce = serializers.SerializerMethodField(help_text="Salesforce ids once the lead is converted.")

    class Meta:
        model = Lead
        fields = (
            "id",
            "state",
            "rejection_reason",
            "duplicate_of",
            "source",
            *WRITABLE_FIELDS,
            "custom_fields",
            "created_at",
            "checked_at",
            "findings",
            "duplicate_candidates",
            "salesforce",
        )
        read_only_fields = fields

    def get_salesforce(self, lead: Lead) -> dict[str, str]:
        return lead_salesforce_ids(lead)


class ErrorDetailSerializer(serializers.Serializer):
    code = serializers.CharField()
    message = serializers.CharField()
    fields = serializers.DictField(required=False, help_text="Field name → list of messages.")
    detail = serializers.DictField(required=False)


class ErrorSerializer(serializers.Serializer):
    error = ErrorDetailSerializer()


MAX_PAGE_SIZE = 200


class LeadListQuerySerializer(serializers.Serializer):
    """GET /api/leads/'s query string: each filter and the page are checked, so a typo is a 400, not all leads."""

    state = serializers.ChoiceField(choices=LeadState.choices, required=False)
    external_id = serializers.CharField(required=False, allow_blank=True)
    email = serializers.CharField(required=False, allow_blank=True)
    created_after = serializers.DateTimeField(required=False, help_text="ISO 8601 date or date-time.")
    created_before = serializers.DateTimeField(required=False, help_text="ISO 8601 date or date-time.")
    page = serializers.IntegerField(required=False, min_value=1, help_text="Page number, from 1.")
    page_size = serializers.IntegerField(
        required=False,
        min_value=1,
        max_value=MAX_PAGE_SIZE,
        help_text=f"Leads per page (default 50, at most {MAX_PAGE_SIZE}).",
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        unknown = sorted(set(self.initial_data) - set(self.fields))
        if unknown:
            known = ", ".join(self.fields)
            raise serializers.ValidationError({name: [f"Not a filter of this list; use {known}."] for name in unknown})
        return attrs


class LeadPageSerializer(serializers.Serializer):
    """GET /api/leads/ (documentation only): one page of leads with links to the neighbouring pages."""

    count = serializers.IntegerField(help_text="Leads matching the filters, on all pages.")
    next = serializers.URLField(allow_null=True, help_text="The next page, or null on the last.")
    previous = serializers.URLField(allow_null=True, help_text="The previous page, or null on the first.")
    results = LeadDetailSerializer(many=True)
