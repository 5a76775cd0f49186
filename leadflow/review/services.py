"""Writes of the sales workspace: automatic assignment, notes, and bulk actions run in the background."""

import logging
from datetime import date
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction

from leadflow.core.exceptions import ApplicationError, PermissionDenied
from leadflow.core.tasks import enqueue_on_commit
from leadflow.crm.services import lead_convert_request
from leadflow.leads.models import Lead, LeadEvent
from leadflow.leads.services import lead_assign, lead_event_record, lead_qualify, lead_reject, lead_update
from leadflow.quality.services import lead_changes_errors
from leadflow.review.models import (
    Activity,
    AssignmentRule,
    BulkAction,
    BulkJob,
    LeadPlan,
    Note,
    ResponseTarget,
    SalesProfile,
    SavedView,
    Team,
    TeamMembership,
)
from leadflow.review.notifications import notify_assigned
from leadflow.review.roles import Role, is_manager, role_of
from leadflow.review.selectors import visible_leads

logger = logging.getLogger(__name__)

BULK_LIMIT = 5000


def lead_auto_assign(*, lead: Lead) -> None:
    """Pipeline step: give an unowned lead to the first matching assignment rule's owner or team.

    A rule whose owner is away, or whose team has nobody available, is passed over for the next one.
    """
    with transaction.atomic():
        lead = Lead.objects.select_for_update().get(pk=lead.pk)
        if lead.owner_id is not None:
            return
        for rule in AssignmentRule.objects.filter(active=True).select_related("owner__sales_profile"):
            if not rule.matches(lead):
                continue
            owner = _rule_owner(rule)
            if owner is not None:
                _assign(lead=lead, owner=owner, actor=None, reason=f"Assignment rule “{rule.name}”.")
                return


def _rule_owner(rule: AssignmentRule) -> AbstractBaseUser | None:
    if rule.team_id is not None:
        return team_next_member(team_id=rule.team_id)
    profile = getattr(rule.owner, "sales_profile", None)
    if not rule.owner.is_active or (profile is not None and profile.away):
        return None
    return rule.owner


def team_next_member(*, team_id: int) -> AbstractBaseUser | None:
    """Round-robin: the available member whose last turn is longest ago, or None if everyone is away.

    The team row is locked while the turn is taken, so concurrent workers (a bulk import spread over
    several) serialise here and the rotation stays exact.
    """
    with transaction.atomic():
        team = Team.objects.select_for_update().get(pk=team_id)
        membership = (
            TeamMembership.objects.filter(team=team, user__is_active=True)
            .exclude(user__sales_profile__away=True)
            .select_related("user")
            .order_by("last_turn", "id")
            .first()
        )
        if membership is None:
            return None
        team.turns_taken += 1
        team.save(update_fields=["turns_taken"])
        membership.last_turn = team.turns_taken
        membership.save(update_fields=["last_turn"])
    return membership.user


def lead_assign_by(*, lead: Lead, owner: AbstractBaseUser | None, actor: AbstractBaseUser) -> Lead:
    """Manual (re)assignment: managers assign anyone; a rep may only take an unassigned lead themselves."""
    if not is_manager(actor):
        takes_unassigned = lead.owner_id is None and owner is not None and owner.pk == actor.pk
        if not takes_unassigned:
            raise PermissionDenied("Only a sales manager can assign leads to other people.")
    return _assign(lead=lead, owner=owner, actor=actor)


def _assign(*, lead: Lead, owner: AbstractBaseUser | None, actor: Any, reason: str = "") -> Lead:
    """Assign, and tell the new owner (unless they took the lead themselves)."""
    previous_owner_id = lead.owner_id
    lead = lead_assign(lead=lead, owner=owner, actor=actor, reason=reason)
    if lead.owner_id != previous_owner_id:
        notify_assigned(lead=lead, actor=actor)
    return lead


def lead_qualify_by_person(
    *,
    lead: Lead,
    actor: AbstractBaseUser,
    need: str,
    budget_timing: str,
    next_step: str,
    next_step_on: date | None = None,
) -> Lead:
    """A person qualifies the lead and records why: the need, budget and timing, and the next step."""
    need, budget_timing, next_step = need.strip(), budget_timing.strip(), next_step.strip()
    if not (need and budget_timing and next_step):
        raise ApplicationError("Say what the customer needs, their budget and timing, and the next step.")
    with transaction.atomic():
        lead = lead_qualify(lead=lead, actor=actor, reason=f"Need: {need} · Budget/timing: {budget_timing}")
        LeadPlan.objects.update_or_create(
            lead=lead,
            defaults={
                "need": need,
                "budget_timing": budget_timing,
                "next_step": next_step,
                "next_step_on": next_step_on,
                "updated_by": actor,
            },
        )
    return lead


def lead_edit(*, lead: Lead, changes: dict[str, Any], actor: AbstractBaseUser) -> Lead:
    """A person's edit: refused with the validators' messages when a changed value would not pass them, so the
    lead keeps its old value (and its state) until a valid one is saved."""
    errors = lead_changes_errors(lead=lead, changes=changes)
    if errors:
        raise ApplicationError("The value was not saved.", extra={"errors": errors})
    return lead_update(lead=lead, changes=changes, actor=actor)


def activity_log(
    *,
    lead: Lead,
    author: AbstractBaseUser,
    kind: str,
    outcome: str,
    summary: str = "",
    next_step: str = "",
    next_step_on: date | None = None,
) -> Activity:
    """Record a call, email or meeting (audited, so it counts as a response) and, when given, the next step:
    on its date the lead comes back to the top of the owner's queue."""
    with transaction.atomic():
        activity = Activity.objects.create(lead=lead, author=author, kind=kind, outcome=outcome, summary=summary)
        reason = f"{activity.get_kind_display()}: {activity.get_outcome_display()}." + (
            f" {summary}" if summary else ""
        )
        lead_event_record(
            lead=lead, kind=LeadEvent.Kind.NOTE, actor=author, reason=reason, data={"activity_id": activity.pk}
        )
        if next_step.strip():
            LeadPlan.objects.update_or_create(
                lead=lead,
                defaults={"next_step": next_step.strip(), "next_step_on": next_step_on, "updated_by": author},
            )
    return activity


def saved_view_save(*, user: AbstractBaseUser, name: str, query: str) -> SavedView:
    """Keep the queue's current filters under a name (saving an existing name replaces its filters)."""
    name = name.strip()
    if not name:
        raise ApplicationError("Give the view a name.")
    query = "&".join(part for part in query.split("&") if not part.startswith(("page=", "selected=")))
    view, _ = SavedView.objects.update_or_create(user=user, name=name[:60], defaults={"query": query[:1000]})
    return view


def sales_profile_for(user: AbstractBaseUser) -> SalesProfile:
    return SalesProfile.objects.get_or_create(user=user)[0]


def note_add(*, lead: Lead, author: AbstractBaseUser, body: str) -> Note:
    """A note counts as a response: it is recorded in the audit trail like every other human action."""
    body = body.strip()
    if not body:
        raise ApplicationError("A note cannot be empty.")
    with transaction.atomic():
        note = Note.objects.create(lead=lead, author=author, body=body)
        lead_event_record(lead=lead, kind=LeadEvent.Kind.NOTE, actor=author, data={"note_id": note.pk})
    return note


def bulk_job_start(
    *, action: str, lead_ids: list[int], actor: AbstractBaseUser, params: dict[str, Any] | None = None
) -> BulkJob:
    """Queue a bulk action for the leads of the selection the actor may see; the worker reports progress."""
    _require_manager(actor, "Bulk actions are for sales managers.")
    params = params or {}
    _check_bulk_params(action, params)
    if not lead_ids:
        raise ApplicationError("Select at least one lead.")
    if len(lead_ids) > BULK_LIMIT:
        raise ApplicationError(f"Select at most {BULK_LIMIT} leads at a time.")
    visible = set(visible_leads(actor).filter(pk__in=lead_ids).values_list("pk", flat=True))
    ordered = [lead_id for lead_id in dict.fromkeys(lead_ids) if lead_id in visible]
    with transaction.atomic():
        job = BulkJob.objects.create(action=action, lead_ids=ordered, params=params, requested_by=actor)
        from leadflow.review.tasks import run_bulk_job

        enqueue_on_commit(run_bulk_job, job.pk)
    return job


def _check_bulk_params(action: str, params: dict[str, Any]) -> None:
    if action not in BulkAction.values:
        raise ApplicationError(f"Unknown bulk action “{action}”.")
    if action == BulkAction.REJECT and not str(params.get("reason", "")).strip():
        raise ApplicationError("Say why the selected leads are rejected.")
    if action == BulkAction.ASSIGN:
        owner = get_user_model().objects.filter(pk=params.get("owner_id") or 0, is_active=True).first()
        if owner is None or role_of(owner) == Role.NONE:
            raise ApplicationError("Leads can only be assigned to people in a sales role.")


def bulk_job_run(*, job_id: int) -> None:
    """Work through a job's leads from where it stopped; safe to run twice (a finished job is left alone)."""
    claimed = BulkJob.objects.filter(pk=job_id, status__in=[BulkJob.Status.PENDING, BulkJob.Status.RUNNING]).update(
        status=BulkJob.Status.RUNNING
    )
    if not claimed:
        return
    job = BulkJob.objects.select_related("requested_by").get(pk=job_id)
    action = _bulk_action(job)
    leads = Lead.objects.in_bulk(job.lead_ids[job.processed :])
    for lead_id in job.lead_ids[job.processed :]:
        lead = leads.get(lead_id)
        try:
            if lead is None:
                raise ApplicationError("The lead no longer exists.")
            action(lead)
            job.succeeded += 1
        except ApplicationError as exc:
            job.failures.append([lead_id, exc.full_message])
        job.processed += 1
        job.save(update_fields=["processed", "succeeded", "failures", "updated_at"])
    job.status = BulkJob.Status.DONE
    job.save(update_fields=["status", "updated_at"])


def _bulk_action(job: BulkJob) -> Any:
    actor = job.requested_by
    if job.action == BulkAction.ASSIGN:
        owner = get_user_model().objects.filter(pk=job.params.get("owner_id")).first()
        return lambda lead: _assign(lead=lead, owner=owner, actor=actor)
    if job.action == BulkAction.REJECT:
        return lambda lead: lead_reject(lead=lead, actor=actor, reason=job.params["reason"])
    if job.action == BulkAction.QUALIFY:
        return lambda lead: lead_qualify(lead=lead, actor=actor)
    return lambda lead: lead_convert_request(lead=lead, actor=actor)


# --- Managers steer: assignment rules and response targets ---------------------------------------

SteeringRow = AssignmentRule | ResponseTarget


def steering_row_save(*, row: SteeringRow, actor: AbstractBaseUser) -> SteeringRow:
    """Save an assignment rule or a response target a manager edited in the workspace; the model's own checks
    (one owner or one team, an ordered size range, one target per source) run first."""
    _require_manager(actor, "Assignment rules and response targets are for sales managers.")
    try:
        row.full_clean()
    except ValidationError as exc:
        raise ApplicationError("Not saved. " + " ".join(exc.messages)) from None
    row.save()
    logger.info("%s saved %s %s", actor, row._meta.verbose_name, row)
    return row


def steering_row_delete(*, row: SteeringRow, actor: AbstractBaseUser) -> None:
    _require_manager(actor, "Assignment rules and response targets are for sales managers.")
    logger.info("%s deleted %s %s", actor, row._meta.verbose_name, row)
    row.delete()


def _require_manager(actor: AbstractBaseUser, message: str) -> None:
    if not is_manager(actor):
        raise PermissionDenied(message)
