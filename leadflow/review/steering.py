"""Where sales managers steer, inside the workspace: assignment rules, response targets, the conversion criteria,
website forms and sync targets. Thin doors: forms check the input, each app's services save it."""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.db import models
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from leadflow.core.exceptions import ApplicationError
from leadflow.intake import services as intake_services
from leadflow.intake.builder import (
    FIELD_NAMES_LIST_ID,
    LEAD_FIELD_NAMES,
    FormFieldFormSet,
    LeadFormSettingsForm,
    submitted_fields,
)
from leadflow.intake.embeds import embed_snippets
from leadflow.intake.models import LeadForm
from leadflow.qualification import services as criteria_services
from leadflow.qualification.forms import CriteriaThresholdsForm, RuleFormSet, criteria_form_problems, submitted_rules
from leadflow.qualification.models import SETTINGS_PK, CriteriaChange, QualificationSettings
from leadflow.review import services
from leadflow.review.forms import SOURCES_LIST_ID, AssignmentRuleForm, ResponseTargetForm
from leadflow.review.models import AssignmentRule, ResponseTarget
from leadflow.review.roles import Role
from leadflow.review.selectors import known_sources
from leadflow.review.views import workspace_view
from leadflow.sync import services as sync_services
from leadflow.sync.forms import target_form_for
from leadflow.sync.models import SyncTarget
from leadflow.sync.selectors import sync_target_health
from leadflow.sync.targets import TargetError, kind_choices, target_for_kind

manager_view = workspace_view(Role.MANAGER)


@require_http_methods(["GET"])
@manager_view
def index(request: HttpRequest) -> HttpResponse:
    return render(request, "review/manage/index.html", {"sections": _sections()})


def _sections() -> list[tuple[str, str, str]]:
    return [
        (reverse("review:manage-rows", args=[kind.slug]), kind.title, kind.intro) for kind in ROW_KINDS.values()
    ] + [
        (reverse("review:manage-criteria"), "Conversion criteria", "The rules that score leads and suggest a fit."),
        (reverse("review:manage-forms"), "Website forms", "Forms to embed on your site, with copy-paste snippets."),
        (reverse("review:manage-sync"), "Sync targets", "Systems that receive customers; pause, resume, settings."),
    ]


# --- Assignment rules and response targets: a list with an add form, an edit page, delete ---------


@dataclass(frozen=True)
class RowKind:
    slug: str
    title: str
    intro: str
    model: type[models.Model]
    form_class: type[forms.ModelForm]
    columns: tuple[str, ...]
    cells: Callable[[Any], tuple[Any, ...]]


ROW_KINDS = {
    kind.slug: kind
    for kind in (
        RowKind(
            "assignment-rules",
            "Assignment rules",
            "Who receives a new lead: rules are tried by priority, lowest first; the first match wins.",
            AssignmentRule,
            AssignmentRuleForm,
            ("Priority", "Rule", "When", "Goes to", "Active"),
            lambda rule: (
                rule.priority,
                rule.name,
                _rule_conditions(rule),
                rule.owner or rule.team,
                "yes" if rule.active else "no",
            ),
        ),
        RowKind(
            "response-targets",
            "Response targets",
            f"How soon a person must respond to a new lead, per source. Other sources: "
            f"{settings.LEADFLOW_FIRST_RESPONSE_HOURS} hours.",
            ResponseTarget,
            ResponseTargetForm,
            ("Source", "First response within"),
            lambda target: (target.source, f"{target.first_response_hours} h"),
        ),
    )
}


def _rule_conditions(rule: AssignmentRule) -> str:
    parts = [
        f"country {rule.country}" if rule.country else "",
        f"source {rule.source}" if rule.source else "",
        f"language {rule.language}" if rule.language else "",
        _size_range(rule.min_company_size, rule.max_company_size),
    ]
    return ", ".join(part for part in parts if part) or "any lead"


def _size_range(low: int | None, high: int | None) -> str:
    if low is None and high is None:
        return ""
    if high is None:
        return f"{low}+ employees"
    return f"{low or 0} to {high} employees"


def _row_kind(slug: str) -> RowKind:
    if slug not in ROW_KINDS:
        raise Http404("No such settings page.")
    return ROW_KINDS[slug]


@require_http_methods(["GET", "POST"])
@manager_view
def rows(request: HttpRequest, kind: str) -> HttpResponse:
    """The list, with a form to add one."""
    row_kind = _row_kind(kind)
    form = row_kind.form_class(request.POST or None)
    if request.method == "POST" and _saved(request, form):
        return redirect("review:manage-rows", kind=kind)
    context = {
        "kind": row_kind,
        "rows": [(row, row_kind.cells(row)) for row in row_kind.model.objects.all()],
        "form": form,
        **_sources_context(),
    }
    return render(request, "review/manage/rows.html", context)


@require_http_methods(["GET", "POST"])
@manager_view
def row_edit(request: HttpRequest, kind: str, row_id: int) -> HttpResponse:
    row_kind = _row_kind(kind)
    row = get_object_or_404(row_kind.model, pk=row_id)
    form = row_kind.form_class(request.POST or None, instance=row)
    if request.method == "POST" and _saved(request, form):
        return redirect("review:manage-rows", kind=kind)
    context = {
        "kind": row_kind,
        "row": row,
        "form": form,
        "sources": known_sources(),
        "sources_list_id": SOURCES_LIST_ID,
    }
    return render(request, "review/manage/row_edit.html", context)


def _sources_context() -> dict[str, Any]:
    """The known sources, offered as suggestions (a datalist) wherever a source is typed."""
    return {"sources": known_sources(), "sources_list_id": SOURCES_LIST_ID}


def _saved(request: HttpRequest, form: forms.ModelForm) -> bool:
    if not form.is_valid():
        return False
    try:
        row = services.steering_row_save(row=form.instance, actor=request.user)
    except ApplicationError as exc:
        form.add_error(None, exc.message)
        return False
    messages.success(request, f"Saved: {row}.")
    return True


@require_POST
@manager_view
def row_delete(request: HttpRequest, kind: str, row_id: int) -> HttpResponse:
    row = get_object_or_404(_row_kind(kind).model, pk=row_id)
    services.steering_row_delete(row=row, actor=request.user)
    messages.success(request, f"Deleted: {row}.")
    return redirect("review:manage-rows", kind=kind)


# --- Conversion criteria -------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@manager_view
def criteria(request: HttpRequest) -> HttpResponse:
    """The thresholds and rules. "Test these criteria" classifies the open leads with the submitted rules and
    saves nothing; "Save" makes them the criteria in force (and re-classifies the open leads)."""
    settings_row = QualificationSettings.objects.get_or_create(pk=SETTINGS_PK)[0]
    data = request.POST or None
    form, rules = CriteriaThresholdsForm(data, instance=settings_row), RuleFormSet(data, instance=settings_row)
    context: dict[str, Any] = {
        "form": form,
        "rules": rules,
        "changes": CriteriaChange.objects.select_related("run")[:5],
    }
    if request.method == "POST" and form.is_valid() and rules.is_valid():
        criteria_input = {
            "qualify_at": form.cleaned_data["qualify_at"],
            "reject_below": form.cleaned_data["reject_below"],
            "rules": submitted_rules(rules),
        }
        try:
            if "test" in request.POST:
                proposed = criteria_services.criteria_config_build(**criteria_input)
                context["preview"] = criteria_services.criteria_preview(proposed=proposed)
            else:
                return _criteria_saved(request, criteria_input, form.cleaned_data["change_reason"])
        except ApplicationError as exc:
            form.add_error(None, exc.message)
    if request.method == "POST" and "preview" not in context:
        context["problems"] = criteria_form_problems(form, [rules])
    template = "review/manage/partials/_criteria_test.html" if request.htmx and "test" in request.POST else None
    return render(request, template or "review/manage/criteria.html", context)


def _criteria_saved(request: HttpRequest, criteria_input: dict[str, Any], reason: str) -> HttpResponse:
    change = criteria_services.criteria_save(actor=request.user, reason=reason, **criteria_input)
    if change is None:
        messages.info(request, "Nothing changed.")
    else:
        messages.success(request, f"Saved. The open leads ({change.run.total}) are being re-classified.")
    return redirect("review:manage-criteria")


# --- Website forms -------------------------------------------------------------------------------


@require_http_methods(["GET"])
@manager_view
def lead_forms(request: HttpRequest) -> HttpResponse:
    listed = LeadForm.objects.order_by("name").prefetch_related("fields")
    return render(request, "review/manage/forms.html", {"lead_forms": listed})


@require_http_methods(["GET", "POST"])
@manager_view
def lead_form_edit(request: HttpRequest, form_id: int | None = None) -> HttpResponse:
    lead_form = get_object_or_404(LeadForm, pk=form_id) if form_id else LeadForm()
    data = request.POST or None
    form, fields = LeadFormSettingsForm(data, instance=lead_form), FormFieldFormSet(data, instance=lead_form)
    if request.method == "POST" and form.is_valid() and fields.is_valid():
        kept, removed = submitted_fields(fields)
        try:
            lead_form = intake_services.lead_form_save(
                lead_form=form.instance, fields=kept, removed=removed, actor=request.user
            )
        except ApplicationError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, f"Saved the form “{lead_form.name}”.")
            return redirect("review:manage-form", form_id=lead_form.pk)
    context = {
        "lead_form": lead_form,
        "form": form,
        "fields": fields,
        "snippets": embed_snippets(lead_form) if lead_form.pk else {},
        "field_names": LEAD_FIELD_NAMES,
        "field_names_list_id": FIELD_NAMES_LIST_ID,
        **_sources_context(),
    }
    return render(request, "review/manage/form_edit.html", context)


# --- Sync targets --------------------------------------------------------------------------------


@require_http_methods(["GET"])
@manager_view
def sync_targets(request: HttpRequest) -> HttpResponse:
    return render(request, "review/manage/sync.html", {"targets": sync_target_health(), "kinds": kind_choices()})


@require_http_methods(["GET", "POST"])
@manager_view
def sync_target_edit(request: HttpRequest, target_id: int | None = None, kind: str = "") -> HttpResponse:
    """A target's name and settings. Secrets are write-only: never shown back; left empty, the stored one stays."""
    target = get_object_or_404(SyncTarget, pk=target_id) if target_id else SyncTarget(kind=kind)
    try:
        plugin = target_for_kind(target.kind)
    except TargetError:
        raise Http404("No such kind of sync target.") from None
    form = target_form_for(target.kind, switch=False)(request.POST or None, instance=target, label_suffix="")
    if request.method == "POST" and form.is_valid():
        try:
            target = sync_services.sync_target_save(target=form.instance, actor=request.user)
        except ApplicationError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, f"Saved the sync target {target.name}.")
            for name in form.generated_secrets:
                messages.warning(
                    request,
                    f"Generated {name} for {target.name}: give it to the receiver now, it is not shown again: "
                    f"{target.settings[name]}",
                )
            return redirect("review:manage-sync")
    context = {"target": target, "form": form, "kind_label": plugin.label}
    return render(request, "review/manage/sync_edit.html", context)


@require_POST
@manager_view
def sync_target_switch(request: HttpRequest, target_id: int, action: str) -> HttpResponse:
    """Pause a target (its jobs wait in the outbox) or resume it (the held jobs are sent on)."""
    target = get_object_or_404(SyncTarget, pk=target_id)
    if action == "pause":
        sync_services.sync_target_pause(target=target, actor=request.user)
        messages.success(request, f"{target.name} is paused: new deliveries wait until you resume it.")
    elif action == "resume":
        held = sync_services.sync_target_enable(target=target, actor=request.user)
        messages.success(request, f"{target.name} is running again; {held} held job(s) are on their way.")
    else:
        raise Http404("No such action.")
    return redirect(reverse("review:manage-sync") + f"#target-{target.pk}")
