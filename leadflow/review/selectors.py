"""Reads for the sales workspace. Every lead a person sees comes through `visible_leads`, so a rep can
never reach another rep's lead by guessing a URL or an id."""

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.base_user import AbstractBaseUser
from django.core.paginator import Page, Paginator
from django.db.models import Case, Count, DateTimeField, Exists, F, OuterRef, Q, QuerySet, Subquery, Value, When
from django.db.models.functions import Coalesce
from django.utils import timezone

from leadflow.core.exceptions import NotFound
from leadflow.crm.models import Conversion, ConversionStatus
from leadflow.intake.importing.columns import column_mapping_guess
from leadflow.intake.models import ApiToken, LeadForm
from leadflow.integrations.salesforce.client import record_link
from leadflow.leads.models import OPEN_STATES, Lead, LeadEvent, LeadState, SourceKind
from leadflow.quality.models import CandidateStatus, DuplicateCandidate, LeadFinding, Severity
from leadflow.review.models import BulkJob, ResponseTarget
from leadflow.review.roles import Role, role_of

SEARCHED_FIELDS = ("first_name", "last_name", "email", "company")
PENDING_CONVERSION = (ConversionStatus.REQUESTED, ConversionStatus.IN_PROGRESS)

SORTS = {
    "newest": ("-created_at", "-id"),
    "oldest": ("created_at", "id"),
    "name": ("last_name", "first_name", "id"),
    "company": ("company", "id"),
    "state": ("state", "-created_at", "-id"),
    "owner": ("owner__username", "-created_at", "-id"),
    "score": (F("assessment__score").desc(nulls_last=True), "-created_at", "-id"),
    # Next steps due today (or missed) first, then what is due soonest: a first response by its target, else the
    # day the lead would go stale; leads whose next step is still ahead wait at the end until their day.
    "due": ("due_tier", F("plan__next_step_on").asc(nulls_last=True), "due_at", "id"),
}
OPEN_WORK = "open"


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


def human_events() -> QuerySet[LeadEvent]:
    """A "human" event is one with a user as actor: the system, API clients and imports are not a response."""
    return LeadEvent.objects.filter(lead=OuterRef("pk"), actor__isnull=False)


def stale_cutoff() -> datetime:
    return timezone.now() - timedelta(days=settings.LEADFLOW_STALE_AFTER_DAYS)


def _pending_conversion() -> QuerySet[Conversion]:
    return Conversion.objects.filter(lead=OuterRef("pk"), status__in=PENDING_CONVERSION)


def waiting_for_person_condition() -> Q:
    """Open leads whose next move is a person's: not while the checks run or Salesforce is converting them."""
    return Q(state__in=OPEN_STATES, checks_due_at__isnull=True) & ~Exists(_pending_conversion())


def overdue_condition(now: datetime, targets: dict[str, int]) -> Q:
    """Leads waiting for a person that nobody has responded to within their source's first-response hours."""
    default_hours = settings.LEADFLOW_FIRST_RESPONSE_HOURS
    late = Q(created_at__lt=now - timedelta(hours=default_hours)) & ~Q(source__in=list(targets))
    for source, hours in targets.items():
        late |= Q(source=source, created_at__lt=now - timedelta(hours=hours))
    return late & waiting_for_person_condition() & ~Exists(human_events())


def stale_condition(cutoff: datetime) -> Q:
    """Leads waiting for a person, older than the cutoff, that no person has touched since, and whose agreed next
    step (if any) was due before the cutoff."""
    touched_recently = human_events().filter(created_at__gte=cutoff)
    # An agreed next step restarts the clock: the lead goes stale only that long after the step's date.
    recent_step = Q(plan__next_step_on__gte=timezone.localdate(cutoff))
    return Q(created_at__lt=cutoff) & waiting_for_person_condition() & ~Exists(touched_recently) & ~recent_step


def response_targets() -> dict[str, int]:
    return dict(ResponseTarget.objects.values_list("source", "first_response_hours"))


def _filtered(user: AbstractBaseUser, filters: QueueFilters, targets: dict[str, int]) -> QuerySet[Lead]:
    leads = visible_leads(user)
    for term in filters.search.split():
        leads = leads.filter(_search_condition(term))
    if filters.state == OPEN_WORK:
        leads = leads.filter(waiting_for_person_condition())
    elif filters.state:
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

    Rows carry `assessment` (the stored qualification score, or none), `plan`, `has_open_duplicates`,
    `has_findings`, `converting`, `first_response_at` and `last_touched_at`;
    `response_flags` turns these into overdue/stale flags.
    """
    targets = response_targets()
    leads = _filtered(user, filters, targets)
    human = human_events()
    leads = leads.select_related("owner", "assessment", "plan").annotate(
        has_open_duplicates=Exists(_open_candidates()),
        converting=Exists(_pending_conversion()),
        has_findings=Exists(_problem_findings()),
        first_response_at=Subquery(human.order_by("created_at").values("created_at")[:1]),
        last_touched_at=Coalesce(Subquery(human.order_by("-created_at").values("created_at")[:1]), "created_at"),
    )
    if filters.sort == "due":
        leads = leads.annotate(**_due_annotations(targets))
    return leads.order_by(*SORTS.get(filters.sort, SORTS["newest"]))


def _due_annotations(targets: dict[str, int]) -> dict[str, Any]:
    """`due_tier` (0: next step due, 1: no next step ahead, 2: next step ahead) and `due_at`: the first-response
    deadline while nobody has responded, else when the lead would go stale."""
    today = timezone.localdate()
    default = timedelta(hours=settings.LEADFLOW_FIRST_RESPONSE_HOURS)
    response_due = Case(
        *(When(source=source, then=F("created_at") + timedelta(hours=hours)) for source, hours in targets.items()),
        default=F("created_at") + default,
        output_field=DateTimeField(),
    )
    stale_after = timedelta(days=settings.LEADFLOW_STALE_AFTER_DAYS)
    return {
        "due_tier": Case(
            When(plan__next_step_on__lte=today, then=Value(0)),
            When(plan__next_step_on__gt=today, then=Value(2)),
            default=Value(1),
        ),
        "due_at": Case(
            When(first_response_at__isnull=True, then=response_due),
            default=F("last_touched_at") + stale_after,
            output_field=DateTimeField(),
        ),
    }


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
    """Leads per state, and the open work, under every filter except the state itself (the tabs above the queue)."""
    leads = _filtered(user, filters.without_state(), response_targets() if filters.overdue else {})
    rows = (
        leads.order_by()
        .values_list("state")
        .annotate(n=Count("pk"), waiting=Count("pk", filter=waiting_for_person_condition()))
    )
    counts = {state: (n, waiting) for state, n, waiting in rows}
    return {
        OPEN_WORK: sum(waiting for _, waiting in counts.values()),
        **{state: counts.get(state, (0, 0))[0] for state in LeadState.values},
    }


def response_flags(lead: Lead, *, targets: dict[str, int], now: datetime) -> dict[str, bool]:
    """Whether an annotated queue row waiting for a person is past its first-response target, or untouched long
    enough to be stale (the same rules as `overdue_condition` and `stale_condition`)."""
    if lead.state not in OPEN_STATES or lead.checks_due_at is not None or lead.converting:
        return {"overdue": False, "stale": False, "step_due": False}
    hours = targets.get(lead.source, settings.LEADFLOW_FIRST_RESPONSE_HOURS)
    overdue = lead.first_response_at is None and lead.created_at < now - timedelta(hours=hours)
    plan = getattr(lead, "plan", None)
    step_on = plan.next_step_on if plan is not None else None
    cutoff = now - timedelta(days=settings.LEADFLOW_STALE_AFTER_DAYS)
    recent_step = step_on is not None and step_on >= timezone.localdate(cutoff)
    stale = not recent_step and lead.last_touched_at < cutoff
    return {"overdue": overdue, "stale": stale, "step_due": step_on is not None and step_on <= timezone.localdate(now)}


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


def known_sources() -> list[str]:
    """Every source a manager may want to pick: those of existing leads, forms and API clients."""
    forms = LeadForm.objects.values_list("source", flat=True)
    tokens = ApiToken.objects.values_list("source", flat=True)
    return sorted({*queue_sources(), *forms, *tokens} - {""})


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


def _submitted_values(lead: Lead) -> dict[str, Any]:
    """The submission by lead field. An imported row is keyed by the file's column headers ("Aantal
    medewerkers"), read back through the import's column recognition."""
    submission = lead.submission if isinstance(lead.submission, dict) else {}
    if lead.source_kind != SourceKind.IMPORT or not submission:
        return submission
    headers = [str(header) for header in submission]
    mapping = column_mapping_guess(headers)
    by_field = {target: submission[header] for header, target in mapping.describe() if target in Lead.EDITABLE_FIELDS}
    return {**submission, **by_field}


def lead_field_rows(lead: Lead) -> list[FieldRow]:
    """Each editable field's cleaned value beside what the submission said, flagged where cleaning changed it."""
    rows = []
    submitted = _submitted_values(lead)
    for name in Lead.EDITABLE_FIELDS:
        value = getattr(lead, name)
        original = submitted.get(name)
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
    """An open candidate that is a customer already: a converted lead or a Salesforce record, with links to its
    records. `label` is empty for a converted lead the user may not see (only that it exists is shown)."""

    candidate: DuplicateCandidate
    label: str
    records: list[dict[str, str]]


@dataclass(frozen=True)
class DuplicateView:
    """A lead's open duplicate candidates as `user` may see them (existing customers aside, see
    lead_existing_customers)."""

    comparisons: list[Comparison]  # other leads the user may see, field by field
    out_of_reach: list[DuplicateCandidate]  # other leads the user may not see: only that they exist, and whose
    remote: list[DuplicateCandidate]  # Salesforce records


def _open_candidates_of(lead: Lead) -> list[DuplicateCandidate]:
    return list(
        lead.duplicate_candidates.filter(status=CandidateStatus.OPEN).select_related(
            "other_lead__owner", "other_lead__conversion"
        )
    )


def _reachable_leads(user: AbstractBaseUser, candidates: list[DuplicateCandidate]) -> set[int]:
    others = [c.other_lead_id for c in candidates if c.other_lead_id]
    return set(visible_leads(user).filter(pk__in=others).values_list("pk", flat=True))


def lead_existing_customers(lead: Lead, user: AbstractBaseUser) -> list[CustomerMatch]:
    """Open candidates that are customers already: a converted lead, or a Salesforce Contact or Account."""
    candidates = [c for c in _open_candidates_of(lead) if c.is_existing_customer]
    reachable = _reachable_leads(user, candidates)
    matches = []
    for candidate in candidates:
        other = candidate.other_lead
        if other is None:
            url = record_link(candidate.remote_object, candidate.remote_id)
            record = {"sobject": candidate.remote_object, "id": candidate.remote_id, "action": "", "url": url}
            matches.append(CustomerMatch(candidate, candidate.remote_label or candidate.remote_id, [record]))
        elif other.pk in reachable:
            conversion = getattr(other, "conversion", None)
            records = conversion.crm_records() if conversion else []
            matches.append(CustomerMatch(candidate, f"{other.display_name} (lead {other.pk})", records))
        else:
            matches.append(CustomerMatch(candidate, "", []))
    return matches


def lead_duplicate_comparisons(lead: Lead, user: AbstractBaseUser) -> DuplicateView:
    """Open candidates that may be the same lead: leads `user` may see compared field by field, the other leads
    without any of their data, and Salesforce records."""
    candidates = [c for c in _open_candidates_of(lead) if not c.is_existing_customer]
    reachable = _reachable_leads(user, candidates)
    view = DuplicateView([], [], [])
    for candidate in candidates:
        other = candidate.other_lead
        if other is None:
            view.remote.append(candidate)
            continue
        if other.pk not in reachable:
            view.out_of_reach.append(candidate)
            continue
        rows = []
        for name in Lead.EDITABLE_FIELDS:
            mine, theirs = getattr(lead, name), getattr(other, name)
            label = str(Lead._meta.get_field(name).verbose_name).capitalize()
            rows.append((name, label, mine, theirs, (mine or "") != (theirs or "")))
        view.comparisons.append(Comparison(candidate, rows))
    return view


def lead_findings(lead: Lead) -> QuerySet[LeadFinding]:
    return lead.findings.order_by("severity", "field", "id")


@dataclass(frozen=True)
class Refusal:
    lead_id: int
    lead: Lead | None  # None when the lead is gone
    message: str


def bulk_job_refusals(job: BulkJob) -> list[Refusal]:
    """The leads a bulk job refused, by name (one query), with the reason."""
    leads = Lead.objects.in_bulk([lead_id for lead_id, _ in job.failures])
    return [Refusal(lead_id, leads.get(lead_id), message) for lead_id, message in job.failures]


def bulk_jobs_for(user: AbstractBaseUser) -> QuerySet[BulkJob]:
    return BulkJob.objects.filter(requested_by=user).order_by("-created_at")
