from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.views.decorators.http import require_POST

from leadflow.core.admin import ReadOnlyInline
from leadflow.core.exceptions import ApplicationError
from leadflow.core.plugins import load_objects
from leadflow.leads import services
from leadflow.leads.models import Lead, LeadEvent, SourceKind


class LeadEventInline(ReadOnlyInline):
    model = LeadEvent
    fields = ("created_at", "kind", "from_state", "to_state", "actor_label", "reason", "data")
    verbose_name = "audit entry"
    verbose_name_plural = "Audit trail"


@admin.register(Lead)
class LeadAdmin(admin.ModelAdmin):
    list_display = ("id", "display_name", "email", "country", "state", "source", "owner", "created_at")
    list_display_links = ("id", "display_name")
    list_filter = ("state", "source_kind", "source", "country", "created_at")
    search_fields = ("first_name", "last_name", "email", "company", "external_id")
    list_select_related = ("owner",)
    raw_id_fields = ("owner",)
    date_hierarchy = "created_at"
    list_per_page = 50
    actions = ("validate_selected", "qualify_selected")
    readonly_fields = (
        "state",
        "rejection_reason",
        "duplicate_of",
        "source_kind",
        "checked_at",
        "checks_due_at",
        "submission",
        "created_at",
        "updated_at",
    )
    fieldsets = (
        ("Workflow", {"fields": ("state", "rejection_reason", "duplicate_of", "owner", "checked_at", "checks_due_at")}),
        ("Person", {"fields": Lead.PERSON_FIELDS}),
        ("Company", {"fields": Lead.COMPANY_FIELDS}),
        ("Message", {"fields": ("message",)}),
        (
            "Source",
            {
                "classes": ("collapse",),
                "fields": (
                    "source_kind",
                    "source",
                    "external_id",
                    ("utm_source", "utm_medium", "utm_campaign"),
                    ("utm_term", "utm_content"),
                    "referrer",
                    ("consent_given", "consent_at"),
                    "consent_text",
                    "submission",
                    ("created_at", "updated_at"),
                ),
            },
        ),
    )

    def get_actions(self, request: HttpRequest) -> dict:
        """Actions of other apps, named in settings.LEADFLOW_LEAD_ADMIN_ACTIONS, join the lead list."""
        actions = super().get_actions(request)
        for action in load_objects("LEADFLOW_LEAD_ADMIN_ACTIONS"):
            func, name, description = self.get_action(action)
            needed = getattr(func, "allowed_permissions", ())
            if all(getattr(self, f"has_{permission}_permission")(request) for permission in needed):
                actions[name] = (func, name, description)
        return actions

    def get_inlines(self, request: HttpRequest, obj: Lead | None) -> list[type]:
        if obj is None:
            return []
        return [*load_objects("LEADFLOW_LEAD_ADMIN_INLINES"), LeadEventInline]

    def get_readonly_fields(self, request: HttpRequest, obj: Lead | None = None) -> tuple[str, ...]:
        if obj is None:
            return self.readonly_fields
        return (*self.readonly_fields, "source", "external_id")

    def save_model(self, request: HttpRequest, obj: Lead, form: Any, change: bool) -> None:
        """Saving goes through the services, so edits are audited and re-checked like any other."""
        data = {f: form.cleaned_data[f] for f in form.changed_data if f in Lead.EDITABLE_FIELDS}
        if not change:
            extra = {f: form.cleaned_data[f] for f in ("external_id", "source") if form.cleaned_data.get(f)}
            created = services.lead_create(
                actor=request.user, source_kind=SourceKind.ADMIN, source=extra.pop("source", "admin"), **data, **extra
            )
            obj.pk = created.pk
            obj._state.adding = False
        elif data:
            services.lead_update(lead=obj, changes=data, actor=request.user)
        if "owner" in form.changed_data:
            services.lead_assign(lead=obj, owner=form.cleaned_data["owner"], actor=request.user)

    def get_urls(self) -> list:
        transition_view = self.admin_site.admin_view(require_POST(self.transition_view))
        return [
            path("<int:lead_id>/transition/<str:name>/", transition_view, name="leads_lead_transition"),
            *super().get_urls(),
        ]

    def change_view(self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: Any = None):
        lead = self.get_object(request, object_id)
        extra_context = extra_context or {}
        if lead is not None and self.has_change_permission(request, lead):
            extra_context["transitions"] = services.lead_available_transitions(lead=lead)
        return super().change_view(request, object_id, form_url, extra_context)

    def transition_view(self, request: HttpRequest, lead_id: int, name: str) -> HttpResponse:
        lead = get_object_or_404(Lead, pk=lead_id)
        manual = services.MANUAL_TRANSITIONS.get(name)
        if not self.has_change_permission(request, lead) or manual is None:
            return HttpResponse(status=403)
        try:
            manual.service(lead=lead, actor=request.user, reason=request.POST.get("reason", ""))
        except ApplicationError as exc:
            self.message_user(request, exc.full_message, messages.ERROR)
        else:
            self.message_user(request, f"Lead {lead.pk}: {manual.done}.", messages.SUCCESS)
        return HttpResponseRedirect(reverse("admin:leads_lead_change", args=[lead.pk]))

    @admin.action(description="Validate selected leads")
    def validate_selected(self, request: HttpRequest, queryset: QuerySet[Lead]) -> None:
        self._run_bulk(request, queryset, services.lead_validate)

    @admin.action(description="Qualify selected leads")
    def qualify_selected(self, request: HttpRequest, queryset: QuerySet[Lead]) -> None:
        self._run_bulk(request, queryset, services.lead_qualify)

    def _run_bulk(self, request: HttpRequest, queryset: QuerySet[Lead], service: Any) -> None:
        done, refused = 0, []
        for lead in queryset:
            try:
                service(lead=lead, actor=request.user)
                done += 1
            except ApplicationError as exc:
                refused.append(f"{lead.pk}: {exc.full_message}")
        self.message_user(request, f"{done} lead(s) done.", messages.SUCCESS)
        if refused:
            self.message_user(request, f"{len(refused)} refused — " + " | ".join(refused[:20]), messages.WARNING)
