import re
import uuid
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone

from leadflow.core.models import TimeStampedModel
from leadflow.crm.client import record_link
from leadflow.leads.models import Lead
from leadflow.leads.services import EDITABLE_FIELDS

SALESFORCE_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")
CUSTOM_FIELD_PREFIX = "custom_fields."
# Lead fields a mapping may read; `custom_fields.<key>` reads one key of the lead's custom fields.
MAPPABLE_LEAD_FIELDS = (*EDITABLE_FIELDS, "source", "utm_source", "utm_medium", "utm_campaign")


def new_external_key() -> str:
    return f"lf-{uuid.uuid4().hex}"


def lead_value(lead: Lead, path: str) -> Any:
    """The value a mapping path names on a lead: a field, or `custom_fields.<key>`."""
    if path.startswith(CUSTOM_FIELD_PREFIX):
        return (lead.custom_fields or {}).get(path.removeprefix(CUSTOM_FIELD_PREFIX))
    return getattr(lead, path)


def validate_lead_path(path: str) -> None:
    if path in MAPPABLE_LEAD_FIELDS:
        return
    if path.startswith(CUSTOM_FIELD_PREFIX) and path.removeprefix(CUSTOM_FIELD_PREFIX):
        return
    raise ValidationError(
        f"'{path}' is not a lead field. Use one of {', '.join(MAPPABLE_LEAD_FIELDS)} or custom_fields.<key>."
    )


def validate_salesforce_name(name: str) -> None:
    if not SALESFORCE_NAME.match(name):
        raise ValidationError(f"'{name}' is not a Salesforce API field name (letters, digits, underscores).")


class ConversionStatus(models.TextChoices):
    REQUESTED = "requested", "Requested"
    IN_PROGRESS = "in_progress", "In progress"
    DONE = "done", "Done"
    FAILED = "failed", "Failed"


class RecordAction(models.TextChoices):
    CREATED = "created", "Created"
    LINKED = "linked", "Linked to an existing record"
    SKIPPED = "skipped", "Not created"


class Conversion(TimeStampedModel):
    """A lead's way into Salesforce: one row per lead, the database record of pending and finished work.

    `external_key` is written to every record the conversion creates (SALESFORCE_EXTERNAL_ID_FIELD) and used
    for upserts, so a retry after a lost response updates those records instead of creating new ones.
    """

    lead = models.OneToOneField(Lead, on_delete=models.CASCADE, related_name="conversion")
    status = models.CharField(
        max_length=16, choices=ConversionStatus.choices, default=ConversionStatus.REQUESTED, db_index=True
    )
    external_key = models.CharField(max_length=64, unique=True, default=new_external_key, editable=False)
    account_id = models.CharField("Account Id", max_length=18, blank=True)
    account_action = models.CharField(max_length=8, choices=RecordAction.choices, blank=True)
    contact_id = models.CharField("Contact Id", max_length=18, blank=True)
    contact_action = models.CharField(max_length=8, choices=RecordAction.choices, blank=True)
    opportunity_id = models.CharField("Opportunity Id", max_length=18, blank=True)
    opportunity_action = models.CharField(max_length=8, choices=RecordAction.choices, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True, db_index=True)
    claimed_at = models.DateTimeField(null=True, blank=True, help_text="When a worker started the current attempt.")
    last_error = models.TextField(blank=True, help_text="Salesforce's reason for the last failure, shown to users.")
    error_code = models.CharField(max_length=64, blank=True)
    api_calls = models.FloatField(
        default=0, help_text="Salesforce API calls spent on this conversion (its share when converted in bulk)."
    )
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    requested_by_label = models.CharField(max_length=150, blank=True)
    requested_at = models.DateTimeField(default=timezone.now)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-requested_at", "-id"]
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="conversion_due_idx")]

    def __str__(self) -> str:
        return f"Conversion of lead {self.lead_id}: {self.get_status_display()}"

    @property
    def is_pending(self) -> bool:
        return self.status in (ConversionStatus.REQUESTED, ConversionStatus.IN_PROGRESS)

    @property
    def committed(self) -> bool:
        """Salesforce holds the records: the Account and Contact ids are known."""
        return bool(self.account_id and self.contact_id)

    def salesforce_records(self) -> list[dict[str, str]]:
        """The records this conversion created or linked, with their Lightning links, for people."""
        records = (
            ("Account", self.account_id, self.get_account_action_display()),
            ("Contact", self.contact_id, self.get_contact_action_display()),
            ("Opportunity", self.opportunity_id, self.get_opportunity_action_display()),
        )
        return [
            {"sobject": sobject, "id": record_id, "action": action, "url": record_link(sobject, record_id)}
            for sobject, record_id, action in records
            if record_id
        ]


class SalesforceObject(models.TextChoices):
    ACCOUNT = "Account", "Account"
    CONTACT = "Contact", "Contact"
    OPPORTUNITY = "Opportunity", "Opportunity"


class FieldMapping(models.Model):
    """Copy one lead field into one Salesforce field when converting. Editable in the admin."""

    sobject = models.CharField("Salesforce object", max_length=16, choices=SalesforceObject.choices)
    lead_field = models.CharField(
        max_length=100,
        validators=[validate_lead_path],
        help_text="A lead field (e.g. company) or custom_fields.<key> for a value from the lead's custom fields.",
    )
    salesforce_field = models.CharField(
        max_length=80,
        validators=[validate_salesforce_name],
        help_text="API name of the Salesforce field, standard (Website) or custom (VAT_Number__c).",
    )
    max_length = models.PositiveIntegerField(
        null=True, blank=True, help_text="Longer values are cut to this length (Salesforce refuses them otherwise)."
    )
    enabled = models.BooleanField(default=True)

    class Meta:
        ordering = ["sobject", "salesforce_field"]
        constraints = [
            models.UniqueConstraint(fields=["sobject", "salesforce_field"], name="field_mapping_unique_target"),
        ]

    def __str__(self) -> str:
        return f"{self.lead_field} → {self.sobject}.{self.salesforce_field}"

    def value_for(self, lead: Lead) -> Any:
        """The lead's value as Salesforce should get it: blanks omitted (None), text cut to the known length."""
        value = lead_value(lead, self.lead_field)
        if value is None or value == "":
            return None
        if isinstance(value, str):
            value = value.strip()
            return value[: self.max_length] if self.max_length else value
        return value


OPPORTUNITY_NAME_FIELDS = ("company", "first_name", "last_name", "full_name", "email", "source", "date")


class OpportunitySettings(models.Model):
    """How conversion fills in the Opportunity; one row (pk 1), edited in the admin."""

    create_opportunity = models.BooleanField(default=True)
    name_pattern = models.CharField(
        max_length=120,
        default="{company}",
        help_text="Placeholders: " + ", ".join(f"{{{name}}}" for name in OPPORTUNITY_NAME_FIELDS) + ".",
    )
    stage_name = models.CharField(max_length=255, default="Prospecting", help_text="An Opportunity stage of your org.")
    close_date_offset_days = models.PositiveIntegerField(
        default=30, help_text="The close date is this many days after the conversion."
    )
    amount_lead_field = models.CharField(
        max_length=100,
        blank=True,
        validators=[validate_lead_path],
        help_text="Take the amount from this lead field (e.g. custom_fields.budget); leave empty for a fixed amount.",
    )
    amount_fixed = models.DecimalField(max_digits=16, decimal_places=2, null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "opportunity settings"

    def __str__(self) -> str:
        return "Opportunity settings"

    @classmethod
    def current(cls) -> "OpportunitySettings":
        settings_row, _ = cls.objects.get_or_create(pk=1)
        return settings_row

    def clean(self) -> None:
        try:
            self.name_pattern.format(**dict.fromkeys(OPPORTUNITY_NAME_FIELDS, ""))
        except (KeyError, IndexError, ValueError) as exc:
            raise ValidationError({"name_pattern": f"Unknown or malformed placeholder: {exc}."}) from None
        if self.amount_lead_field and self.amount_fixed is not None:
            raise ValidationError("Choose either a lead field or a fixed amount, not both.")

    def name_for(self, lead: Lead, today: str) -> str:
        values = {name: getattr(lead, name) for name in OPPORTUNITY_NAME_FIELDS if name != "date"}
        name = self.name_pattern.format(**values, date=today).strip(" -")
        return (name or lead.display_name)[:120]

    def amount_for(self, lead: Lead) -> Decimal | None:
        if not self.amount_lead_field:
            return self.amount_fixed
        raw = lead_value(lead, self.amount_lead_field)
        try:
            return Decimal(str(raw)) if raw not in (None, "") else None
        except InvalidOperation:
            return None
