from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from leadflow.core.admin import ReadOnlyInline
from leadflow.quality.models import (
    ComparisonLevel,
    DuplicateCandidate,
    FieldWeight,
    LeadFinding,
    MatchSettings,
    NotDuplicatePair,
    RequiredFieldRule,
    TermFrequency,
)


class LeadFindingInline(ReadOnlyInline):
    model = LeadFinding
    fields = ("severity", "field", "message", "original_value", "cleaned_value")
    verbose_name_plural = "Validation findings"


class DuplicateCandidateInline(ReadOnlyInline):
    model = DuplicateCandidate
    fk_name = "lead"
    fields = ("other_lead", "remote_object", "remote_id", "score", "decision", "status", "reasons")
    verbose_name_plural = "Duplicate candidates"


@admin.register(NotDuplicatePair)
class NotDuplicatePairAdmin(admin.ModelAdmin):
    list_display = ("lead_low", "lead_high", "decided_by", "decided_at")
    raw_id_fields = ("lead_low", "lead_high")
    list_select_related = ("decided_by",)


class FieldWeightInline(admin.TabularInline):
    model = FieldWeight
    extra = 0
    fields = ("field", "agree", "disagree")


class ComparisonLevelInline(admin.TabularInline):
    """Learned m and u per comparison level, read-only; a person may override the weight."""

    model = ComparisonLevel
    extra = 0
    can_delete = False
    fields = ("field", "level", "m", "u", "learned", "weight_override")
    readonly_fields = ("field", "level", "m", "u", "learned")
    verbose_name_plural = "Learned comparison levels (weight = ln(m/u); override to fix one)"

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description="learned weight")
    def learned(self, level: ComparisonLevel) -> str:
        return f"{level.learned_weight:+.2f}"


@admin.register(MatchSettings)
class MatchSettingsAdmin(admin.ModelAdmin):
    """One row of thresholds and weights; created by a migration, never added or deleted here.

    The hand-set field weights are the prior (used until the model has learned from enough leads); the
    learned levels are written by `manage.py train_matcher` and the periodic retraining.
    """

    list_display = ("__str__", "prior", "max_block_size", "trained_at", "updated_at")
    fields = (
        "auto_threshold",
        "review_threshold",
        "prior",
        "max_block_size",
        "use_learned_weights",
        "trained_at",
        "trained_records",
        "trained_pairs",
        "match_probability",
        "replaced_name_share",
        "common_values",
    )
    readonly_fields = (
        "trained_at",
        "trained_records",
        "trained_pairs",
        "match_probability",
        "replaced_name_share",
        "common_values",
    )
    inlines = (FieldWeightInline, ComparisonLevelInline)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(TermFrequency)
class TermFrequencyAdmin(admin.ModelAdmin):
    """How common each name, street, postcode and city value is: measured by training, read-only."""

    list_display = ("field", "value", "share")
    list_filter = ("field",)
    search_fields = ("value",)
    ordering = ("field", "-share")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(RequiredFieldRule)
class RequiredFieldRuleAdmin(admin.ModelAdmin):
    list_display = ("__str__", "required_fields", "require_email_or_phone")
    search_fields = ("source",)
