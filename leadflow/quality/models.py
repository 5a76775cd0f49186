import math

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q

from leadflow.leads.models import Lead, LeadState
from leadflow.quality.matching.comparisons import FIELD_LEVELS
from leadflow.quality.matching.profile import BLOCKING_RULES, KEY_LENGTH


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
    # The same customer, already in Salesforce: a new enquiry, converted as a new Opportunity on their Account.
    EXISTING_CUSTOMER = "customer", "New enquiry from an existing customer"


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
    def is_existing_customer(self) -> bool:
        """The candidate is a customer already in Salesforce: a converted lead, or a Salesforce Contact/Account."""
        if self.other_lead_id:
            return self.other_lead.state == LeadState.CONVERTED
        return self.remote_object in ("Contact", "Account")

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


# LeadFingerprint columns that matching looks candidates up by, each with a partial index: one per blocking rule.
BLOCKING_KEYS = tuple(BLOCKING_RULES)


class LeadFingerprint(models.Model):
    """A lead's blocking keys in indexed columns: matching looks candidates up here instead of scanning leads.

    One column per rule of `profile.BLOCKING_RULES` (their recipe is documented there). Refreshed by the checks
    (and by `find_duplicates` for leads the checks have not reached); stale when the lead changed after
    `lead_updated_at` or the key recipe (`version`) changed.
    """

    lead = models.OneToOneField(Lead, primary_key=True, on_delete=models.CASCADE, related_name="fingerprint")
    version = models.PositiveSmallIntegerField()
    lead_updated_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=[key], condition=~Q(**{key: ""}), name=f"fp_{key}_idx") for key in BLOCKING_KEYS]

    def __str__(self) -> str:
        return f"Keys of lead {self.lead_id}"


for _key in BLOCKING_KEYS:  # one column per rule, named after it
    LeadFingerprint.add_to_class(_key, models.CharField(max_length=KEY_LENGTH, blank=True))


class MatchSettings(models.Model):
    """Thresholds of the duplicate matchers. One row (pk=1), created by a migration and edited in the admin."""

    auto_threshold = models.FloatField(
        default=0.9, help_text="At or above this score a lead is held as a probable duplicate."
    )
    review_threshold = models.FloatField(
        default=0.6, help_text="At or above this score (and below the auto threshold) a person decides."
    )
    prior = models.FloatField(
        default=-5.0,
        help_text="Starting evidence (log-odds) before any field is compared; more negative asks for more evidence.",
    )
    max_block_size = models.PositiveIntegerField(
        default=200, help_text="A blocking key shared by more leads than this is too common to say anything."
    )
    use_learned_weights = models.BooleanField(
        default=True,
        help_text="Score with the weights learned from this database (when trained); off: the hand-set weights.",
    )
    trained_at = models.DateTimeField(null=True, blank=True, editable=False)
    trained_records = models.PositiveIntegerField(default=0, editable=False, help_text="Leads the model learned from.")
    trained_pairs = models.PositiveIntegerField(default=0, editable=False, help_text="Compared pairs EM ran over.")
    match_probability = models.FloatField(
        null=True,
        blank=True,
        editable=False,
        help_text="Learned chance that two leads picked at random are one customer (the prior of the learned model).",
    )
    replaced_name_share = models.FloatField(
        null=True,
        blank=True,
        editable=False,
        help_text="Learned share of one person among pairs at one address with one surname and another first name "
        "(the rest are family members).",
    )
    common_values = models.JSONField(
        default=dict,
        blank=True,
        editable=False,
        help_text="Values most leads share, per blocking-key part (measured): keys built on them are not used.",
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = verbose_name_plural = "match settings"
        constraints = [
            models.CheckConstraint(
                condition=Q(review_threshold__lte=models.F("auto_threshold")), name="match_review_below_auto"
            ),
            models.CheckConstraint(
                condition=Q(review_threshold__gt=0) & Q(auto_threshold__lte=1), name="match_thresholds_in_range"
            ),
        ]

    def __str__(self) -> str:
        return f"Auto ≥ {self.auto_threshold:.2f}, review ≥ {self.review_threshold:.2f}"


class FieldWeight(models.Model):
    """How much one field's agreement (or disagreement) counts, in log-odds: +agree when equal, -disagree when not."""

    settings = models.ForeignKey(MatchSettings, on_delete=models.CASCADE, related_name="weights")
    field = models.CharField(max_length=32)
    agree = models.FloatField(help_text="Evidence added when both leads have the field and it agrees.")
    disagree = models.FloatField(help_text="Evidence taken away when both leads have the field and it differs.")

    class Meta:
        ordering = ["field"]
        constraints = [
            models.UniqueConstraint(fields=["settings", "field"], name="field_weight_unique"),
            models.CheckConstraint(condition=Q(agree__gte=0) & Q(disagree__gte=0), name="field_weight_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.field}: +{self.agree} / -{self.disagree}"


class ComparisonLevel(models.Model):
    """One level of one field's comparison (e.g. first name: nickname) with its learned m and u.

    m: share of true duplicates in this level; u: share of other pairs. The weight is ln(m/u) unless a person
    set `weight_override`. Written by `match_model_train`; only the override is edited by hand.
    """

    settings = models.ForeignKey(MatchSettings, on_delete=models.CASCADE, related_name="levels")
    field = models.CharField(max_length=32, choices=[(name, name) for name in FIELD_LEVELS])
    level = models.CharField(max_length=16)
    m = models.FloatField(help_text="Share of duplicate pairs in this level (learned).")
    u = models.FloatField(help_text="Share of non-duplicate pairs in this level (learned from random pairs).")
    weight_override = models.FloatField(null=True, blank=True, help_text="Use this weight (log-odds) instead.")

    class Meta:
        ordering = ["field", "id"]
        constraints = [
            models.UniqueConstraint(fields=["settings", "field", "level"], name="comparison_level_unique"),
            models.CheckConstraint(condition=Q(m__gt=0) & Q(u__gt=0), name="comparison_level_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.field}: {self.level}"

    @property
    def learned_weight(self) -> float:
        return math.log(self.m / self.u)

    @property
    def weight(self) -> float:
        return self.learned_weight if self.weight_override is None else self.weight_override


class TermFrequency(models.Model):
    """How common a name, street, postcode or city value is among the leads (measured by training)."""

    field = models.CharField(max_length=32)
    value = models.CharField(max_length=255)
    share = models.FloatField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["field", "value"], name="term_frequency_unique")]

    def __str__(self) -> str:
        return f"{self.field} {self.value!r}: {self.share:.4%}"


class RequiredFieldRule(models.Model):
    """The fields a form, API client or import (`Lead.source`) must collect; an empty source is the default."""

    source = models.CharField(
        max_length=100, blank=True, unique=True, help_text="Lead source this rule is for; empty = every other source."
    )
    required_fields = models.JSONField(default=list, help_text='Lead field names, e.g. ["last_name", "company"].')
    require_email_or_phone = models.BooleanField(default=True, help_text="Demand a way to reach the person.")

    class Meta:
        ordering = ["source"]

    def __str__(self) -> str:
        return f"Required for {self.source or 'every other source'}"

    def clean(self) -> None:
        known = {f.name for f in Lead._meta.get_fields() if f.concrete}
        if not isinstance(self.required_fields, list) or not all(isinstance(n, str) for n in self.required_fields):
            raise ValidationError({"required_fields": "Give a list of field names."})
        unknown = sorted(set(self.required_fields) - known)
        if unknown:
            raise ValidationError({"required_fields": f"Leads have no field named {', '.join(unknown)}."})
