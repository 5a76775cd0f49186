"""What Leadflow keeps about the Salesforce org: which lead field goes into which Salesforce field, and how the
Opportunity is filled in. Edited in the admin; read when a conversion builds its payload (payload.py).

The tables keep their names from when these models lived in the crm app (migration 0001 moved only the state).
"""

import re
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models

from leadflow.leads.models import Lead

SALESFORCE_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")
CUSTOM_FIELD_PREFIX = "custom_fields."
# Lead fields a mapping may read; `custom_fields.<key>` reads one key of the lead's custom fields.
MAPPABLE_LEAD_FIELDS = (*Lead.EDITABLE_FIELDS, "source", "utm_source", "utm_medium", "utm_campaign")


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


class RecordAction(models.TextChoices):
    CREATED = "created", "Created"
    LINKED = "linked", "Linked to an existing record"
    SKIPPED = "skipped", "Not created"


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
    enabled = models.BooleanField(default=True)

    class Meta:
        db_table = "crm_fieldmapping"
        ordering = ["sobject", "salesforce_field"]
        constraints = [
            models.UniqueConstraint(fields=["sobject", "salesforce_field"], name="field_mapping_unique_target"),
        ]

    def __str__(self) -> str:
        return f"{self.lead_field} → {self.sobject}.{self.salesforce_field}"

    def value_for(self, lead: Lead) -> Any:
        """The lead's value as Salesforce should get it: blanks omitted (None), text never cut (a value that
        does not fit the org's field stops the conversion with a message instead, see ConversionPlan.problems)."""
        value = lead_value(lead, self.lead_field)
        if isinstance(value, str):
            value = value.strip()
        return None if value is None or value == "" else value


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
        db_table = "crm_opportunitysettings"
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
        return name or lead.display_name

    def amount_for(self, lead: Lead) -> Decimal | None:
        if not self.amount_lead_field:
            return self.amount_fixed
        raw = lead_value(lead, self.amount_lead_field)
        try:
            return Decimal(str(raw)) if raw not in (None, "") else None
        except InvalidOperation:
            return None
