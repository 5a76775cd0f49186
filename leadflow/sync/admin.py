from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from leadflow.core import plugins
from leadflow.core.admin import ReadOnlyInline
from leadflow.sync import services
from leadflow.sync.forms import SETTINGS_PREFIX, SyncTargetForm, target_form_for
from leadflow.sync.models import DeliveryAttempt, SyncConflict, SyncJob, SyncTarget
from leadflow.sync.targets import target_for_kind


@admin.register(SyncTarget)
class SyncTargetAdmin(admin.ModelAdmin):
    list_display = ("name", "kind", "enabled", "disabled_reason", "updated_at")
    list_filter = ("kind", "enabled")
    readonly_fields = ("kind", "connection", "disabled_reason", "alert_reason", "alerted_at")
    actions = ("retry_failed_jobs", "switch_on")

    def _kind(self, request: HttpRequest, obj: SyncTarget | None) -> str:
        if obj is not None:
            return obj.kind
        wanted = request.GET.get("kind", "")
        kinds = plugins.configured("SYNC_TARGET_KINDS")
        return wanted if wanted in kinds else next(iter(kinds))

    def get_form(self, request: HttpRequest, obj: SyncTarget | None = None, change: bool = False, **kwargs: Any):
        kwargs["form"] = target_form_for(self._kind(request, obj))
        kwargs["fields"] = None
        return super().get_form(request, obj, change, **kwargs)

    def get_fieldsets(self, request: HttpRequest, obj: SyncTarget | None = None):
        kind = self._kind(request, obj)
        settings_fields = [SETTINGS_PREFIX + name for name in target_for_kind(kind).settings_form.base_fields]
        extra = ("connection",) if obj is not None and target_for_kind(kind).admin_status(target=obj) else ()
        other_kinds = " or ".join(f"?kind={name}" for name in plugins.configured("SYNC_TARGET_KINDS"))
        return (
            (
                None,
                {
                    "fields": ("name", "kind", "enabled", "disabled_reason"),
                    "description": f"Add a target of another kind with {other_kinds} in the URL.",
                },
            ),
            ("Settings", {"fields": (*settings_fields, *extra)}),
            ("Alerts", {"fields": ("alert_reason", "alerted_at")}),
        )

    def get_readonly_fields(self, request: HttpRequest, obj: SyncTarget | None = None):
        return self.readonly_fields

    def save_model(self, request: HttpRequest, obj: SyncTarget, form: SyncTargetForm, change: bool) -> None:
        switched_on = change and "enabled" in form.changed_data and obj.enabled
        super().save_model(request, obj, form, change)
        if switched_on:
            held = services.sync_target_enable(target=obj, actor=request.user)
            self.message_user(request, f"{obj.name} is switched on; {held} held job(s) are being delivered.")
        for name in form.generated_secrets:
            self.message_user(
                request,
                f"Generated {name} for {obj.name} — give it to the receiver now, it is not shown again: "
                f"{obj.settings[name]}",
                messages.WARNING,
            )

    @admin.display(description="Connection")
    def connection(self, obj: SyncTarget) -> str:
        return target_for_kind(obj.kind).admin_status(target=obj)

    @admin.action(description="Retry failed and dead jobs of the selected targets")
    def retry_failed_jobs(self, request: HttpRequest, queryset: QuerySet[SyncTarget]) -> None:
        count = sum(services.sync_target_retry_all(target=target, actor=request.user) for target in queryset)
        self.message_user(request, f"{count} job(s) queued again.", messages.SUCCESS)

    @admin.action(description="Switch on and deliver the jobs held while off")
    def switch_on(self, request: HttpRequest, queryset: QuerySet[SyncTarget]) -> None:
        count = sum(services.sync_target_enable(target=target, actor=request.user) for target in queryset)
        self.message_user(request, f"Switched on; {count} held job(s) are being delivered.", messages.SUCCESS)


class DeliveryAttemptInline(ReadOnlyInline):
    model = DeliveryAttempt
    fields = ("started_at", "outcome", "status_code", "duration_ms", "error", "detail")


@admin.register(SyncJob)
class SyncJobAdmin(admin.ModelAdmin):
    list_display = ("id", "target", "event", "lead", "state", "attempts", "next_attempt_at", "last_error")
    list_filter = ("state", "target", "event")
    list_select_related = ("target", "lead")
    raw_id_fields = ("lead",)
    search_fields = ("uuid", "lead__company", "lead__email")
    inlines = (DeliveryAttemptInline,)
    actions = ("retry_selected",)
    readonly_fields = (
        "uuid",
        "target",
        "lead",
        "event",
        "payload",
        "state",
        "attempts",
        "next_attempt_at",
        "retry_from",
        "claimed_until",
        "claim_token",
        "last_error",
        "finished_at",
        "created_at",
        "updated_at",
    )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @admin.action(description="Retry selected failed or dead jobs")
    def retry_selected(self, request: HttpRequest, queryset: QuerySet[SyncJob]) -> None:
        count = services.sync_jobs_retry(jobs=queryset, actor=request.user)
        self.message_user(request, f"{count} job(s) queued again.", messages.SUCCESS)


class LeadSyncJobInline(ReadOnlyInline):
    """The lead page's view of downstream sync (added through settings.LEADFLOW_LEAD_ADMIN_INLINES)."""

    model = SyncJob
    fields = ("target", "event", "state", "attempts", "last_error", "finished_at")
    verbose_name = "sync job"
    verbose_name_plural = "Downstream sync"


@admin.register(SyncConflict)
class SyncConflictAdmin(admin.ModelAdmin):
    """Edits in Leadflow to data a target leads: a person sends Leadflow's value after all, or keeps the target's."""

    list_display = ("lead", "target", "changed_fields", "changed_by", "state", "created_at", "resolved_by")
    list_filter = ("state", "target")
    list_select_related = ("lead", "target")
    raw_id_fields = ("lead",)
    readonly_fields = ("target", "lead", "changes", "changed_by", "state", "resolved_by", "resolved_at")
    actions = ("send_leadflow_value", "keep_target_value")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @admin.display(description="Fields (before → Leadflow now)")
    def changed_fields(self, conflict: SyncConflict) -> str:
        return "; ".join(f"{name}: {old!r} → {new!r}" for name, (old, new) in conflict.changes.items())

    @admin.action(description="Send Leadflow's value to the target after all")
    def send_leadflow_value(self, request: HttpRequest, queryset: QuerySet[SyncConflict]) -> None:
        self._resolve(request, queryset, push=True)

    @admin.action(description="Keep the target's value (Leadflow's is not sent)")
    def keep_target_value(self, request: HttpRequest, queryset: QuerySet[SyncConflict]) -> None:
        self._resolve(request, queryset, push=False)

    def _resolve(self, request: HttpRequest, queryset: QuerySet[SyncConflict], *, push: bool) -> None:
        open_conflicts = list(queryset.filter(state=SyncConflict.State.OPEN).select_related("lead", "target"))
        for conflict in open_conflicts:
            services.sync_conflict_resolve(conflict=conflict, push=push, actor=request.user)
        skipped = queryset.count() - len(open_conflicts)
        note = f" ({skipped} already resolved, left alone)" if skipped else ""
        self.message_user(request, f"{len(open_conflicts)} conflict(s) resolved{note}.", messages.SUCCESS)


class RecordCustomerAdmin(admin.ModelAdmin):
    """Which record each lead became in a system of record (a `RecordCustomer`)."""

    list_filter = ("target", "matched_existing")
    list_select_related = ("lead", "target")
    raw_id_fields = ("lead",)


class DeliveredRecordCustomerAdmin(RecordCustomerAdmin):
    """A record only deliveries write: shown, never added by hand."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False
