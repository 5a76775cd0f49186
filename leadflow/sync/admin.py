from typing import Any

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from leadflow.core.admin import ReadOnlyInline
from leadflow.sync import services
from leadflow.sync.models import DeliveryAttempt, SyncJob, SyncTarget
from leadflow.sync.targets import clean_settings, target_for_kind

SETTINGS_PREFIX = "settings_"


class SyncTargetForm(forms.ModelForm):
    """Name and switch of a target plus its kind's settings form, flattened into `settings_<name>` fields."""

    kind: str

    class Meta:
        model = SyncTarget
        fields = ("name", "enabled")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        plugin = target_for_kind(self.kind)
        stored = self.instance.settings if self.instance.pk else {}
        for name in plugin.settings_form.base_fields:
            if name in plugin.secret_fields:
                if stored.get(name):
                    self.fields[SETTINGS_PREFIX + name].help_text = "Stored and hidden; leave empty to keep it."
            elif name in stored:
                self.initial[SETTINGS_PREFIX + name] = stored[name]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        plugin = target_for_kind(self.kind)
        stored = self.instance.settings if self.instance.pk else {}
        values = {name: cleaned.get(SETTINGS_PREFIX + name) for name in plugin.settings_form.base_fields}
        for name in plugin.secret_fields:
            values[name] = values[name] or stored.get(name, "")
        # Secrets the settings form will generate: shown once after saving, since the page never shows them back.
        self.generated_secrets = [name for name in plugin.secret_fields if not values[name]]
        try:
            self.instance.settings = clean_settings(self.kind, values)
        except forms.ValidationError as error:
            raise forms.ValidationError(error.messages) from error
        self.instance.kind = self.kind
        return cleaned


def target_form_for(kind: str) -> type[SyncTargetForm]:
    plugin = target_for_kind(kind)
    fields: dict[str, Any] = {}
    for name, field in plugin.settings_form.base_fields.items():
        if name in plugin.secret_fields:
            field = forms.CharField(
                required=False, widget=forms.PasswordInput(render_value=False), help_text=field.help_text
            )
        fields[SETTINGS_PREFIX + name] = field
    return type(f"{kind.title()}TargetForm", (SyncTargetForm,), {"kind": kind, **fields})


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
        return wanted if wanted in settings.SYNC_TARGET_KINDS else next(iter(settings.SYNC_TARGET_KINDS))

    def get_form(self, request: HttpRequest, obj: SyncTarget | None = None, change: bool = False, **kwargs: Any):
        kwargs["form"] = target_form_for(self._kind(request, obj))
        kwargs["fields"] = None
        return super().get_form(request, obj, change, **kwargs)

    def get_fieldsets(self, request: HttpRequest, obj: SyncTarget | None = None):
        kind = self._kind(request, obj)
        settings_fields = [SETTINGS_PREFIX + name for name in target_for_kind(kind).settings_form.base_fields]
        extra = ("connection",) if obj is not None and target_for_kind(kind).admin_status(target=obj) else ()
        other_kinds = " or ".join(f"?kind={name}" for name in settings.SYNC_TARGET_KINDS)
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
