"""The sales workspace's pages. Thin doors: each loads what it may through the selectors and acts
through a service; every service error becomes a message on the page."""

from collections.abc import Callable
from functools import wraps
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from leadflow.core.exceptions import ApplicationError, NotFound, PermissionDenied
from leadflow.crm import services as crm_services
from leadflow.crm.selectors import conversion_deal_form, conversion_for, conversion_preview_context
from leadflow.intake import services as intake_services
from leadflow.intake.selectors import held_submissions
from leadflow.leads import services as lead_services
from leadflow.leads.models import Lead, LeadState
from leadflow.leads.selectors import lead_audit_trail
from leadflow.qualification.models import Verdict
from leadflow.qualification.services import lead_assess
from leadflow.quality import services as quality_services
from leadflow.quality.models import CandidateStatus
from leadflow.review import dashboard as funnel
from leadflow.review import selectors as sel
from leadflow.review import services
from leadflow.review.forms import (
    ActivityForm,
    BulkActionForm,
    LeadFieldForm,
    MergeForm,
    NoteForm,
    NotificationSettingsForm,
    QualifyForm,
    QueueFilterForm,
)
from leadflow.review.models import BulkAction, BulkJob
from leadflow.review.notifications import notifications_for as notices_for
from leadflow.review.notifications import notifications_mark_read as notices_mark_read
from leadflow.review.roles import Role, is_manager, role_of
from leadflow.sync.selectors import lead_sync_status

ROLE_LABELS = {Role.REP: "sales rep", Role.MANAGER: "sales manager", Role.ADMIN: "admin"}


def workspace_view(minimum: Role = Role.REP) -> Callable:
    """Signed-in people with at least `minimum` role. A missing role, NotFound/Http404 and PermissionDenied become
    the friendly 403/404 pages (also while DEBUG is on, so nobody sees the URL configuration)."""

    def decorate(view: Callable) -> Callable:
        @login_required
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            role = role_of(request.user)
            if role < minimum:
                return forbidden(request, needed=minimum if role > Role.NONE else None)
            try:
                return view(request, *args, **kwargs)
            except (NotFound, Http404):
                return render(request, "404.html", status=404)
            except PermissionDenied as exc:
                return forbidden(request, message=exc.message)

        return wrapper

    return decorate


def forbidden(request: HttpRequest, *, needed: Role | None = None, message: str = "") -> HttpResponse:
    context = {
        "error_title": f"This page is for {ROLE_LABELS[needed]}s" if needed else "You may not do this",
        "error_message": message,
        "needed_role": ROLE_LABELS.get(needed, ""),
        "workspace_role_label": ROLE_LABELS.get(role_of(request.user), ""),
    }
    return render(request, "403.html", context, status=403)


def _report(request: HttpRequest, exc: ApplicationError) -> None:
    messages.error(request, exc.full_message)


def _back_to_lead(lead_id: int, anchor: str = "") -> HttpResponse:
    return redirect(reverse("review:lead", args=[lead_id]) + anchor)


# --- Queue ---------------------------------------------------------------------------------------


@require_GET
@workspace_view()
def queue(request: HttpRequest) -> HttpResponse:
    form = QueueFilterForm.for_query(request.GET)
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
        "query": _query_without(form.data, "page", "selected"),
        "state_query": _query_without(form.data, "page", "selected", "state"),
        "is_manager": manager,
        "bulk_actions": BulkAction.choices if manager else [],
        "owners": sel.assignable_users() if manager else [],
        "sources": sel.queue_sources(),
        "selected": {int(i) for i in request.GET.get("selected", "").split(",") if i.isdigit()},
        "saved_views": request.user.saved_views.all(),
    }
    template = "review/partials/_queue_results.html" if request.htmx else "review/queue.html"
    return render(request, template, context)


def _query_without(data: QueryDict, *names: str) -> str:
    query = data.copy()
    for name in names:
        query.pop(name, None)
    return query.urlencode()


@require_POST
@workspace_view()
def saved_view_add(request: HttpRequest) -> HttpResponse:
    query = request.POST.get("query", "")
    try:
        services.saved_view_save(user=request.user, name=request.POST.get("name", ""), query=query)
    except ApplicationError as exc:
        _report(request, exc)
    else:
        messages.success(request, "View saved.")
    return redirect(reverse("review:queue") + "?" + query)


@require_POST
@workspace_view()
def saved_view_delete(request: HttpRequest, view_id: int) -> HttpResponse:
    get_object_or_404(request.user.saved_views, pk=view_id).delete()
    return redirect("review:queue")


# --- Lead page -----------------------------------------------------------------------------------


@require_GET
@workspace_view()
def lead_detail(request: HttpRequest, lead_id: int) -> HttpResponse:
    lead = sel.get_lead_for_user(request.user, lead_id)
    duplicates = sel.lead_duplicate_comparisons(lead, request.user)
    assessment = lead_assess(lead=lead)
    context = {
        "lead": lead,
        "field_rows": sel.lead_field_rows(lead),
        "findings": sel.lead_findings(lead),
        "comparisons": duplicates.comparisons,
        "out_of_reach_candidates": duplicates.out_of_reach,
        "remote_candidates": duplicates.remote,
        "existing_customers": sel.lead_existing_customers(lead, request.user),
        "assessment": assessment,
        "verdict": Verdict(assessment.verdict).label,
        **conversion_preview_context(lead=lead),
        "transitions": lead_services.lead_available_transitions(lead=lead),
        "events": lead_audit_trail(lead=lead),
        "sync_jobs": lead_sync_status(lead=lead),
        "notes": lead.notes.select_related("author"),
        "note_form": NoteForm(),
        "activity_form": ActivityForm(prefix="activity"),
        "activities": lead.activities.select_related("author")[:20],
        "qualify_form": QualifyForm(initial=_plan_initial(lead)),
        "is_manager": is_manager(request.user),
        "owners": sel.assignable_users() if is_manager(request.user) else [],
    }
    return render(request, "review/lead.html", context)


def _plan_initial(lead: Any) -> dict[str, Any]:
    plan = getattr(lead, "plan", None)
    return {f: getattr(plan, f) for f in ("need", "budget_timing", "next_step", "next_step_on")} if plan else {}


@require_http_methods(["GET", "POST"])
@workspace_view()
def lead_field(request: HttpRequest, lead_id: int, field: str) -> HttpResponse:
    """Inline editor for one field: GET shows it (or its form with ?edit=1); POST saves through `lead_edit`."""
    lead = sel.get_lead_for_user(request.user, lead_id)
    if field not in Lead.EDITABLE_FIELDS:
        raise Http404("No such field.")
    row = next(r for r in sel.lead_field_rows(lead) if r.name == field)
    context = {"lead": lead, "row": row}
    if request.method == "GET" and not request.GET.get("edit"):
        return render(request, "review/partials/_field.html", context)
    form = LeadFieldForm(request.POST or None, instance=lead, field_name=field)
    if request.method == "POST" and form.is_valid():
        try:
            lead = services.lead_edit(lead=lead, changes={field: form.cleaned_data[field]}, actor=request.user)
        except ApplicationError as exc:
            for message in exc.extra.get("errors", {}).get(field, [exc.message]):
                form.add_error(field, message)
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
    manual = lead_services.MANUAL_TRANSITIONS.get(name)
    if manual is None:
        raise Http404("No such transition.")
    try:
        if name == "qualify":
            _qualify(request, lead)
        else:
            manual.service(lead=lead, actor=request.user, reason=request.POST.get("reason", ""))
    except ApplicationError as exc:
        _report(request, exc)
        return _back_to_lead(lead.pk)
    messages.success(request, f"{lead.display_name}: {manual.done}.")
    if name in ("qualify", "reject"):
        return _to_next_lead(request, lead)
    return _back_to_lead(lead.pk)


def _qualify(request: HttpRequest, lead: Any) -> None:
    form = QualifyForm(request.POST)
    if not form.is_valid():
        raise ApplicationError("The lead was not qualified. " + _form_problems(form))
    services.lead_qualify_by_person(lead=lead, actor=request.user, **form.cleaned_data)


def _form_problems(form: Any) -> str:
    """A form's errors as one sentence per field, named as the person saw it."""
    return " ".join(
        f"{form.fields[name].label + ': ' if name in form.fields else ''}{' '.join(errors)}"
        for name, errors in form.errors.items()
    )


def _to_next_lead(request: HttpRequest, lead: Any) -> HttpResponse:
    """After a decision, the next lead of the queue the person came from (the page sends its id), if any."""
    next_id = request.POST.get("next_lead", "")
    if next_id.isdigit() and int(next_id) != lead.pk:
        try:
            return _back_to_lead(sel.get_lead_for_user(request.user, int(next_id)).pk)
        except NotFound:
            pass
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
        messages.success(request, f"Lead {lead.pk}: conversion to {crm_services.lead_crm(lead=lead).label} queued.")
    return _back_to_lead(lead.pk, "#salesforce")


@require_GET
@workspace_view()
def lead_conversion(request: HttpRequest, lead_id: int) -> HttpResponse:
    """The CRM box, polled by htmx while the conversion runs; once it has finished the whole page
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


@require_POST
@workspace_view()
def lead_activity(request: HttpRequest, lead_id: int) -> HttpResponse:
    lead = sel.get_lead_for_user(request.user, lead_id)
    form = ActivityForm(request.POST, prefix="activity")
    if form.is_valid():
        activity = services.activity_log(lead=lead, author=request.user, **form.cleaned_data)
        messages.success(request, f"{activity.get_kind_display()} logged.")
    else:
        messages.error(request, "The activity was not logged. " + _form_problems(form))
    return _back_to_lead(lead.pk, "#activity")


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
    comparisons = sel.lead_duplicate_comparisons(lead, request.user).comparisons
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
        return _back_to_selection(request)
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
        return _back_to_selection(request)
    return redirect("review:bulk-job", job_id=job.pk)


def _back_to_selection(request: HttpRequest) -> HttpResponse:
    """Back to the queue the manager came from, with the same leads still ticked."""
    target = request.POST.get("next", "")
    allowed = url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    if not allowed or not target.startswith("/"):
        target = reverse("review:queue")
    selected = ",".join(i for i in request.POST.getlist("lead_ids") if i.isdigit())
    if selected:
        target += ("&" if "?" in target else "?") + urlencode({"selected": selected})
    return redirect(target)


@require_GET
@workspace_view(Role.MANAGER)
def bulk_job(request: HttpRequest, job_id: int) -> HttpResponse:
    job = get_object_or_404(sel.bulk_jobs_for(request.user), pk=job_id)
    template = "review/partials/_bulk_progress.html" if request.htmx else "review/bulk_job.html"
    context = {"job": job, "running": job.status != BulkJob.Status.DONE, "refusals": sel.bulk_job_refusals(job)}
    return render(request, template, context)


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


@require_http_methods(["GET", "POST"])
@workspace_view()
def notifications(request: HttpRequest) -> HttpResponse:
    """The bell's page: the latest notices (opening it marks them read) and which ones the person wants."""
    profile = services.sales_profile_for(request.user)
    form = NotificationSettingsForm(request.POST or None, instance=profile)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, "Notification settings saved.")
        return redirect("review:notifications")
    notices = notices_for(request.user)
    notices_mark_read(user=request.user)
    return render(request, "review/notifications.html", {"notices": notices, "form": form})


@require_GET
@workspace_view(Role.MANAGER)
def held(request: HttpRequest) -> HttpResponse:
    page = Paginator(held_submissions().order_by("-created_at"), settings.LEADFLOW_QUEUE_PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(request, "review/held.html", {"page": page})


@require_POST
@workspace_view(Role.MANAGER)
def held_decide(request: HttpRequest, submission_id: int, decision: str) -> HttpResponse:
    """Release a held submission as a lead, or discard it."""
    submission = get_object_or_404(held_submissions(), pk=submission_id)
    if decision == "release":
        submission = intake_services.submission_accept_as_lead(submission=submission, actor=request.user)
        messages.success(request, f"Released as a lead: {submission.lead.display_name}.")
    elif decision == "discard":
        intake_services.submission_discard(submission=submission)
        messages.success(request, "Discarded the held submission.")
    else:
        raise Http404("No such decision.")
    return redirect("review:held")
