from django.contrib import admin

from leadflow.review.models import AssignmentRule, BulkJob, ResponseTarget, SalesProfile, Team, TeamMembership


class TeamMembershipInline(admin.TabularInline):
    model = TeamMembership
    extra = 1
    autocomplete_fields = ("user",)
    readonly_fields = ("last_turn",)


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ("name", "turns_taken")
    search_fields = ("name",)
    inlines = (TeamMembershipInline,)


@admin.register(AssignmentRule)
class AssignmentRuleAdmin(admin.ModelAdmin):
    list_display = ("priority", "name", *AssignmentRule.RULE_FIELDS)
    list_display_links = ("name",)
    list_editable = ("priority", "active")
    list_select_related = ("owner", "team")
    autocomplete_fields = ("owner", "team")


@admin.register(SalesProfile)
class SalesProfileAdmin(admin.ModelAdmin):
    list_display = ("user", "away")
    list_editable = ("away",)
    list_select_related = ("user",)
    autocomplete_fields = ("user",)


@admin.register(ResponseTarget)
class ResponseTargetAdmin(admin.ModelAdmin):
    list_display = ("source", "first_response_hours")


@admin.register(BulkJob)
class BulkJobAdmin(admin.ModelAdmin):
    list_display = ("id", "action", "status", "processed", "succeeded", "requested_by", "created_at")
    list_select_related = ("requested_by",)
    readonly_fields = ("action", "lead_ids", "params", "requested_by", "status", "processed", "succeeded", "failures")

    def has_add_permission(self, request, obj=None) -> bool:
        return False
