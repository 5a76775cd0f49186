"""The sales workspace's pages. Thin doors: each loads what it may through the selectors and acts
through a service; every service error becomes a message on the page."""

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseForbidden
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from leadflow.core.exceptions import ApplicationError, NotFound, PermissionDenied
from leadflow.crm import services as crm_services
from leadflow.crm.selectors import conversion_deal_form, conversion_for, conversion_preview_context
from leadflow.leads import services as lead_services
from leadflow.leads.models import LeadState
from leadflow.leads.selectors import lead_audit_trail
from leadflow.qualification.models import Verdict
from leadflow.qualification.services import lead_assess
from leadflow.quality import services as quality_services
from leadflow.quality.models import CandidateStatus
from leadflow.review import dashboard as funnel
from leadflow.review import selectors as sel
from leadflow.review import services
from leadflow.review.forms import BulkActionForm, LeadFieldForm, MergeForm, NoteForm, QueueFilterForm
from leadflow.review.models import BulkAction, BulkJob
from leadflow.review.roles import Role, is_manager, role_of
from leadflow.sync.selectors import lead_sync_status

MANUAL_TRANSITIONS = {
    "validate": lead_services.lead_validate,
    "qualify": lead_services.lead_qualify,
    "reject": lead_services.lead_reject,
    "reopen": lead_services.lead_reopen,
}


def workspace_view(minimum: Role = Role.REP) -> Callable:
    """Signed-in people with at least `minimum` role; NotFound becomes a 404, PermissionDenied a 403."""

    def decorate(view: Callable) -> Callable:
        @login_required
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if role_of(request.user) < minimum:
                return render(request, "review/forbidden.html", status=403)
            try:
                return view(request, *args, **kwargs)
            except NotFound as exc:
                raise Http404(exc.message) from exc
            except PermissionDenied as exc:
                return HttpResponseForbidden(exc.message)

        return wrapper

    return decorate


def _report(request: HttpRequest, exc: ApplicationError) -> None:
    messages.error(request, " ".join([exc.message, *exc.extra.get("reasons", [])]))


def _back_to_lead(lead_id: int, anchor: str = "") -> HttpResponse:
    return redirect(reverse("review:lead", args=[lead_id]) + anchor)


# --- Queue ---------------------------------------------------------------------------------------


@require_GET
@workspace_view()
def queue(request: HttpRequest) -> HttpResponse:
    form = QueueFilterForm(request.GET)
    filters = form.filters()
    page = sel.lead_queue_page(
        request.user, filters, page_number=request.GET.get("page"), per_page=settings.LEADFLOW_QUEUE_PAGE_SIZE
    )
    targets, now = sel.response_targets(), timezone.now()
    rows = [(lead, sel.response_flags(lead, targets=targets, now=now)) for lead in page]
    manager = is_manager(request.user)
    context = {
        "form": form,
        "filters": filters,
        "page": page,
        "rows": rows,
        "state_counts": sel.queue_state_counts(request.user, filters),
        "states": LeadState.choices,
        "query": _query_without(request, "page"),
        "state_query": _query_without(request, "page", "state"),
        "is_manager": manager,
        "bulk_actions": BulkAction.choices if manager else [],
        "owners": sel.assignable_users() if manager else [],
        "sources": sel.queue_sources(),
    }
    template = "review/partials/_queue_results.html" if request.htmx else "review/queue.html"
    return render(request, template, context)


def _query_without(request: HttpRequest, *names: str) -> str:
    query = request.GET.copy()
    for name in names:
        query.pop(name, None)
    return query.urlencode()


# --- Lead page -----------------------------------------------------------------------------------


@require_GET
@workspace_view()
def lead_detail(request: HttpRequest, lead_id: int) -> HttpResponse:
    lead = sel.get_lead_for_user(request.user, lead_id)
    comparisons, remote_candidates = sel.lead_duplicate_comparisons(lead)
    assessment = lead_assess(lead=lead)
    context = {
        "lead": lead,
        "field_rows": sel.lead_field_rows(lead),
        "findings": sel.lead_findings(lead),
        "comparisons": comparisons,
        "remote_candidates": remote_candidates,
        "existing_customers": sel.lead_existing_customers(lead),
        "assessment": assessment,
        "verdict": Verdict(assessment.verdict).label,
        **conversion_preview_context(lead=lead),
        "transitions": [
            (name, reasons)
            for name, reasons in lead_services.lead_available_transitions(lead=lead)
            if name in MANUAL_TRANSITIONS
        ],
        "events": lead_audit_trail(lead=lead),
        "sync_jobs": lead_sync_status(lead=lead),
        "notes": lead.notes.select_related("author"),
        "note_form": NoteForm(),
        "is_manager": is_manager(request.user),
        "owners": sel.assignable_users() if is_manager(request.user) else [],
    }
    return render(request, "review/lead.html", context)


@require_http_methods(["GET", "POST"])
@workspace_view()
def lead_field(request: HttpRequest, lead_id: int, field: str) -> HttpResponse:
    """Inline editor for one field: GET shows it (or its form with ?edit=1); POST saves through `lead_update`."""
    lead = sel.get_lead_for_user(request.user, lead_id)
    if field not in lead_services.EDITABLE_FIELDS:
        raise Http404("No such field.")
    row = next(r for r in sel.lead_field_rows(lead) if r.name == field)
    context = {"lead": lead, "row": row}
    if request.method == "GET" and not request.GET.get("edit"):
        return render(request, "review/partials/_field.html", context)
    form = LeadFieldForm(request.POST or None, instance=lead, field_name=field)
    if request.method == "POST" and form.is_valid():
        try:
            lead = lead_services.lead_update(lead=lead, changes={field: form.cleaned_data[field]}, actor=request.user)
        except ApplicationError as exc:
            form.add_error(None, exc.message)
        else:
            row = next(r for r in sel.lead_field_rows(lead) if r.name == field)
            return render(request, "review/partials/_field.html", {"lead": lead, "row": row, "saved": True})
    return render(request, "review/partials/_field_form.html", {**context, "form": form})


@require_POST
@workspace_view()
def lead_transition(request: HttpRequest, lead_id: int, name: str) -> HttpResponse:
    lead = sel.get_lead_for_user(request.user, lead_id)
    if name == "convert":
        return _convert(request, lead)
    try:
        if name in MANUAL_TRANSITIONS:
            MANUAL_TRANSITIONS[name](lead=lead, actor=request.user, reason=request.POST.get("reason", ""))
        else:
            raise Http404("No such transition.")
    except ApplicationError as exc:
        _report(request, exc)
    else:
        messages.success(request, f"Lead {lead.pk}: {name} done.")
    return _back_to_lead(lead.pk)


def _convert(request: HttpRequest, lead: Any) -> HttpResponse:
    """Queue the conversion with the deal the person set in the dialog."""
    form = conversion_deal_form(lead=lead, data=request.POST)
    if not form.is_valid():
        errors = " ".join(error for errors in form.errors.values() for error in errors)
        messages.error(request, f"Not converted: {errors}")
        return _back_to_lead(lead.pk)
    try:
        crm_services.lead_convert_request(lead=lead, actor=request.user, deal=form.deal())
    except ApplicationError as exc:
        _report(request, exc)
    else:
        messages.success(request, f"Lead {lead.pk}: conversion to Salesforce queued.")
    return _back_to_lead(lead.pk, "#salesforce")


@require_GET
@workspace_view()
def lead_conversion(request: HttpRequest, lead_id: int) -> HttpResponse:
    """The Salesforce box, polled by htmx while the conversion runs; once it has finished the whole page
    reloads, so badge, actions and timeline show the outcome together."""
    lead = sel.get_lead_for_user(request.user, lead_id)
    conversion = conversion_for(lead=lead)
    response = render(request, "review/partials/_conversion_state.html", {"lead": lead, "conversion": conversion})
    if request.htmx and not (conversion and conversion.is_pending):
        response["HX-Refresh"] = "true"
    return response


@require_POST
@workspace_view()
def lead_assign(request: HttpRequest, lead_id: int) -> HttpResponse:
    lead = sel.get_lead_for_user(request.user, lead_id)
    owner_id = request.POST.get("owner", "")
    if owner_id == "me":
        owner = request.user
    elif owner_id:
        owner = get_object_or_404(sel.assignable_users(), pk=owner_id if owner_id.isdigit() else 0)
    else:
        owner = None
    services.lead_assign_by(lead=lead, owner=owner, actor=request.user)
    messages.success(request, f"Lead {lead.pk} is now {'owned by ' + str(owner) if owner else 'unassigned'}.")
    return _back_to_lead(lead.pk)


@require_POST
@workspace_view()
def lead_note(request: HttpRequest, lead_id: int) -> HttpResponse:
    lead = sel.get_lead_for_user(request.user, lead_id)
    form = NoteForm(request.POST)
    if form.is_valid():
        try:
            services.note_add(lead=lead, author=request.user, body=form.cleaned_data["body"])
        except ApplicationError as exc:
            form.add_error("body", exc.message)
        else:
            form = NoteForm()
    if not request.htmx:
        if form.errors:
            messages.error(request, "The note was not saved: " + " ".join(form.errors.get("body", [])))
        return _back_to_lead(lead.pk, "#notes")
    context = {"lead": lead, "note_form": form, "notes": lead.notes.select_related("author")}
    return render(request, "review/partials/_notes.html", context)


# --- Duplicates ----------------------------------------------------------------------------------


def _open_candidate(lead: Any, candidate_id: int) -> Any:
    return get_object_or_404(
        lead.duplicate_candidates.select_related("other_lead"), pk=candidate_id, status=CandidateStatus.OPEN
    )


@require_POST
@workspace_view()
def candidate_dismiss(request: HttpRequest, lead_id: int, candidate_id: int) -> HttpResponse:
    return _resolve_candidate(
        request, lead_id, candidate_id, quality_services.candidate_dismiss, "Marked as not a duplicate of {target}."
    )


@require_POST
@workspace_view()
def candidate_existing_customer(request: HttpRequest, lead_id: int, candidate_id: int) -> HttpResponse:
    return _resolve_candidate(
        request,
        lead_id,
        candidate_id,
        quality_services.candidate_confirm_existing_customer,
        "New enquiry from an existing customer ({target}).",
    )


def _resolve_candidate(
    request: HttpRequest, lead_id: int, candidate_id: int, service: Callable, done: str
) -> HttpResponse:
    lead = sel.get_lead_for_user(request.user, lead_id)
    candidate = _open_candidate(lead, candidate_id)
    try:
        service(candidate=candidate, actor=request.user)
    except ApplicationError as exc:
        _report(request, exc)
    else:
        messages.success(request, done.format(target=candidate.target_label))
    return _back_to_lead(lead.pk, "#duplicates")


@require_POST
@workspace_view()
def lead_merge(request: HttpRequest, lead_id: int, candidate_id: int) -> HttpResponse:
    """Merge this lead and a candidate lead; the person picks the surviving record and each differing value."""
    lead = sel.get_lead_for_user(request.user, lead_id)
    candidate = _open_candidate(lead, candidate_id)
    other = candidate.other_lead
    if other is None:
        raise Http404("These records cannot be merged here.")
    other = sel.get_lead_for_user(request.user, other.pk)
    comparisons, _ = sel.lead_duplicate_comparisons(lead)
    comparison = next((c for c in comparisons if c.candidate.pk == candidate.pk), None)
    if comparison is None:
        raise Http404("This candidate is an existing customer: it is not merged.")
    form = MergeForm(request.POST, fields=[row[0] for row in comparison.differing])
    if not form.is_valid():
        messages.error(request, "Choose the surviving record and a value for every differing field.")
        return _back_to_lead(lead.pk, "#duplicates")
    survivor, loser = (lead, other) if form.cleaned_data["survivor"] == "this" else (other, lead)
    # Each field names the record whose value the survivor keeps.
    by_choice = {"this": lead, "other": other}
    field_choices = {
        name: "survivor" if by_choice[source].pk == survivor.pk else "loser"
        for name, source in form.field_sources().items()
    }
    try:
        quality_services.lead_merge(survivor=survivor, loser=loser, field_choices=field_choices, actor=request.user)
    except ApplicationError as exc:
        _report(request, exc)
        return _back_to_lead(lead.pk, "#duplicates")
    messages.success(request, f"Merged lead {loser.pk} into lead {survivor.pk}.")
    return _back_to_lead(survivor.pk)


# --- Bulk actions, SLA, dashboard ----------------------------------------------------------------


@require_POST
@workspace_view(Role.MANAGER)
def bulk_start(request: HttpRequest) -> HttpResponse:
    form = BulkActionForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Select leads and an action. " + " ".join(e for es in form.errors.values() for e in es))
        return redirect(request.POST.get("next") or "review:queue")
    params = {"owner_id": form.cleaned_data["owner_id"], "reason": form.cleaned_data["reason"]}
    try:
        job = services.bulk_job_start(
            action=form.cleaned_data["action"],
            lead_ids=form.cleaned_data["lead_ids"],
            actor=request.user,
            params={k: v for k, v in params.items() if v},
        )
    except ApplicationError as exc:
        _report(request, exc)
        return redirect(request.POST.get("next") or "review:queue")
    return redirect("review:bulk-job", job_id=job.pk)


@require_GET
@workspace_view(Role.MANAGER)
def bulk_job(request: HttpRequest, job_id: int) -> HttpResponse:
    job = get_object_or_404(sel.bulk_jobs_for(request.user), pk=job_id)
    template = "review/partials/_bulk_progress.html" if request.htmx else "review/bulk_job.html"
    return render(request, template, {"job": job, "running": job.status != BulkJob.Status.DONE})


@require_GET
@workspace_view(Role.MANAGER)
def sla(request: HttpRequest) -> HttpResponse:
    page = Paginator(sel.overdue_leads(request.user), settings.LEADFLOW_QUEUE_PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    targets = sel.response_targets()
    context = {
        "page": page,
        "targets": targets,
        "default_hours": settings.LEADFLOW_FIRST_RESPONSE_HOURS,
        "now": timezone.now(),
    }
    return render(request, "review/sla.html", context)


@require_GET
@workspace_view(Role.MANAGER)
def dashboard(request: HttpRequest) -> HttpResponse:
    days = request.GET.get("days", "90")
    days = int(days) if days.isdigit() and 7 <= int(days) <= 730 else 90
    report = funnel.funnel_report(days=days)
    context = {"funnel": report, "days": days, "chart_data": report.chart_data(), "weekly_rows": report.weekly_rows()}
    return render(request, "review/dashboard.html", context)
