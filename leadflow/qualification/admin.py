"""Admin for the conversion criteria: one page with the thresholds and the rules, a way to try changes on the
open leads before saving, and the history of changes. Saving goes through `services.criteria_save`."""

import json
from typing import Any

from django import forms
from django.apps import apps
from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.forms.formsets import all_valid
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import NoReverseMatch, path, reverse
from django.utils.html import format_html, format_html_join
from django.views.decorators.http import require_POST

from leadflow.core.exceptions import ApplicationError
from leadflow.qualification import services
from leadflow.qualification.forms import criteria_form_problems, submitted_rules
from leadflow.qualification.models import (
    SETTINGS_PK,
    CriteriaChange,
    LeadAssessment,
    QualificationRule,
    QualificationSettings,
    ReclassificationRun,
)
from leadflow.qualification.rules import CUSTOM_FIELD_PREFIX, FIELDS

FIELD_SUGGESTIONS_ID = "qualification-rule-fields"


class ReadOnlyAdminMixin:
    """Rows written only by services: shown, never added, edited or deleted here."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class LeadAssessmentInline(ReadOnlyAdminMixin, admin.StackedInline):
    model = LeadAssessment
    fields = ("verdict", "score", "hard_requirements_met", "rule_results", "assessed_at")
    readonly_fields = fields
    verbose_name_plural = "Qualification"

    @admin.display(description="Rules")
    def rule_results(self, obj: LeadAssessment) -> str:
        return format_html(
            "<ul>{}</ul>",
            format_html_join(
                "",
                "<li>{} {}{}</li>",
                (
                    (
                        "✔" if r["passed"] else "✘",
                        r["reason"],
                        " (hard requirement)" if r["hard"] else f" (+{r['weight']})" if r["passed"] else "",
                    )
                    for r in obj.results or ()  # the blank template row the admin renders has none
                ),
            ),
        )


class QualificationRuleForm(forms.ModelForm):
    class Meta:
        model = QualificationRule
        fields = ("order", "label", "field", "operator", "value", "hard", "weight", "active")
        widgets = {
            "order": forms.NumberInput(attrs={"style": "width: 4em"}),
            "field": forms.TextInput(attrs={"list": FIELD_SUGGESTIONS_ID, "size": 22}),
            "value": forms.TextInput(attrs={"size": 24}),
            "weight": forms.NumberInput(attrs={"style": "width: 5em"}),
        }


class QualificationRuleInline(admin.TabularInline):
    model = QualificationRule
    form = QualificationRuleForm
    extra = 1
    ordering = ("order", "id")
    verbose_name = "rule"
    verbose_name_plural = "Rules (checked in this order)"


class QualificationSettingsForm(forms.ModelForm):
    change_reason = forms.CharField(
        required=False, max_length=500, help_text="Why you change the criteria (kept in the history)."
    )

    class Meta:
        model = QualificationSettings
        fields = ("qualify_at", "reject_below")


@admin.register(QualificationSettings)
class QualificationSettingsAdmin(admin.ModelAdmin):
    form = QualificationSettingsForm
    inlines = (QualificationRuleInline,)
    fields = ("qualify_at", "reject_below", "change_reason")
    change_form_template = "admin/qualification/qualificationsettings/change_form.html"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def changelist_view(self, request: HttpRequest, extra_context: Any = None) -> HttpResponse:
        """There is one set of criteria: go straight to it."""
        if not self.has_view_or_change_permission(request):
            raise PermissionDenied
        QualificationSettings.objects.get_or_create(pk=SETTINGS_PK)
        return HttpResponseRedirect(reverse("admin:qualification_qualificationsettings_change", args=[SETTINGS_PK]))

    def get_urls(self) -> list:
        test_view = self.admin_site.admin_view(require_POST(self.test_criteria_view))
        return [
            path("<int:object_id>/test/", test_view, name="qualification_qualificationsettings_test"),
            *super().get_urls(),
        ]

    def change_view(self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: Any = None):
        extra_context = {**(extra_context or {}), **self._page_context()}
        try:
            return super().change_view(request, object_id, form_url, extra_context)
        except ApplicationError as exc:
            # The service refused (e.g. another admin saved meanwhile); the admin's transaction rolled back.
            self.message_user(request, exc.message, messages.ERROR)
            return HttpResponseRedirect(request.path)

    def save_model(self, request: HttpRequest, obj: QualificationSettings, form: Any, change: bool) -> None:
        """Nothing is saved here: `save_related` hands thresholds and rules together to the service."""

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        """The rules are saved by the service in `save_related`."""

    def save_related(self, request: HttpRequest, form: Any, formsets: list, change: bool) -> None:
        qualify_at, reject_below, rules = self._submitted_criteria(form, formsets)
        saved = services.criteria_save(
            actor=request.user,
            qualify_at=qualify_at,
            reject_below=reject_below,
            rules=rules,
            reason=form.cleaned_data.get("change_reason", ""),
        )
        if saved is None:
            self.message_user(request, "Nothing changed.", messages.INFO)
        else:
            self.message_user(
                request, f"Saved. The open leads ({saved.run.total}) are being re-classified.", messages.SUCCESS
            )

    def construct_change_message(self, request: HttpRequest, form: Any, formsets: list, add: bool = False) -> str:
        """The formsets were not saved here, so describe the change instead of listing saved objects."""
        return "Changed the conversion criteria; see “Criteria changes” for what changed."

    def test_criteria_view(self, request: HttpRequest, object_id: int) -> HttpResponse:
        """Classify the open leads with the submitted, unsaved criteria. Saves nothing."""
        obj = self.get_object(request, str(object_id))
        if obj is None or not self.has_change_permission(request, obj):
            raise PermissionDenied
        form, formsets = self._bound_forms(request, obj)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": "Test these criteria",
            "change_url": reverse("admin:qualification_qualificationsettings_change", args=[obj.pk]),
            "resubmitted": [
                (name, value)
                for name, values in request.POST.lists()
                if name != "csrfmiddlewaretoken"
                for value in values
            ],
        }
        if form.is_valid() and all_valid(formsets):
            qualify_at, reject_below, rules = self._submitted_criteria(form, formsets)
            try:
                proposed = services.criteria_config_build(qualify_at=qualify_at, reject_below=reject_below, rules=rules)
            except ApplicationError as exc:
                context["errors"] = [exc.message]
            else:
                context["preview"] = services.criteria_preview(proposed=proposed)
                context["proposed"] = proposed
        else:
            context["errors"] = criteria_form_problems(form, formsets)
        return TemplateResponse(request, "admin/qualification/criteria_test.html", context)

    def _bound_forms(self, request: HttpRequest, obj: QualificationSettings) -> tuple[forms.ModelForm, list]:
        form = self.get_form(request, obj, change=True)(request.POST, instance=obj)
        formsets = [
            formset_class(
                data=request.POST,
                instance=obj,
                prefix=formset_class.get_default_prefix(),
                queryset=inline.get_queryset(request),
            )
            for formset_class, inline in self.get_formsets_with_inlines(request, obj)
        ]
        return form, formsets

    @staticmethod
    def _submitted_criteria(form: Any, formsets: list) -> tuple[int, int, list[services.RuleInput]]:
        return form.cleaned_data["qualify_at"], form.cleaned_data["reject_below"], submitted_rules(formsets[0])

    def _page_context(self) -> dict[str, Any]:
        return {
            "field_suggestions_id": FIELD_SUGGESTIONS_ID,
            "field_suggestions": [*((f.name, f.label) for f in FIELDS.values()), (CUSTOM_FIELD_PREFIX, "Custom field")],
            "related_settings": related_settings_links(),
            "recent_changes": CriteriaChange.objects.select_related("run")[:5],
        }


def related_settings_links() -> list[tuple[str, str | None]]:
    """Where the other conversion settings are edited (settings.LEADFLOW_CRITERIA_RELATED_ADMIN): an app label
    links to that app's admin index, `app_label.ModelName` to the model's list. None: not installed yet."""
    links = []
    for label, target in settings.LEADFLOW_CRITERIA_RELATED_ADMIN:
        app_label, _, model_name = target.partition(".")
        try:
            if model_name:
                model = apps.get_model(app_label, model_name)
                url = reverse(f"admin:{app_label}_{model._meta.model_name}_changelist")
            else:
                url = reverse("admin:app_list", kwargs={"app_label": app_label})
        except (LookupError, NoReverseMatch):
            url = None
        links.append((label, url))
    return links


@admin.register(CriteriaChange)
class CriteriaChangeAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("changed_at", "actor_label", "summary", "reclassification")
    list_select_related = ("run",)
    fields = ("changed_at", "actor_label", "reason", "summary", "reclassification", "changes_pretty")
    readonly_fields = fields
    search_fields = ("actor_label", "summary", "reason")
    date_hierarchy = "changed_at"

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return super().has_view_permission(request, obj) or request.user.has_perm(
            "qualification.change_qualificationsettings"
        )

    @admin.display(description="Re-classification of open leads")
    def reclassification(self, obj: CriteriaChange) -> str:
        run: ReclassificationRun | None = getattr(obj, "run", None)
        if run is None:
            return "—"
        return (
            f"{run.get_status_display()}: {run.processed:,} of {run.total:,} open leads ({run.percent_done}%), "
            f"{run.qualified:,} qualified"
        )

    @admin.display(description="What changed")
    def changes_pretty(self, obj: CriteriaChange) -> str:
        return format_html("<pre>{}</pre>", json.dumps(obj.changes, indent=2, ensure_ascii=False))
