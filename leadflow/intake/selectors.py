"""Reads for intake: forms by key, and leads as an API token may see them (with what the pipeline found)."""

from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ObjectDoesNotExist
from django.db.models import Prefetch, Q, QuerySet

from leadflow.core.cache import cache_attempt
from leadflow.intake.models import ApiToken, LeadForm, Submission, SubmissionStatus
from leadflow.leads.models import Lead


def form_get_active(*, key: str) -> LeadForm | None:
    """The form with its fields, from the cache when recently read: every submission needs it, and a form
    changes rarely (saving it in the admin clears the entry; see `form_cache_forget`). Without a reachable
    cache it is read from the database."""
    cache_key = form_cache_key(key)
    form = cache_attempt("form definition", lambda: cache.get(cache_key), lambda: None)
    if form is None:
        form = LeadForm.objects.filter(key=key, is_active=True).prefetch_related("fields").first()
        if form is not None:
            timeout = settings.LEADFLOW_FORM_CACHE_SECONDS
            cache_attempt("form definition", lambda: cache.set(cache_key, form, timeout), lambda: None)
    return form


def auto_qualifying_sources() -> frozenset[str]:
    """Sources whose leads qualify without a person: those of active forms and API clients explicitly set to
    auto-qualify. Leads of every other source wait for a person's decision."""
    forms = LeadForm.objects.filter(is_active=True, auto_qualify=True).values_list("source", flat=True)
    tokens = ApiToken.objects.filter(is_active=True, auto_qualify=True).values_list("source", flat=True)
    return frozenset([*forms, *tokens])


def held_submissions() -> QuerySet[Submission]:
    """Submissions held as suspected spam (too fast, honeypot, …) that nobody has released or discarded."""
    return Submission.objects.filter(status=SubmissionStatus.SPAM, lead__isnull=True).select_related("form")


def form_cache_key(key: str) -> str:
    return f"intake:form:{key}"


def import_checks_progress(*, source: str, imported: int) -> dict[str, int]:
    """How far the worker has got with validating and matching an import's leads. Pending leads are counted
    through the index on `checks_due_at`, which only pending leads have, so it stays cheap at any size."""
    pending = min(Lead.objects.filter(checks_due_at__isnull=False, source=source).count(), imported)
    done = imported - pending
    return {"done": done, "total": imported, "pending": pending, "percent": int(100 * done / max(imported, 1))}


def form_origin_allowed(*, form: LeadForm, origin: str) -> bool:
    return origin.rstrip("/") in form.origins


def leads_for_token(*, token: ApiToken, filters: dict[str, Any] | None = None) -> QuerySet[Lead]:
    """The token's own source's leads, with findings and candidates prefetched (no N+1 in lists)."""
    # A candidate that is a lead of another source is not this token's to know about, not even that it exists.
    candidates = Lead._meta.get_field("duplicate_candidates").related_model.objects.filter(
        Q(other_lead__isnull=True) | Q(other_lead__source=token.source)
    )
    queryset = Lead.objects.filter(source=token.source).prefetch_related(
        "findings", Prefetch("duplicate_candidates", queryset=candidates)
    )
    return queryset.select_related("conversion").filter(**(filters or {}))


def lead_mark_fresh(lead: Lead) -> None:
    """A lead created in this request has no findings, candidates or conversion yet: record that on the instance,
    so that its reply (LeadDetailSerializer) costs no SELECTs."""
    lead._prefetched_objects_cache = {
        "findings": lead.findings.none(),
        "duplicate_candidates": lead.duplicate_candidates.none(),
    }
    Lead._meta.get_field("conversion").set_cached_value(lead, None)


def lead_salesforce_ids(lead: Lead) -> dict[str, str]:
    """The Salesforce ids of the lead's conversion (none before one was requested)."""
    try:
        return lead.conversion.salesforce_ids()
    except ObjectDoesNotExist:
        return {}
