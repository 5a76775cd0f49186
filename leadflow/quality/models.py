from django.conf import settings
from django.db import models
from django.db.models import Q

from leadflow.leads.models import Lead


class Severity(models.TextChoices):
    ERROR = "error", "Error"
    WARNING = "warning", "Warning"
    INFO = "info", "Cleaned"


class LeadFinding(models.Model):
    """What one validator found about one field of a lead; replaced each time the checks run."""

    lead = models.ForeignKey(Lead, on_delete=models.CASCADE, related_name="findings")
    validator = models.CharField(max_length=64)
    field = models.CharField(max_length=64, blank=True)
    code = models.CharField(max_length=64)
    severity = models.CharField(max_length=8, choices=Severity.choices)
    message = models.CharField(max_length=500)
    original_value = models.TextField(blank=True)
    cleaned_value = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["lead", "id"]
        indexes = [models.Index(fields=["lead", "severity"], name="finding_lead_severity_idx")]

    def __str__(self) -> str:
        return f"{self.get_severity_display()}: {self.message}"


class CandidateDecision(models.TextChoices):
    AUTO = "auto", "Probable duplicate (held)"
    REVIEW = "review", "Possible duplicate (review)"


class CandidateStatus(models.TextChoices):
    OPEN = "open", "Open"
    NOT_DUPLICATE = "not_duplicate", "Not a duplicate"
    MERGED = "merged", "Merged"


class DuplicateCandidate(models.Model):
    """A record that may be the same customer as `lead`: another lead, or a record already in Salesforce."""

    lead = models.ForeignKey(Lead, on_delete=models.CASCADE, related_name="duplicate_candidates")
    other_lead = models.ForeignKey(Lead, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    remote_object = models.CharField(max_length=32, blank=True, help_text="Salesforce object, e.g. Contact.")
    remote_id = models.CharField(max_length=18, blank=True)
    remote_label = models.CharField(max_length=255, blank=True)
    matcher = models.CharField(max_length=64)
    score = models.FloatField()
    reasons = models.JSONField(default=list, help_text="Which fields agreed, and how.")
    decision = models.CharField(max_length=8, choices=CandidateDecision.choices)
    status = models.CharField(max_length=16, choices=CandidateStatus.choices, default=CandidateStatus.OPEN)
    resolved_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    resolved_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-score", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["lead", "other_lead"], condition=Q(other_lead__isnull=False), name="candidate_unique_lead"
            ),
            models.UniqueConstraint(
                fields=["lead", "remote_object", "remote_id"],
                condition=~Q(remote_id=""),
                name="candidate_unique_remote",
            ),
        ]
        indexes = [models.Index(fields=["lead", "status"], name="candidate_lead_status_idx")]

    def __str__(self) -> str:
        return f"Lead {self.lead_id} ~ {self.target_label} ({self.score:.2f})"

    @property
    def target_label(self) -> str:
        if self.other_lead_id:
            return f"lead {self.other_lead_id}"
        return f"Salesforce {self.remote_object} {self.remote_label or self.remote_id}"


class NotDuplicatePair(models.Model):
    """A person said these two leads are different customers; the matchers never raise the pair again."""

    lead_low = models.ForeignKey(Lead, on_delete=models.CASCADE, related_name="+")
    lead_high = models.ForeignKey(Lead, on_delete=models.CASCADE, related_name="+")
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    decided_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["lead_low", "lead_high"], name="not_duplicate_pair_unique"),
            models.CheckConstraint(condition=Q(lead_low__lt=models.F("lead_high")), name="not_duplicate_pair_ordered"),
        ]

    def __str__(self) -> str:
        return f"Leads {self.lead_low_id} and {self.lead_high_id} are different"
