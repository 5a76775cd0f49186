from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from leadflow.quality.models import DuplicateCandidate, LeadFinding, NotDuplicatePair


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
