"""The outbox: targets configured by an admin, one job per target and event, and a row per delivery attempt."""

import uuid
from datetime import datetime

from django.db import models
from django.db.models import Q
from django.utils import timezone

from leadflow.core.models import TimeStampedModel

# Version of the payload every job carries; receivers switch on it. Bump it only with a migration path.
PAYLOAD_SCHEMA_VERSION = 1


class SyncTarget(TimeStampedModel):
    name = models.SlugField(max_length=64, unique=True, help_text="Short name used by commands, e.g. exact-nl.")
    # A key of settings.SYNC_TARGET_KINDS: which Target plug-in delivers this target's jobs.
    kind = models.CharField(max_length=32)
    enabled = models.BooleanField(default=True)
    settings = models.JSONField(default=dict, blank=True, help_text="Validated by the kind's settings form.")
    disabled_reason = models.CharField(max_length=255, blank=True)
    # The target asked us to wait (rate limit): no job is handed out before this moment.
    paused_until = models.DateTimeField(null=True, blank=True)
    # The alert last sent for this target, so the beat task does not repeat it every minute.
    alert_reason = models.CharField(max_length=255, blank=True)
    alerted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.kind})"

    def is_ready(self, now: datetime) -> bool:
        """Switched on and not asked to wait: its jobs may be handed out now (otherwise they are held)."""
        return self.enabled and not (self.paused_until and self.paused_until > now)


class JobState(models.TextChoices):
    PENDING = "pending", "Pending"
    IN_FLIGHT = "in_flight", "In flight"
    DONE = "done", "Done"
    FAILED = "failed", "Failed"
    DEAD = "dead", "Dead"


RETRYABLE_STATES = (JobState.FAILED, JobState.DEAD)


class SyncJob(TimeStampedModel):
    """One event to deliver to one target. Written in the same transaction as the change it reports."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False, help_text="Delivery id sent along.")
    target = models.ForeignKey(SyncTarget, on_delete=models.CASCADE, related_name="jobs")
    lead = models.ForeignKey("leads.Lead", on_delete=models.CASCADE, related_name="sync_jobs")
    event = models.CharField(max_length=64)
    payload = models.JSONField()
    state = models.CharField(max_length=16, choices=JobState.choices, default=JobState.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    # Start of the retry window (creation, or the last manual retry); past SYNC_RETRY_WINDOW_SECONDS it is dead.
    retry_from = models.DateTimeField(default=timezone.now)
    # Set while a worker holds the job; a worker killed mid-delivery leaves it to expire and the sweeper
    # hands the job out again. `claim_token` lets only the current holder record the outcome.
    claimed_until = models.DateTimeField(null=True, blank=True)
    claim_token = models.UUIDField(null=True, blank=True)
    # When a wake-up message for this job was published and not yet taken by a worker: the sweeper publishes
    # another only after SYNC_LEASE_SECONDS (the message must be lost), not on every sweep.
    wake_sent_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["state", "next_attempt_at"], name="syncjob_due_idx"),
            models.Index(fields=["target", "state", "created_at"], name="syncjob_target_state_idx"),
            models.Index(fields=["lead", "target", "-created_at"], name="syncjob_lead_idx"),
            models.Index(fields=["claimed_until"], name="syncjob_in_flight_idx", condition=Q(state="in_flight")),
        ]

    def __str__(self) -> str:
        return f"{self.event} → {self.target.name} ({self.state})"


class DeliveryAttempt(models.Model):
    class Outcome(models.TextChoices):
        DELIVERED = "delivered", "Delivered"
        RETRY = "retry", "Will retry"
        FAILED = "failed", "Failed"
        DEAD = "dead", "Gave up"

    job = models.ForeignKey(SyncJob, on_delete=models.CASCADE, related_name="delivery_attempts")
    target = models.ForeignKey(SyncTarget, on_delete=models.CASCADE, related_name="delivery_attempts")
    started_at = models.DateTimeField(default=timezone.now, db_index=True)
    duration_ms = models.PositiveIntegerField(default=0)
    outcome = models.CharField(max_length=16, choices=Outcome.choices)
    status_code = models.PositiveIntegerField(null=True, blank=True)
    error = models.TextField(blank=True, help_text="Why it did not arrive, in plain words.")
    detail = models.CharField(max_length=255, blank=True, help_text="What a successful delivery did.")

    class Meta:
        ordering = ["-started_at", "-id"]
        indexes = [models.Index(fields=["target", "-started_at"], name="attempt_target_started_idx")]

    def __str__(self) -> str:
        return f"{self.get_outcome_display()} at {self.started_at:%Y-%m-%d %H:%M:%S}"


class CallBudget(models.Model):
    """The calls recently sent to one outside system, shared by every worker (see `leadflow.sync.budget`)."""

    key = models.CharField(max_length=200, unique=True)
    # Unix times of the calls within the budget's window, oldest first.
    sent = models.JSONField(default=list)

    def __str__(self) -> str:
        return f"Call budget {self.key}"


class SyncConflict(TimeStampedModel):
    """An edit in Leadflow to customer data a target leads (see `leadflow.sync.leading`): not pushed, kept for a
    person to decide whether Leadflow's value should overwrite the target's after all."""

    class State(models.TextChoices):
        OPEN = "open", "Open"
        PUSHED = "pushed", "Leadflow's value sent"
        KEPT = "kept", "Target's value kept"

    target = models.ForeignKey(SyncTarget, on_delete=models.CASCADE, related_name="conflicts")
    lead = models.ForeignKey("leads.Lead", on_delete=models.CASCADE, related_name="sync_conflicts")
    # {field: [value before the edit, value Leadflow now has]}
    changes = models.JSONField()
    changed_by = models.CharField(max_length=150, help_text="Who made the edit in Leadflow.")
    state = models.CharField(max_length=8, choices=State.choices, default=State.OPEN)
    resolved_by = models.CharField(max_length=150, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["state", "-created_at"], name="syncconflict_state_idx")]

    def __str__(self) -> str:
        return f"{', '.join(self.changes)} of lead {self.lead_id} for {self.target.name} ({self.state})"


class TargetConnection(models.Model):
    """A target's bearer token that does not rotate (see `leadflow.sync.tokens`), on one row per target (a
    subclass names its `target` one-to-one field: related names are part of the migrations)."""

    system = "Target"

    access_token = models.TextField(blank=True)
    access_expires_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return f"{self.system} connection of {self.target.name}"


class RecordCustomer(models.Model):
    """The record a lead became in a system of record, so a job delivered twice never creates a second one.
    A subclass names its `target` and `lead` foreign keys and says where `matched_existing` was found."""

    review_suggestion = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        abstract = True
        constraints = [models.UniqueConstraint(fields=["target", "lead"], name="%(app_label)s_customer_once")]


class RecordCopyKeys(models.Model):
    """Normal forms (leadflow.core.normalize) of a system of record's customer: the system's $filter compares text
    as stored, so VAT `NL6813.37.223.B01` or a name spelled otherwise is only found by comparing these."""

    vat_key = models.CharField(max_length=60, blank=True)
    name_key = models.CharField(max_length=100, blank=True)
    postcode_key = models.CharField(max_length=30, blank=True)

    class Meta:
        abstract = True
