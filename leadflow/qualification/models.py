from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from leadflow.leads.models import Lead
from leadflow.qualification.rules import CompiledRule, Operator, compile_rule

SETTINGS_PK = 1


class Verdict(models.TextChoices):
    """A suggestion to the person who decides; only sources set to auto-qualify act on `qualify` by themselves."""

    QUALIFY = "qualify", "Fits"
    REVIEW = "review", "Borderline"
    REJECT = "reject", "Suggest reject"


class QualificationSettings(models.Model):
    """The one row (pk 1) of score thresholds; the rules hang off it so the admin edits both on one page."""

    qualify_at = models.PositiveSmallIntegerField(
        "fits at",
        default=30,
        validators=[MaxValueValidator(100)],
        help_text="A lead whose hard requirements all hold is suggested as a fit at this score (0-100) or above. "
        "A person qualifies it, unless its form or API client is set to auto-qualify.",
    )
    reject_below = models.PositiveSmallIntegerField(
        "suggest rejection below",
        default=15,
        validators=[MaxValueValidator(100)],
        help_text="Below this score a lead is suggested for rejection; a person decides. Never rejected automatically.",
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "conversion criteria"
        verbose_name_plural = "conversion criteria"
        constraints = [
            models.CheckConstraint(condition=Q(pk=SETTINGS_PK), name="qualification_settings_singleton"),
            models.CheckConstraint(condition=Q(qualify_at__lte=100), name="qualification_qualify_at_max_100"),
            models.CheckConstraint(
                condition=Q(reject_below__lte=F("qualify_at")), name="qualification_thresholds_order"
            ),
        ]

    def __str__(self) -> str:
        return "Conversion criteria"

    def clean(self) -> None:
        if self.reject_below is not None and self.qualify_at is not None and self.reject_below > self.qualify_at:
            raise ValidationError({"reject_below": "Must not be above the “fits at” score."})


class QualificationRule(models.Model):
    """One condition on a lead: a hard requirement, or worth `weight` points of the score when it holds."""

    qualification_settings = models.ForeignKey(
        QualificationSettings, on_delete=models.CASCADE, related_name="rules", default=SETTINGS_PK
    )
    order = models.PositiveIntegerField(default=0)
    label = models.CharField(
        max_length=200, blank=True, help_text="How reps see the rule, e.g. “Business email address”. Optional."
    )
    field = models.CharField(
        max_length=100,
        help_text="A lead field, email_domain, email_is_free_mail, or custom_fields.<key>.",
    )
    operator = models.CharField(max_length=16, choices=Operator.choices)
    value = models.CharField(
        max_length=500,
        blank=True,
        help_text="Lists are comma-separated (NL, BE, DE); yes/no for yes-or-no fields; empty for is (not) set.",
    )
    hard = models.BooleanField("hard requirement", default=False)
    weight = models.PositiveSmallIntegerField(
        default=0, validators=[MaxValueValidator(1000)], help_text="Points when the rule holds (not for hard ones)."
    )
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["order", "id"]
        constraints = [models.CheckConstraint(condition=Q(weight__lte=1000), name="qualification_rule_weight_max")]

    def __str__(self) -> str:
        return self.compiled().description

    def clean(self) -> None:
        if not self.hard and not self.weight:
            raise ValidationError({"weight": "Give the rule a weight, or make it a hard requirement."})
        self.compiled()

    def compiled(self) -> CompiledRule:
        return compile_rule(
            name=f"rule:{self.pk or 'new'}",
            field=self.field,
            operator=self.operator,
            value=self.value,
            hard=self.hard,
            weight=self.weight,
            label=self.label,
        )


class CriteriaChange(models.Model):
    """Who changed the conversion criteria, when, and what changed (written only by `criteria_save`)."""

    changed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    actor_label = models.CharField(max_length=150)
    changed_at = models.DateTimeField(auto_now_add=True, db_index=True)
    reason = models.TextField(blank=True)
    summary = models.TextField()
    changes = models.JSONField(help_text="Thresholds before/after; rules added, removed and changed.")

    class Meta:
        ordering = ["-changed_at", "-id"]

    def __str__(self) -> str:
        return f"Change {self.pk} by {self.actor_label}"


class LeadAssessment(models.Model):
    """The latest verdict on a lead, so queues filter and sort by score without evaluating rules."""

    lead = models.OneToOneField(Lead, on_delete=models.CASCADE, primary_key=True, related_name="assessment")
    score = models.PositiveSmallIntegerField()
    verdict = models.CharField(max_length=8, choices=Verdict.choices)
    hard_requirements_met = models.BooleanField()
    results = models.JSONField(help_text="Each criterion: name, passed, reason, hard, weight.")
    assessed_at = models.DateTimeField()

    class Meta:
        indexes = [
            models.Index(fields=["verdict", "-score"], name="assessment_verdict_score_idx"),
            models.Index(fields=["-score"], name="assessment_score_idx"),
        ]

    def __str__(self) -> str:
        return f"Lead {self.lead_id}: {self.get_verdict_display()} ({self.score})"


class ReclassificationRun(models.Model):
    """Re-assessing the open leads after a criteria change, in batches, with its progress."""

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting"
        RUNNING = "running", "Running"
        DONE = "done", "Done"
        SUPERSEDED = "superseded", "Superseded by a later change"

    change = models.OneToOneField(CriteriaChange, on_delete=models.CASCADE, related_name="run")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    total = models.PositiveIntegerField(help_text="Open leads when the change was saved.")
    processed = models.PositiveIntegerField(default=0)
    qualified = models.PositiveIntegerField(default=0, help_text="Validated leads qualified because of the change.")
    last_lead_id = models.BigIntegerField(default=0, help_text="Leads up to this id are done.")
    started_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(
        default=timezone.now, db_index=True, help_text="When it was queued or last made progress."
    )
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"Re-classification after change {self.change_id}: {self.get_status_display()}"

    @property
    def percent_done(self) -> int:
        if self.status == self.Status.DONE or not self.total:
            return 100
        return min(100, round(100 * self.processed / self.total))
