"""The sales workspace's own data: teams and who is away, assignment rules, response-time targets, notes
and queued bulk actions. Leads themselves stay in `leadflow.leads`."""

from typing import ClassVar

from django.conf import settings
from django.db import models
from django.db.models import Q

from leadflow.core.models import TimeStampedModel
from leadflow.leads.models import Lead


class SalesProfile(models.Model):
    """Per-person workspace settings. `away` takes the person out of every team's rotation."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="sales_profile")
    away = models.BooleanField(default=False, help_text="Away people receive no automatically assigned leads.")
    # What the person is told about (in the bell and by email); each can be switched off.
    notify_assigned = models.BooleanField("a lead is assigned to me", default=True)
    notify_response_due = models.BooleanField("a response target is about to pass", default=True)
    notify_duplicate = models.BooleanField("a possible duplicate of my lead is found", default=True)
    notify_conversion_failed = models.BooleanField("converting my lead failed", default=True)
    notify_by_email = models.BooleanField("also by email", default=True)

    def __str__(self) -> str:
        return f"{self.user} ({'away' if self.away else 'available'})"


class Team(models.Model):
    """People who share incoming leads round-robin. `turns_taken` is the rotation counter, bumped under a row lock."""

    name = models.CharField(max_length=100, unique=True)
    members = models.ManyToManyField(settings.AUTH_USER_MODEL, through="TeamMembership", related_name="sales_teams")
    turns_taken = models.PositiveBigIntegerField(default=0, editable=False)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class TeamMembership(models.Model):
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="team_memberships")
    # The team's counter value at this member's last turn; the member with the lowest goes next.
    last_turn = models.PositiveBigIntegerField(default=0, editable=False)

    class Meta:
        ordering = ["team", "id"]
        constraints = [models.UniqueConstraint(fields=["team", "user"], name="team_membership_unique")]

    def __str__(self) -> str:
        return f"{self.user} in {self.team}"


class AssignmentRule(models.Model):
    """Who gets a new lead. Empty conditions match anything; the first matching active rule by priority wins."""

    name = models.CharField(max_length=100)
    priority = models.PositiveIntegerField(default=100, help_text="Lower numbers are tried first.")
    active = models.BooleanField(default=True)
    country = models.CharField(max_length=64, blank=True, help_text="ISO code, e.g. NL. Empty: any country.")
    source = models.CharField(max_length=100, blank=True, help_text="Form, API client or import. Empty: any.")
    language = models.CharField(max_length=8, blank=True, help_text="e.g. nl. Empty: any language.")
    min_company_size = models.PositiveIntegerField(null=True, blank=True)
    max_company_size = models.PositiveIntegerField(null=True, blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    team = models.ForeignKey(Team, null=True, blank=True, on_delete=models.CASCADE, related_name="rules")

    # What a manager sets besides the name and priority: whether it applies, its conditions, who gets the lead.
    RULE_FIELDS: ClassVar[tuple[str, ...]] = (
        "active",
        "country",
        "source",
        "language",
        "min_company_size",
        "max_company_size",
        "owner",
        "team",
    )

    class Meta:
        ordering = ["priority", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(owner__isnull=True, team__isnull=False) | Q(owner__isnull=False, team__isnull=True),
                name="assignment_rule_owner_xor_team",
            ),
            models.CheckConstraint(
                condition=Q(min_company_size__isnull=True)
                | Q(max_company_size__isnull=True)
                | Q(min_company_size__lte=models.F("max_company_size")),
                name="assignment_rule_size_range_ordered",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.priority}. {self.name}"

    def matches(self, lead: Lead) -> bool:
        if self.country and self.country.upper() != lead.country.upper():
            return False
        if self.source and self.source != lead.source:
            return False
        if self.language and self.language.lower() != lead.language.lower():
            return False
        if self.min_company_size is None and self.max_company_size is None:
            return True
        if lead.company_size is None:
            return False
        too_small = self.min_company_size is not None and lead.company_size < self.min_company_size
        too_big = self.max_company_size is not None and lead.company_size > self.max_company_size
        return not (too_small or too_big)


class ResponseTarget(models.Model):
    """First-response SLA for one source: a person must act on its leads within `first_response_hours`."""

    source = models.CharField(max_length=100, unique=True, help_text="The lead source (form, API client, import).")
    first_response_hours = models.PositiveIntegerField()

    class Meta:
        ordering = ["source"]

    def __str__(self) -> str:
        return f"{self.source}: {self.first_response_hours} h"


class LeadPlan(models.Model):
    """What the rep learned and agreed when qualifying: the need, budget and timing, and the next step with its
    date. On that date the lead comes back to the top of its owner's queue."""

    lead = models.OneToOneField(Lead, on_delete=models.CASCADE, primary_key=True, related_name="plan")
    need = models.TextField(blank=True, help_text="What the customer needs.")
    budget_timing = models.CharField("budget and timing", max_length=255, blank=True)
    next_step = models.CharField(max_length=255, blank=True)
    next_step_on = models.DateField(null=True, blank=True, db_index=True)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"Plan for lead {self.lead_id}: {self.next_step or 'no next step'}"


class Activity(models.Model):
    """A call, email or meeting with the lead and how it went; logging one counts as a response."""

    class Kind(models.TextChoices):
        CALL = "call", "Call"
        EMAIL = "email", "Email"
        MEETING = "meeting", "Meeting"

    class Outcome(models.TextChoices):
        REACHED = "reached", "Reached, talked"
        NO_ANSWER = "no_answer", "No answer"
        LEFT_MESSAGE = "left_message", "Left a message"
        MEETING_BOOKED = "meeting_booked", "Meeting booked"
        NOT_INTERESTED = "not_interested", "Not interested"
        SENT = "sent", "Sent, waiting for a reply"

    lead = models.ForeignKey(Lead, on_delete=models.CASCADE, related_name="activities")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    outcome = models.CharField(max_length=16, choices=Outcome.choices)
    summary = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "activities"

    def __str__(self) -> str:
        return f"{self.get_kind_display()} with lead {self.lead_id}: {self.get_outcome_display()}"


class SavedView(models.Model):
    """A person's named queue filter (the query string), listed above their filters."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="saved_views")
    name = models.CharField(max_length=60)
    query = models.CharField(max_length=1000)

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["user", "name"], name="saved_view_name_unique_per_user")]

    def __str__(self) -> str:
        return f"{self.name} ({self.user})"


class NotificationKind(models.TextChoices):
    ASSIGNED = "assigned", "Lead assigned to you"
    RESPONSE_DUE = "response_due", "Response target about to pass"
    DUPLICATE = "duplicate", "Possible duplicate found"
    CONVERSION_FAILED = "conversion_failed", "Conversion failed"


class Notification(models.Model):
    """Something a person is told about a lead, shown under the bell until read (and emailed if they like).
    `key` makes each notice once-only (e.g. one per duplicate candidate or failed conversion attempt)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField(max_length=32, choices=NotificationKind.choices)
    lead = models.ForeignKey(Lead, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=100, blank=True)
    message = models.CharField(max_length=500)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["user", "kind", "lead", "key"], name="notification_once"),
        ]
        indexes = [models.Index(fields=["user", "read_at"], name="notification_unread_idx")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} for {self.user}: {self.message}"


class Note(models.Model):
    lead = models.ForeignKey(Lead, on_delete=models.CASCADE, related_name="notes")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    body = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"Note on lead {self.lead_id} by {self.author}"


class BulkAction(models.TextChoices):
    ASSIGN = "assign", "Assign"
    REJECT = "reject", "Reject"
    QUALIFY = "qualify", "Qualify"
    CONVERT = "convert", "Convert"


class BulkJob(TimeStampedModel):
    """A bulk action on a selection of leads, run by a worker one lead at a time so progress can be shown."""

    class Status(models.TextChoices):
        PENDING = "pending", "Queued"
        RUNNING = "running", "Running"
        DONE = "done", "Done"

    action = models.CharField(max_length=16, choices=BulkAction.choices)
    lead_ids = models.JSONField(default=list)
    params = models.JSONField(default=dict, blank=True, help_text="owner_id for assign, reason for reject.")
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    processed = models.PositiveIntegerField(default=0, help_text="How many of `lead_ids` have been handled.")
    succeeded = models.PositiveIntegerField(default=0)
    failures = models.JSONField(default=list, blank=True, help_text="[lead id, message] for each refused lead.")

    def __str__(self) -> str:
        return f"{self.get_action_display()} {len(self.lead_ids)} leads ({self.get_status_display().lower()})"

    @property
    def total(self) -> int:
        return len(self.lead_ids)

    @property
    def percent(self) -> int:
        return round(100 * self.processed / self.total) if self.total else 100
