"""Writes to leads: creation, edits, assignment and every state transition, each audited."""

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from functools import partial
from typing import TYPE_CHECKING, Any, TypeAlias

import django_fsm
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from leadflow.core.bulk import bulk_insert
from leadflow.core.exceptions import ApplicationError, TransitionBlocked, TransitionNotAllowed
from leadflow.core.plugins import load_objects
from leadflow.core.tasks import enqueue_on_commit, wake_on_commit
from leadflow.leads.gates import blocking_reasons
from leadflow.leads.models import Lead, LeadEvent, LeadState, SourceKind

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser

logger = logging.getLogger(__name__)

# Who acts: a user, a label for a non-user caller ("api:partner-x", "import:leads.csv"), or None for the system.
Actor: TypeAlias = "AbstractBaseUser | str | None"


def actor_fields(actor: Actor) -> dict[str, Any]:
    if actor is None:
        return {"actor": None, "actor_label": "system"}
    if isinstance(actor, str):
        return {"actor": None, "actor_label": actor[:150]}
    return {"actor": actor, "actor_label": actor.get_username()}


def lead_event_record(*, lead: Lead, kind: str, actor: Actor, reason: str = "", **fields: Any) -> LeadEvent:
    entry = LeadEvent.objects.create(lead=lead, kind=kind, reason=reason, **actor_fields(actor), **fields)
    _announce([entry])
    return entry


def _announce(entries: list[LeadEvent]) -> None:
    """Hand new audit entries to settings.LEADFLOW_LEAD_EVENT_HOOKS (the outbox), in the caller's transaction."""
    for hook in load_objects("LEADFLOW_LEAD_EVENT_HOOKS"):
        hook(entries=entries)


def lead_create(
    *,
    actor: Actor,
    source_kind: str = SourceKind.ADMIN,
    source: str = "",
    submission: dict[str, Any] | None = None,
    validated: bool = False,
    **fields: Any,
) -> Lead:
    """Store a new lead and queue its checks. `submission` is the verbatim input, kept beside the fields.

    `validated=True` skips the model's field and constraint checks for callers that already checked every field
    against the Lead's own limits (intake's visitor form and API serializer); the database constraints still
    apply, so a repeated external id raises IntegrityError from the INSERT.
    No savepoint of its own: inside a caller's transaction a failure here rolls back the caller's whole
    transaction, so a caller that wants to carry on after one wraps the call in its own `atomic()`.
    """
    now = timezone.now()
    lead = Lead(source_kind=source_kind, source=source, checks_due_at=now, wake_up_sent_at=now, **fields)
    lead.submission = (
        submission if submission is not None else {f: fields[f] for f in Lead.EDITABLE_FIELDS if f in fields}
    )
    # The constraint check costs a SELECT and ~1 ms of CPU; its only constraint (external id unique per source)
    # cannot fail for a blank id, and the database's unique index enforces it anyway: validated callers catch
    # the IntegrityError of the INSERT instead.
    if not validated:
        lead.full_clean(exclude=["state", "owner", "duplicate_of"], validate_constraints=bool(lead.external_id))
    with transaction.atomic(savepoint=False):
        lead.save()
        lead_event_record(lead=lead, kind=LeadEvent.Kind.CREATED, actor=actor, data={"source": source})
        _enqueue_processing(lead)
    return lead


def lead_create_many(
    *,
    actor: Actor,
    source_kind: str,
    source: str,
    items: list[dict[str, Any]],
) -> list[int]:
    """Store many new leads in one transaction, as `lead_create` would each: audited, checks queued. Returns
    their ids.

    Each item holds `lead_create`'s keyword arguments (`submission` plus fields); each field is checked as
    `full_clean` would (a bad value raises ValidationError naming it) without building model instances, and
    on PostgreSQL leads and events go in with COPY (`leadflow.core.bulk`). Unique-per-source external ids are
    left to the database constraint: a clash raises IntegrityError and nothing is written.
    """
    now = timezone.now()
    rows = []
    for item in items:
        fields = dict(item)
        submission = fields.pop("submission", None)
        _check_fields(fields)
        if submission is None:
            submission = _submission_of(fields)
        rows.append(
            {
                **fields,
                "source_kind": source_kind,
                "source": source,
                "submission": submission,
                "checks_due_at": now,
                "wake_up_sent_at": now,
            }
        )
    with transaction.atomic():
        lead_ids = bulk_insert(Lead, rows)
        created = {"kind": LeadEvent.Kind.CREATED, "data": {"source": source}, "created_at": now, **actor_fields(actor)}
        event_ids = bulk_insert(LeadEvent, [{**created, "lead_id": lead_id} for lead_id in lead_ids])
        _announce(
            [
                # The rows just written, as objects for the hooks, without reading them back.
                LeadEvent(pk=event_id, lead=Lead(pk=lead_id, created_at=now, **row), **created)
                for row, lead_id, event_id in zip(rows, lead_ids, event_ids, strict=True)
            ]
        )
        _enqueue_batch_processing(lead_ids)
    return lead_ids


def _submission_of(fields: dict[str, Any]) -> dict[str, Any]:
    """The submission a caller without an original input sent: the person's fields as given."""
    return {f: fields[f] for f in Lead.EDITABLE_FIELDS if f in fields}


def _check_fields(fields: dict[str, Any]) -> None:
    """The checks `full_clean` makes for these fields (length, type, choices), without a model instance."""
    errors = {}
    for name, value in fields.items():
        try:
            fields[name] = Lead._meta.get_field(name).clean(value, None)
        except ValidationError as exc:
            errors[name] = exc.messages
    if errors:
        raise ValidationError(errors)


def lead_update(*, lead: Lead, changes: dict[str, Any], actor: Actor, reason: str = "") -> Lead:
    """Edit a lead's fields; the checks run again in the background. A converted lead is a customer: its edit
    is audited as a customer change (the outbox tells the systems downstream). Other closed leads are read-only."""
    unknown = set(changes) - set(Lead.EDITABLE_FIELDS)
    if unknown:
        raise ApplicationError(f"These fields cannot be edited: {', '.join(sorted(unknown))}.")
    with transaction.atomic():
        lead = Lead.objects.select_for_update().get(pk=lead.pk)
        if not lead.is_editable:
            raise ApplicationError(f"A {lead.get_state_display().lower()} lead can no longer be edited.")
        changed = {f: [getattr(lead, f), v] for f, v in changes.items() if getattr(lead, f) != v}
        if not changed:
            return lead
        for field, (_, new) in changed.items():
            setattr(lead, field, new)
        data: dict[str, Any] = {"changed": changed}
        if lead.is_open:
            lead.checks_due_at = timezone.now()
        else:
            data["customer_change"] = "edit"
        lead.full_clean(exclude=["state", "owner", "duplicate_of"])
        lead.save()
        lead_event_record(lead=lead, kind=LeadEvent.Kind.EDIT, actor=actor, reason=reason, data=data)
        if lead.is_open:
            _enqueue_processing(lead)
    return lead


def lead_checks_request(*, lead: Lead) -> None:
    """Run the lead's checks and automatic steps again, e.g. after a merge or a duplicate set apart changed what
    they read. Recorded on the row (`checks_due_at`, in the caller's transaction); the worker is woken after
    commit without waiting for the broker, and the sweeper re-sends a lost wake-up."""
    lead.checks_due_at = timezone.now()
    lead.save(update_fields=["checks_due_at", "updated_at"])
    _enqueue_processing(lead)


def lead_assign(*, lead: Lead, owner: "AbstractBaseUser | None", actor: Actor, reason: str = "") -> Lead:
    with transaction.atomic():
        lead = Lead.objects.select_for_update().get(pk=lead.pk)
        previous = lead.owner
        if previous == owner:
            return lead
        lead.owner = owner
        lead.save(update_fields=["owner", "updated_at"])
        lead_event_record(
            lead=lead,
            kind=LeadEvent.Kind.ASSIGNMENT,
            actor=actor,
            reason=reason,
            data={
                "from": previous.get_username() if previous else None,
                "to": owner.get_username() if owner else None,
            },
        )
    return lead


def lead_transition(*, lead: Lead, name: str, actor: Actor, reason: str = "", **kwargs: Any) -> Lead:
    """Run one transition under a row lock, so concurrent callers produce exactly one transition.

    The loser sees the state the winner left and gets TransitionNotAllowed; a gate that says no raises
    TransitionBlocked with its reasons. Either way nothing is written.
    """
    with transaction.atomic():
        locked = Lead.objects.select_for_update().get(pk=lead.pk)
        method = getattr(locked, name)
        from_state = locked.state
        if not django_fsm.can_proceed(method, check_conditions=False):
            raise TransitionNotAllowed(
                f"Cannot {name.replace('_', ' ')} lead {locked.pk}: it is {locked.get_state_display().lower()}.",
                extra={"state": from_state},
            )
        reasons = blocking_reasons(locked, name)
        if reasons:
            raise TransitionBlocked(f"Cannot {name.replace('_', ' ')} lead {locked.pk} yet.", reasons=reasons)
        method(**kwargs)
        locked.save()
        lead_event_record(
            lead=locked,
            kind=LeadEvent.Kind.TRANSITION,
            actor=actor,
            reason=reason,
            transition=name,
            from_state=from_state,
            to_state=locked.state,
        )
    return locked


def lead_validate(*, lead: Lead, actor: Actor, reason: str = "") -> Lead:
    return lead_transition(lead=lead, name="validate", actor=actor, reason=reason)


def lead_qualify(*, lead: Lead, actor: Actor, reason: str = "") -> Lead:
    return lead_transition(lead=lead, name="qualify", actor=actor, reason=reason)


def lead_reject(*, lead: Lead, actor: Actor, reason: str) -> Lead:
    reason = reason.strip()
    if not reason:
        raise ApplicationError("Say why the lead is rejected.")
    return lead_transition(lead=lead, name="reject", actor=actor, reason=reason, rejection_reason=reason)


def lead_reopen(*, lead: Lead, actor: Actor, reason: str = "") -> Lead:
    with transaction.atomic():
        lead = lead_transition(lead=lead, name="reopen", actor=actor, reason=reason)
        _enqueue_processing(lead)
    return lead


@dataclass(frozen=True)
class ManualTransition:
    """A transition a person fires from a lead page: the service that runs it and the word that reports it."""

    service: Callable[..., Lead]
    done: str


# Only these are a person's: `invalidate` and `mark_duplicate` follow from checks and merges, and `convert` is
# requested through the CRM app, which owns its side effect. Each service takes `lead`, `actor` and `reason`.
MANUAL_TRANSITIONS = {
    "validate": ManualTransition(lead_validate, "validated"),
    "qualify": ManualTransition(lead_qualify, "qualified"),
    "reject": ManualTransition(lead_reject, "rejected"),
    "reopen": ManualTransition(lead_reopen, "reopened"),
}


def lead_available_transitions(*, lead: Lead) -> list[tuple[str, list[str]]]:
    """The manual transitions that start from the lead's state, each with the reasons that block it now (empty:
    allowed)."""
    return [
        (t.name, blocking_reasons(lead, t.name))
        for t in lead.get_all_state_transitions()
        if t.name in MANUAL_TRANSITIONS and t.source == lead.state
    ]


def lead_auto_validate(*, lead: Lead) -> None:
    """Pipeline step: validate a new lead whose checks passed; send a lead whose checks now fail back to new."""
    if lead.state == LeadState.NEW:
        try:
            lead_validate(lead=lead, actor=None, reason="All validation checks passed.")
        except TransitionBlocked:
            pass  # the checks found errors: the lead waits in new for an edit
        except TransitionNotAllowed as exc:
            logger.info("Automatic validation skipped for lead %s: %s", lead.pk, exc.message)
    elif lead.state in (LeadState.VALIDATED, LeadState.QUALIFIED):
        reasons = blocking_reasons(lead, "validate")
        if reasons:
            attempt_automatic(lead_transition, lead=lead, name="invalidate", actor=None, reason=" ".join(reasons))


def lead_process(*, lead_id: int) -> None:
    """Run the pipeline (checks, automatic transitions) for a lead whose checks are due. Safe to run twice."""
    lead = Lead.objects.filter(pk=lead_id).first()
    if lead is None or lead.checks_due_at is None:
        return
    due_at = lead.checks_due_at
    for step in load_objects("LEADFLOW_PIPELINE", "checks"):
        step(lead=lead)
        lead.refresh_from_db()
    # The decisions and the cleared mark commit together: a lead is never seen qualified with checks still due.
    with transaction.atomic():
        lead = Lead.objects.select_for_update().get(pk=lead_id)
        for step in load_objects("LEADFLOW_PIPELINE", "decisions"):
            step(lead=lead)
            lead.refresh_from_db()
        # Only clear what this run handled: an edit made meanwhile set a newer time and needs another run.
        Lead.objects.filter(pk=lead_id, checks_due_at=due_at).update(checks_due_at=None)


def lead_requeue_stuck(*, older_than_seconds: int, overdue_after_seconds: int, limit: int = 20_000) -> list[int]:
    """Claim leads whose checks have waited too long and whose wake-up is lost, and return their ids.

    A lead qualifies when its checks have been due for `older_than_seconds` and either no wake-up was sent for
    them (never, or the broker refused it) or the one sent is older than `overdue_after_seconds` (a message lost
    on the broker, a worker killed mid-task). A wake-up still waiting in a long queue is left alone. Claimed
    with row locks that skip what another sweeper holds, then stamped as sent.
    """
    now = timezone.now()
    not_sent = Q(wake_up_sent_at__isnull=True) | Q(wake_up_sent_at__lt=F("checks_due_at"))
    overdue = Q(checks_due_at__lt=now - timedelta(seconds=older_than_seconds)) & (
        not_sent | Q(wake_up_sent_at__lt=now - timedelta(seconds=overdue_after_seconds))
    )
    with transaction.atomic():
        claimed = list(
            Lead.objects.select_for_update(skip_locked=True)
            .filter(overdue)
            .order_by("checks_due_at")
            .values_list("pk", flat=True)[:limit]
        )
        Lead.objects.filter(pk__in=claimed).update(wake_up_sent_at=now)
    return claimed


def lead_wake_ups_lost(lead_ids: list[int]) -> None:
    """The broker refused these leads' wake-up: mark it unsent, so the sweeper re-sends it at the next sweep."""
    Lead.objects.filter(pk__in=lead_ids).update(wake_up_sent_at=None)


def attempt_automatic(service: Any, **kwargs: Any) -> None:
    """Automatic transitions lose gracefully to a person or worker who acted first."""
    try:
        service(**kwargs)
    except (TransitionNotAllowed, TransitionBlocked) as exc:
        logger.info("Automatic step skipped for lead %s: %s", kwargs["lead"].pk, exc.message)


def _enqueue_processing(lead: Lead) -> None:
    from leadflow.leads.tasks import process_lead

    # `checks_due_at` records the work and the sweeper re-sends lost wake-ups: no caller waits for the broker.
    wake_on_commit(process_lead, lead.pk, on_failure=partial(lead_wake_ups_lost, [lead.pk]))


def _enqueue_batch_processing(lead_ids: list[int]) -> None:
    from leadflow.leads.tasks import process_leads

    if lead_ids:
        enqueue_on_commit(process_leads, lead_ids, on_failure=partial(lead_wake_ups_lost, lead_ids))
