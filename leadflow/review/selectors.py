"""Reads for the sales workspace. Every lead a person sees comes through `visible_leads`, so a rep can
never reach another rep's lead by guessing a URL or an id."""

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.base_user import AbstractBaseUser
from django.core.paginator import Page, Paginator
from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from leadflow.core.exceptions import NotFound
from leadflow.integrations.salesforce.client import record_link
from leadflow.leads.models import OPEN_STATES, Lead, LeadEvent, LeadState
from leadflow.leads.services import EDITABLE_FIELDS
from leadflow.quality.models import CandidateStatus, DuplicateCandidate, LeadFinding, Severity
from leadflow.review.models import BulkJob, ResponseTarget
from leadflow.review.roles import Role, role_of

SEARCHED_FIELDS = ("first_name", "last_name", "email", "company")

SORTS = {
    "newest": ("-created_at", "-id"),
    "oldest": ("created_at", "id"),
    "name": ("last_name", "first_name", "id"),
    "company": ("company", "id"),
    "state": ("state", "-created_at", "-id"),
    "owner": ("owner__username", "-created_at", "-id"),
    "score": (F("assessment__score").desc(nulls_last=True), "-created_at", "-id"),
}


@dataclass(frozen=True)
class QueueFilters:
    """What the queue shows. `owner` is a user id, "me" or "none"; empty values mean "any"."""

    search: str = ""
    state: str = ""
    source: str = ""
    owner: str = ""
    country: str = ""
    created_from: date | None = None
    created_to: date | None = None
    has_duplicates: bool = False
    has_findings: bool = False
    min_score: int | None = None
    overdue: bool = False
    stale: bool = False
    sort: str = "newest"

    def without_state(self) -> "QueueFilters":
        return QueueFilters(**{**self.__dict__, "state": ""})


def visible_leads(user: AbstractBaseUser) -> QuerySet[Lead]:
    """Managers and admins see every lead; a rep sees leads assigned to them and unassigned ones."""
    role = role_of(user)
    if role >= Role.MANAGER:
        return Lead.objects.all()
    if role == Role.REP:
        return Lead.objects.filter(Q(owner=user) | Q(owner__isnull=True))
    return Lead.objects.none()


def get_lead_for_user(user: AbstractBaseUser, lead_id: int) -> Lead:
    """The one way views load a lead: raises NotFound (a 404, never a 403) for leads the user may not see."""
    lead = visible_leads(user).select_related("owner", "duplicate_of").filter(pk=lead_id).first()
    if lead is None:
        raise NotFound(f"Lead {lead_id} does not exist or is not yours to work on.")
    return lead


def _human_events() -> QuerySet[LeadEvent]:
    """A "human" event is one with a user as actor: the system, API clients and imports are not a response."""
    return LeadEvent.objects.filter(lead=OuterRef("pk"), actor__isnull=False)


def stale_cutoff() -> datetime:
    return timezone.now() - timedelta(days=settings.LEADFLOW_STALE_AFTER_DAYS)


def overdue_condition(now: datetime, targets: dict[str, int]) -> Q:
    """Open leads nobody has responded to within their source's first-response hours."""
    default_hours = settings.LEADFLOW_FIRST_RESPONSE_HOURS
    late = Q(created_at__lt=now - timedelta(hours=default_hours)) & ~Q(source__in=list(targets))
    for source, hours in targets.items():
        late |= Q(source=source, created_at__lt=now - timedelta(hours=hours))
    return late & Q(state__in=OPEN_STATES) & ~Exists(_human_events())


def stale_condition(cutoff: datetime) -> Q:
    """Open leads older than the cutoff that no person has touched since it."""
    touched_recently = _human_events().filter(created_at__gte=cutoff)
    return Q(state__in=OPEN_STATES, created_at__lt=cutoff) & ~Exists(touched_recently)


def response_targets() -> dict[str, int]:
    return dict(ResponseTarget.objects.values_list("source", "first_response_hours"))


def _filtered(user: AbstractBaseUser, filters: QueueFilters, targets: dict[str, int]) -> QuerySet[Lead]:
    leads = visible_leads(user)
    for term in filters.search.split():
        leads = leads.filter(_search_condition(term))
    if filters.state:
        leads = leads.filter(state=filters.state)
    if filters.source:
        leads = leads.filter(source=filters.source)
    if filters.owner == "me":
        leads = leads.filter(owner=user)
    elif filters.owner == "none":
        leads = leads.filter(owner__isnull=True)
    elif filters.owner:
        leads = leads.filter(owner_id=filters.owner)
    if filters.country:
        leads = leads.filter(country__iexact=filters.country)
    if filters.created_from:
        leads = leads.filter(created_at__date__gte=filters.created_from)
    if filters.created_to:
        leads = leads.filter(created_at__date__lte=filters.created_to)
    if filters.has_duplicates:
        leads = leads.filter(Exists(_open_candidates()))
    if filters.has_findings:
        leads = leads.filter(Exists(_problem_findings()))
    if filters.min_score is not None:
        # The criteria app stores each lead's latest score; unassessed leads have none and drop out.
        leads = leads.filter(assessment__score__gte=filters.min_score)
    if filters.overdue:
        leads = leads.filter(overdue_condition(timezone.now(), targets))
    if filters.stale:
        leads = leads.filter(stale_condition(stale_cutoff()))
    return leads


def _search_condition(term: str) -> Q:
    # icontains: on PostgreSQL the trigram indexes of migration 0003 serve it; elsewhere a plain scan.
    condition = Q()
    for name in SEARCHED_FIELDS:
        condition |= Q(**{f"{name}__icontains": term})
    return condition


def _open_candidates() -> QuerySet[DuplicateCandidate]:
    return DuplicateCandidate.objects.filter(lead=OuterRef("pk"), status=CandidateStatus.OPEN)


def _problem_findings() -> QuerySet[LeadFinding]:
    return LeadFinding.objects.filter(lead=OuterRef("pk"), severity__in=[Severity.ERROR, Severity.WARNING])


def lead_queue_for(user: AbstractBaseUser, filters: QueueFilters) -> QuerySet[Lead]:
    """The queue's leads with what each row shows; a constant number of queries however long the page is.

    Rows carry `assessment` (the stored qualification score, or none), `has_open_duplicates`,
    `has_findings`, `first_response_at` and `last_touched_at`;
    `response_flags` turns the last two into overdue/stale flags.
    """
    targets = response_targets()
    leads = _filtered(user, filters, targets)
    human = _human_events()
    return (
        leads.select_related("owner", "assessment")
        .annotate(
            has_open_duplicates=Exists(_open_candidates()),
            has_findings=Exists(_problem_findings()),
            first_response_at=Subquery(human.order_by("created_at").values("created_at")[:1]),
            last_touched_at=Coalesce(Subquery(human.order_by("-created_at").values("created_at")[:1]), "created_at"),
        )
        .order_by(*SORTS.get(filters.sort, SORTS["newest"]))
    )


def lead_queue_page(user: AbstractBaseUser, filters: QueueFilters, *, page_number: Any, per_page: int) -> Page:
    """One page of the queue. The page's ids are found first and only those rows get the per-row subqueries,
    so a deep page does not compute them for every row it skips (PostgreSQL evaluates them before OFFSET)."""
    leads = lead_queue_for(user, filters)
    page = Paginator(leads.values_list("pk", flat=True), per_page).get_page(page_number)
    ids = list(page.object_list)
    rows = {lead.pk: lead for lead in leads.filter(pk__in=ids).order_by()}
    page.object_list = [rows[lead_id] for lead_id in ids]
    return page


def queue_state_counts(user: AbstractBaseUser, filters: QueueFilters) -> dict[str, int]:
    """Leads per state under every filter except the state itself (the tabs above the queue)."""
    leads = _filtered(user, filters.without_state(), response_targets() if filters.overdue else {})
    counts = dict(leads.order_by().values_list("state").annotate(n=Count("pk")))
    return {state: counts.get(state, 0) for state in LeadState.values}


def response_flags(lead: Lead, *, targets: dict[str, int], now: datetime) -> dict[str, bool]:
    """Whether an annotated queue row is past its first-response SLA, or untouched long enough to be stale."""
    if lead.state not in OPEN_STATES:
        return {"overdue": False, "stale": False}
    hours = targets.get(lead.source, settings.LEADFLOW_FIRST_RESPONSE_HOURS)
    overdue = lead.first_response_at is None and lead.created_at < now - timedelta(hours=hours)
    stale = lead.last_touched_at < now - timedelta(days=settings.LEADFLOW_STALE_AFTER_DAYS)
    return {"overdue": overdue, "stale": stale}


def overdue_leads(user: AbstractBaseUser) -> QuerySet[Lead]:
    """The managers' SLA list: open leads past their first-response time, oldest first."""
    return (
        visible_leads(user)
        .filter(overdue_condition(timezone.now(), response_targets()))
        .select_related("owner")
        .order_by("created_at", "id")
    )


def queue_sources() -> list[str]:
    return list(Lead.objects.exclude(source="").order_by("source").values_list("source", flat=True).distinct())


def assignable_users() -> QuerySet[Any]:
    """People who can own leads: active members of a sales group (or superusers)."""
    return (
        get_user_model()
        .objects.filter(Q(groups__name__in=["Sales rep", "Sales manager", "Admin"]) | Q(is_superuser=True))
        .filter(is_active=True)
        .select_related("sales_profile")
        .distinct()
        .order_by("username")
    )


@dataclass(frozen=True)
class FieldRow:
    name: str
    label: str
    value: Any
    original: Any
    changed: bool


def lead_field_rows(lead: Lead) -> list[FieldRow]:
    """Each editable field's cleaned value beside what the submission said, flagged where cleaning changed it."""
    rows = []
    for name in EDITABLE_FIELDS:
        value = getattr(lead, name)
        original = lead.submission.get(name) if isinstance(lead.submission, dict) else None
        changed = original is not None and str(original) != str(value if value is not None else "")
        label = Lead._meta.get_field(name).verbose_name
        rows.append(FieldRow(name, str(label).capitalize(), value, original, changed))
    return rows


@dataclass(frozen=True)
class Comparison:
    """An open duplicate candidate that is another lead, field by field."""

    candidate: DuplicateCandidate
    rows: list[tuple[str, str, Any, Any, bool]]  # name, label, this lead's value, other lead's value, differs

    @property
    def differing(self) -> list[tuple[str, str, Any, Any, bool]]:
        return [row for row in self.rows if row[4]]


@dataclass
class CustomerMatch:
    """An open candidate that is a customer already in Salesforce, with links to their records."""

    candidate: DuplicateCandidate
    label: str
    records: list[dict[str, str]]


def lead_existing_customers(lead: Lead) -> list[CustomerMatch]:
    """Open candidates that are customers already: a converted lead, or a Salesforce Contact or Account."""
    matches = []
    for candidate in _open_candidates_of(lead):
        if not candidate.is_existing_customer:
            continue
        other = candidate.other_lead
        if other is not None:
            conversion = getattr(other, "conversion", None)
            records = conversion.salesforce_records() if conversion else []
            matches.append(CustomerMatch(candidate, f"{other.display_name} (lead {other.pk})", records))
        else:
            url = record_link(candidate.remote_object, candidate.remote_id)
            record = {"sobject": candidate.remote_object, "id": candidate.remote_id, "action": "", "url": url}
            matches.append(CustomerMatch(candidate, candidate.remote_label or candidate.remote_id, [record]))
    return matches


def _open_candidates_of(lead: Lead) -> list[DuplicateCandidate]:
    return list(
        lead.duplicate_candidates.filter(status=CandidateStatus.OPEN).select_related(
            "other_lead__owner", "other_lead__conversion"
        )
    )


def lead_duplicate_comparisons(lead: Lead) -> tuple[list[Comparison], list[DuplicateCandidate]]:
    """Open candidates that may be the same lead (existing customers aside, see lead_existing_customers): those
    that are leads compared field by field, and those that are Salesforce records."""
    candidates = [candidate for candidate in _open_candidates_of(lead) if not candidate.is_existing_customer]
    comparisons, remote = [], []
    for candidate in candidates:
        other = candidate.other_lead
        if other is None:
            remote.append(candidate)
            continue
        rows = []
        for name in EDITABLE_FIELDS:
            mine, theirs = getattr(lead, name), getattr(other, name)
            label = str(Lead._meta.get_field(name).verbose_name).capitalize()
            rows.append((name, label, mine, theirs, (mine or "") != (theirs or "")))
        comparisons.append(Comparison(candidate, rows))
    return comparisons, remote


def lead_findings(lead: Lead) -> QuerySet[LeadFinding]:
    return lead.findings.order_by("severity", "field", "id")


def bulk_jobs_for(user: AbstractBaseUser) -> QuerySet[BulkJob]:
    return BulkJob.objects.filter(requested_by=user).order_by("-created_at")
