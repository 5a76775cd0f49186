import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone

from leadflow.core.models import TimeStampedModel
from leadflow.crm.targets import REFERENCES, crm_target
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
    """A lead's way into its CRM: one row per lead, the database record of pending and finished work.

    `crm` names the target (settings.LEADFLOW_CRM_TARGETS), chosen from the lead's source when conversion is
    requested. The account/contact/opportunity columns hold that CRM's records (in Pipedrive: Organization,
    Person, Deal). `external_key` is written to every record the conversion creates (Salesforce's
    SALESFORCE_EXTERNAL_ID_FIELD, Pipedrive's Leadflow-id custom fields), so a retry after a lost response
    finds those records instead of creating new ones.
    """

    lead = models.OneToOneField(Lead, on_delete=models.CASCADE, related_name="conversion")
    status = models.CharField(
        max_length=16, choices=ConversionStatus.choices, default=ConversionStatus.REQUESTED, db_index=True
    )
    crm = models.CharField("CRM", max_length=32, default="salesforce", help_text="The CRM the lead converts into.")
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
    last_error = models.TextField(blank=True, help_text="The CRM's reason for the last failure, shown to users.")
    error_code = models.CharField(max_length=64, blank=True)
    api_calls = models.FloatField(
        default=0, help_text="CRM API calls spent on this conversion (its share when converted in bulk)."
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
    def crm_label(self) -> str:
        return crm_target(self.crm).label

    @property
    def committed(self) -> bool:
        """The CRM holds the records: the account and contact ids are known."""
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

    def crm_records(self) -> list[dict[str, str]]:
        """The records this conversion created or linked, with their links in the CRM, for people."""
        target = crm_target(self.crm)
        return [
            {
                "sobject": target.record_name(reference),
                "id": getattr(self, f"{reference}_id"),
                "action": getattr(self, f"get_{reference}_action_display")(),
                "url": target.record_link(reference, getattr(self, f"{reference}_id")),
            }
            for reference in REFERENCES
            if getattr(self, f"{reference}_id")
        ]
