import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone

from leadflow.core.models import TimeStampedModel
from leadflow.integrations.salesforce.client import record_link
from leadflow.integrations.salesforce.models import RecordAction
from leadflow.integrations.salesforce.payload import Deal
from leadflow.leads.models import Lead


def new_external_key() -> str:
    return f"lf-{uuid.uuid4().hex}"


class ConversionStatus(models.TextChoices):
    REQUESTED = "requested", "Requested"
    IN_PROGRESS = "in_progress", "In progress"
    DONE = "done", "Done"
    FAILED = "failed", "Failed"


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
    # The deal as the person converting set it; blank/None takes the admin's Opportunity settings.
    create_opportunity = models.BooleanField(
        null=True, blank=True, help_text="Create an Opportunity; empty follows the Opportunity settings."
    )
    opportunity_name = models.CharField(max_length=255, blank=True)
    opportunity_amount = models.DecimalField(max_digits=16, decimal_places=2, null=True, blank=True)
    opportunity_close_date = models.DateField(null=True, blank=True)
    opportunity_stage = models.CharField(max_length=255, blank=True)

    class Meta:
        ordering = ["-requested_at", "-id"]
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="conversion_due_idx")]

    def __str__(self) -> str:
        return f"Conversion of lead {self.lead_id}: {self.get_status_display()}"

    @property
    def is_pending(self) -> bool:
        return self.status in (ConversionStatus.REQUESTED, ConversionStatus.IN_PROGRESS)

    def salesforce_ids(self) -> dict[str, str]:
        """The ids Salesforce gave the records so far, by field name (account_id, contact_id, opportunity_id)."""
        return {
            name: value for name in ("account_id", "contact_id", "opportunity_id") if (value := getattr(self, name))
        }

    @property
    def committed(self) -> bool:
        """Salesforce holds the records: the Account and Contact ids are known."""
        return bool(self.account_id and self.contact_id)

    def deal(self) -> Deal:
        """The Opportunity as the person converting set it (blank parts take the admin's settings)."""
        return Deal(
            create_opportunity=self.create_opportunity,
            name=self.opportunity_name,
            amount=self.opportunity_amount,
            close_date=self.opportunity_close_date,
            stage=self.opportunity_stage,
        )

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
