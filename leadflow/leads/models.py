from typing import ClassVar

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django_fsm import ConcurrentTransitionMixin, FSMField, transition

from leadflow.core.models import TimeStampedModel


class LeadState(models.TextChoices):
    NEW = "new", "New"
    VALIDATED = "validated", "Validated"
    QUALIFIED = "qualified", "Qualified"
    CONVERTED = "converted", "Converted"
    REJECTED = "rejected", "Rejected"
    DUPLICATE = "duplicate", "Duplicate"


OPEN_STATES = (LeadState.NEW, LeadState.VALIDATED, LeadState.QUALIFIED)


class SourceKind(models.TextChoices):
    FORM = "form", "Website form"
    API = "api", "API"
    IMPORT = "import", "File import"
    ADMIN = "admin", "Entered by hand"


class Lead(ConcurrentTransitionMixin, TimeStampedModel):
    """A submission waiting to become a customer: cleaned fields beside the verbatim original.

    The state changes only through the transition methods below (the field is protected); services in
    `leadflow.leads.services` run them under a row lock and write the audit trail.
    """

    PERSON_FIELDS: ClassVar[tuple[str, ...]] = ("first_name", "last_name", "email", "phone", "job_title", "language")
    COMPANY_FIELDS: ClassVar[tuple[str, ...]] = (
        "company",
        "website",
        "company_size",
        "vat_number",
        "registration_number",
        "street",
        "postcode",
        "city",
        "country",
    )
    # Fields that people and intake may set; everything else is workflow state.
    EDITABLE_FIELDS: ClassVar[tuple[str, ...]] = (*PERSON_FIELDS, *COMPANY_FIELDS, "message")

    # Person
    first_name = models.CharField(max_length=100, blank=True)
    last_name = models.CharField(max_length=100, blank=True)
    email = models.CharField(max_length=254, blank=True, db_index=True)
    phone = models.CharField(max_length=64, blank=True, db_index=True)
    job_title = models.CharField(max_length=128, blank=True)
    language = models.CharField(max_length=8, blank=True, help_text="Language the lead wrote in (en, nl, de).")

    # Company
    company = models.CharField(max_length=255, blank=True)
    website = models.CharField(max_length=255, blank=True)
    company_size = models.PositiveIntegerField(null=True, blank=True, help_text="Number of employees.")
    vat_number = models.CharField("VAT number", max_length=32, blank=True, db_index=True)
    registration_number = models.CharField(
        max_length=32,
        blank=True,
        db_index=True,
        help_text="Chamber of commerce number: KvK (NL), enterprise number (BE), Handelsregister (DE).",
    )
    street = models.CharField(max_length=255, blank=True)
    postcode = models.CharField(max_length=32, blank=True)
    city = models.CharField(max_length=128, blank=True)
    country = models.CharField(max_length=64, blank=True, help_text="ISO 3166 code once cleaned, e.g. NL.")
    message = models.TextField(blank=True)

    # Where it came from
    source_kind = models.CharField(max_length=16, choices=SourceKind.choices, default=SourceKind.ADMIN)
    source = models.CharField(
        max_length=100, blank=True, db_index=True, help_text="The form, API client or import that sent it."
    )
    external_id = models.CharField(
        max_length=255, blank=True, help_text="The sender's own id for this record, unique per source."
    )
    utm_source = models.CharField("UTM source", max_length=255, blank=True)
    utm_medium = models.CharField("UTM medium", max_length=255, blank=True)
    utm_campaign = models.CharField("UTM campaign", max_length=255, blank=True)
    utm_term = models.CharField("UTM term", max_length=255, blank=True)
    utm_content = models.CharField("UTM content", max_length=255, blank=True)
    referrer = models.CharField(max_length=2048, blank=True)
    submission = models.JSONField(
        default=dict, blank=True, help_text="The submission exactly as received, kept next to the cleaned fields."
    )
    custom_fields = models.JSONField(default=dict, blank=True)

    # Consent
    consent_given = models.BooleanField(default=False)
    consent_text = models.TextField(blank=True, help_text="The consent wording the person was shown.")
    consent_at = models.DateTimeField(null=True, blank=True)

    # Workflow
    state = FSMField(default=LeadState.NEW, choices=LeadState.choices, protected=True, db_index=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="owned_leads"
    )
    rejection_reason = models.CharField(max_length=255, blank=True)
    duplicate_of = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="merged_duplicates"
    )
    checks_due_at = models.DateTimeField(
        null=True,
        blank=True,
        db_index=True,
        help_text="Set while validation and matching are pending; the sweeper re-enqueues stuck leads.",
    )
    wake_up_sent_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="When a wake-up for the due checks went to the broker (cleared if the broker refused it); the "
        "sweeper re-sends a wake-up only when none was sent for the due checks, or the one sent is overdue.",
    )
    checked_at = models.DateTimeField(null=True, blank=True, help_text="When validation and matching last ran.")

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["source", "external_id"],
                condition=~Q(external_id=""),
                name="lead_external_id_unique_per_source",
            ),
        ]
        indexes = [models.Index(fields=["state", "-created_at"], name="lead_state_created_idx")]

    def __str__(self) -> str:
        return self.display_name

    @property
    def full_name(self) -> str:
        return " ".join(part for part in (self.first_name, self.last_name) if part)

    @property
    def display_name(self) -> str:
        name = self.full_name or self.email or f"Lead {self.pk}"
        return f"{name} ({self.company})" if self.company else name

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_STATES

    @property
    def is_editable(self) -> bool:
        """Open leads, and customers: their data keeps changing after conversion and flows on downstream."""
        return self.is_open or self.state == LeadState.CONVERTED

    # Transitions: bodies change only this row; `leads.services.lead_transition` does the locking, asks the gates
    # (settings.LEADFLOW_GATES, once per transition) and saves and audits.

    @transition(field=state, source=LeadState.NEW, target=LeadState.VALIDATED)
    def validate(self) -> None:
        pass

    @transition(field=state, source=LeadState.VALIDATED, target=LeadState.QUALIFIED)
    def qualify(self) -> None:
        pass

    @transition(field=state, source=LeadState.QUALIFIED, target=LeadState.CONVERTED)
    def convert(self) -> None:
        pass

    @transition(field=state, source=list(OPEN_STATES), target=LeadState.REJECTED)
    def reject(self, *, rejection_reason: str) -> None:
        self.rejection_reason = rejection_reason[: self._meta.get_field("rejection_reason").max_length]

    @transition(field=state, source=LeadState.REJECTED, target=LeadState.NEW)
    def reopen(self) -> None:
        self.rejection_reason = ""
        self.checks_due_at = timezone.now()

    @transition(field=state, source=[LeadState.VALIDATED, LeadState.QUALIFIED], target=LeadState.NEW)
    def invalidate(self) -> None:
        """Back to new when an edit or a re-run of the checks finds errors."""

    @transition(field=state, source=list(OPEN_STATES), target=LeadState.DUPLICATE)
    def mark_duplicate(self, *, survivor: "Lead") -> None:
        self.duplicate_of = survivor


class LeadEvent(models.Model):
    """One line of a lead's audit trail: who did what, when and why. Written only by services."""

    class Kind(models.TextChoices):
        CREATED = "created", "Created"
        TRANSITION = "transition", "Transition"
        EDIT = "edit", "Edit"
        ASSIGNMENT = "assignment", "Assignment"
        MERGE = "merge", "Merge"
        CONVERSION = "conversion", "Conversion"
        NOTE = "note", "Note"

    lead = models.ForeignKey(Lead, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    transition = models.CharField(max_length=32, blank=True)
    from_state = models.CharField(max_length=16, blank=True)
    to_state = models.CharField(max_length=16, blank=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    actor_label = models.CharField(max_length=150, help_text="The user, API client or 'system' that acted.")
    reason = models.TextField(blank=True)
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        if self.kind == self.Kind.TRANSITION:
            return f"{self.from_state} → {self.to_state} by {self.actor_label}"
        return f"{self.get_kind_display()} by {self.actor_label}"
