from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from leadflow.quality.models import (
    DuplicateCandidate,
    FieldWeight,
    LeadFinding,
    MatchSettings,
    NotDuplicatePair,
    RequiredFieldRule,
)


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class LeadFindingInline(ReadOnlyInline):
    model = LeadFinding
    fields = ("severity", "field", "message", "original_value", "cleaned_value")
    readonly_fields = fields
    verbose_name_plural = "Validation findings"


class DuplicateCandidateInline(ReadOnlyInline):
    model = DuplicateCandidate
    fk_name = "lead"
    fields = ("other_lead", "remote_object", "remote_id", "score", "decision", "status", "reasons")
    readonly_fields = fields
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


@admin.register(MatchSettings)
class MatchSettingsAdmin(admin.ModelAdmin):
    """One row of thresholds and weights; created by a migration, never added or deleted here."""

    list_display = ("__str__", "prior", "max_block_size", "updated_at")
    fields = ("auto_threshold", "review_threshold", "prior", "max_block_size")
    inlines = (FieldWeightInline,)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(RequiredFieldRule)
class RequiredFieldRuleAdmin(admin.ModelAdmin):
    list_display = ("__str__", "required_fields", "require_email_or_phone")
    search_fields = ("source",)
