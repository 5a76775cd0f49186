"""Writes of the outbox: enqueue jobs with the change they report, claim and deliver them, retry, re-sync."""

import logging
import random
import time
import uuid
from collections.abc import Callable, Iterable
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q, QuerySet
from django.utils import timezone

from leadflow.core.exceptions import ApplicationError
from leadflow.core.tasks import enqueue, enqueue_on_commit
from leadflow.leads.models import Lead, LeadEvent, LeadState
from leadflow.leads.services import actor_fields
from leadflow.sync.events import (
    CUSTOMER_CONVERTED,
    CUSTOMER_UPDATED,
    audit_entry_payload,
    changed_fields,
    customer_payload,
    event_for_audit_entry,
)
from leadflow.sync.leading import is_system_of_record, split_changes
from leadflow.sync.models import RETRYABLE_STATES, DeliveryAttempt, JobState, SyncConflict, SyncJob, SyncTarget
from leadflow.sync.selectors import sync_due_job_ids
from leadflow.sync.targets import DeliveryResult, TargetDeferred, TargetError, target_for_kind

logger = logging.getLogger(__name__)
Outcome = DeliveryAttempt.Outcome


def outbox_enqueue_conversion(*, lead: Lead, conversion: Any) -> list[SyncJob]:
    """Conversion hook (settings.LEADFLOW_CONVERSION_HOOKS): one job per target that wants the event. A target
    that is switched off or paused gets its job too: the job is held until the target is back (nothing is lost).

    Runs inside the transaction that marks the lead converted, so jobs exist exactly when the conversion does.
    `conversion` is read by attribute: account_id, contact_id, opportunity_id (leadflow.crm's Conversion).
    """
    payload = customer_payload(lead=lead, conversion=conversion)
    return outbox_enqueue(lead=lead, event=CUSTOMER_CONVERTED, payload=payload, targets=SyncTarget.objects.all())


def outbox_enqueue_audit_entries(*, entries: list[LeadEvent]) -> list[SyncJob]:
    """Lead audit hook (settings.LEADFLOW_LEAD_EVENT_HOOKS): the events the entries amount to, one job per
    target that opted in (held while it is paused), written in the transaction that writes the entries. One read
    of the targets per call (an import batch is one call); nothing more when no target wants the event."""
    found = [(entry, event) for entry in entries if (event := event_for_audit_entry(entry))]
    if not found:
        return []
    targets = list(SyncTarget.objects.all())
    jobs = []
    for entry, event in found:
        wanted = [t for t in targets if target_for_kind(t.kind).accepts(target=t, event=event)]
        if not wanted:
            continue
        payload = audit_entry_payload(entry=entry, event=event)
        if event == CUSTOMER_UPDATED:
            jobs += _customer_update_jobs(entry, payload, wanted)
        else:
            jobs += [SyncJob(target=target, lead=entry.lead, event=event, payload=payload) for target in wanted]
    return _save_jobs(jobs)


def _customer_update_jobs(entry: LeadEvent, payload: dict[str, Any], targets: list[SyncTarget]) -> list[SyncJob]:
    """Each target is told the changed fields it does not lead (`change.fields`). An edit to data a target leads
    is not sent there but opened as a conflict; a system of record hears nothing when no field is left for it."""
    jobs, conflicts = [], []
    for target in targets:
        pushed, withheld = split_changes(target=target, changed=changed_fields(entry))
        if withheld:
            conflicts.append(
                SyncConflict(target=target, lead=entry.lead, changes=withheld, changed_by=entry.actor_label)
            )
        if pushed or not is_system_of_record(target):
            told = payload | {"change": payload["change"] | {"fields": sorted(pushed)}}
            jobs.append(SyncJob(target=target, lead=entry.lead, event=CUSTOMER_UPDATED, payload=told))
    SyncConflict.objects.bulk_create(conflicts)
    return jobs


def sync_conflict_resolve(*, conflict: SyncConflict, push: bool, actor: Any) -> SyncJob | None:
    """A person decides an open conflict: send Leadflow's current value of those fields to the target after
    all (`push`), or keep the target's. Returns the job that carries the value, if any."""
    label = actor_fields(actor)["actor_label"]
    with transaction.atomic():
        state = SyncConflict.State.PUSHED if push else SyncConflict.State.KEPT
        claimed = SyncConflict.objects.filter(pk=conflict.pk, state=SyncConflict.State.OPEN).update(
            state=state, resolved_by=label, resolved_at=timezone.now()
        )
        if not claimed:
            raise ApplicationError("This conflict was already resolved.")
        conflict.refresh_from_db()
        if not push:
            return None
        lead = conflict.lead
        fields = sorted(conflict.changes)
        change = {
            "actor": label,
            "reason": "Conflict resolved: Leadflow's value sent",
            "at": timezone.now().isoformat(),
        }
        payload = customer_payload(lead=lead, conversion=getattr(lead, "conversion", None)) | {
            "change": change | {"kind": "edit", "fields": fields, "details": {"changed": conflict.changes}}
        }
        [job] = _save_jobs([SyncJob(target=conflict.target, lead=lead, event=CUSTOMER_UPDATED, payload=payload)])
    return job


def outbox_enqueue(*, lead: Lead, event: str, payload: dict[str, Any], targets: Iterable[SyncTarget]) -> list[SyncJob]:
    wanted = [t for t in targets if target_for_kind(t.kind).accepts(target=t, event=event)]
    return _save_jobs([SyncJob(target=target, lead=lead, event=event, payload=payload) for target in wanted])


def _save_jobs(jobs: list[SyncJob]) -> list[SyncJob]:
    """Every job is stored; only those whose target is ready now are woken (a paused target's jobs are held)."""
    now = timezone.now()
    for job in jobs:
        job.wake_sent_at = now if job.target.is_ready(now) else None
    jobs = SyncJob.objects.bulk_create(jobs)
    for job in jobs:
        if job.wake_sent_at:  # A held job gets its wake-up from the sweeper once its target is back.
            enqueue_on_commit(_deliver_task(), job.pk)
    return jobs


def sync_job_deliver(*, job_id: int) -> SyncJob | None:
    """Deliver one job if it is due and nobody else holds it; returns None when there was nothing to do.

    Safe to run twice at once: only the worker whose conditional UPDATE flips the job to in-flight delivers,
    and only the holder of that claim may record the outcome.
    """
    # This wake-up is spent whatever happens next; the sweeper sends another only when the job is due again.
    SyncJob.objects.filter(pk=job_id, wake_sent_at__isnull=False).update(wake_sent_at=None)
    if _target_waiting(job_id):
        return None  # The sweeper hands the job out again once the target is back.
    job = _claim(job_id)
    if job is None:
        return None
    target = job.target
    started = timezone.now()
    clock = time.monotonic()
    try:
        result = target_for_kind(target.kind).deliver(target=target, job=job)
    except TargetDeferred as deferral:
        retry_after = deferral.retry_after or 60
        _release(job, retry_after=retry_after, message=deferral.message)
        SyncTarget.objects.filter(pk=target.pk).update(paused_until=timezone.now() + timedelta(seconds=retry_after))
        return job
    except TargetError as error:
        _record_failure(job, error, started=started, duration=time.monotonic() - clock)
        return job
    except Exception as error:
        # A bug in a target must not wedge the job: log it, retry later like a transient error.
        logger.exception("Sync target %s crashed on job %s", target.name, job.pk)
        unexpected = TargetError(f"Unexpected error: {error.__class__.__name__}: {error}", permanent=False)
        _record_failure(job, unexpected, started=started, duration=time.monotonic() - clock)
        return job
    _record_success(job, result, started=started, duration=time.monotonic() - clock)
    return job


def sync_jobs_requeue_due(*, limit: int = 1000) -> list[int]:
    """Sweeper: hand out again jobs whose worker died holding them (lease expired), and publish one wake-up per
    due job that has none on its way (or whose wake-up was sent so long ago that the message must be lost)."""
    now = timezone.now()
    expired = _requeue_expired_leases(now, limit)
    due = sync_due_job_ids(now=now, limit=limit, woken_before=now - timedelta(seconds=settings.SYNC_LEASE_SECONDS))
    SyncJob.objects.filter(pk__in=due).update(wake_sent_at=now)
    for job_id in due:
        enqueue(_deliver_task(), job_id)
    if expired:
        logger.warning("Re-queued %d sync jobs whose worker stopped mid-delivery: %s", len(expired), expired)
    return due


def _requeue_expired_leases(now: Any, limit: int) -> list[int]:
    """Jobs whose worker stopped mid-delivery go back to pending; the attempt they spent gets its row."""
    message = "The worker delivering this job stopped before finishing; delivering again."
    with transaction.atomic():
        expired = list(
            SyncJob.objects.select_for_update(skip_locked=True)
            .filter(state=JobState.IN_FLIGHT, claimed_until__lt=now)
            .values_list("pk", "target_id", "claimed_until")[:limit]
        )
        SyncJob.objects.filter(pk__in=[pk for pk, _, _ in expired], state=JobState.IN_FLIGHT).update(
            state=JobState.PENDING, claim_token=None, claimed_until=None, next_attempt_at=now, last_error=message
        )
        lease = timedelta(seconds=settings.SYNC_LEASE_SECONDS)
        DeliveryAttempt.objects.bulk_create(
            DeliveryAttempt(
                job_id=pk,
                target_id=target_id,
                started_at=claimed_until - lease,
                duration_ms=int(lease.total_seconds() * 1000),
                outcome=Outcome.RETRY,
                error=message,
            )
            for pk, target_id, claimed_until in expired
        )
    return [pk for pk, _, _ in expired]


def _target_waiting(job_id: int) -> bool:
    """The job's target is switched off or asked us to wait: leave the job pending, untouched."""
    return SyncJob.objects.filter(
        Q(target__enabled=False) | Q(target__paused_until__gt=timezone.now()), pk=job_id
    ).exists()


def sync_jobs_retry(*, jobs: QuerySet[SyncJob], actor: Any) -> int:
    """Put failed or dead jobs back in the queue now, with a fresh retry window. Returns how many."""
    now = timezone.now()
    with transaction.atomic():
        job_ids = list(jobs.filter(state__in=RETRYABLE_STATES).values_list("pk", flat=True))
        SyncJob.objects.filter(pk__in=job_ids, state__in=RETRYABLE_STATES).update(
            state=JobState.PENDING, attempts=0, next_attempt_at=now, finished_at=None, retry_from=now, wake_sent_at=now
        )
        for job_id in job_ids:
            enqueue_on_commit(_deliver_task(), job_id)
    logger.info("%s put %d sync jobs back in the queue", actor, len(job_ids))
    return len(job_ids)


def sync_target_retry_all(*, target: SyncTarget, actor: Any) -> int:
    return sync_jobs_retry(jobs=SyncJob.objects.filter(target=target), actor=actor)


def sync_target_enable(*, target: SyncTarget, actor: Any) -> int:
    """Switch a target on again: forget why it was off and deliver the jobs held meanwhile (with a fresh retry
    window, since they could not be tried). Returns how many held jobs were sent on their way."""
    now = timezone.now()
    with transaction.atomic():
        SyncTarget.objects.filter(pk=target.pk).update(enabled=True, disabled_reason="", paused_until=None)
        held = SyncJob.objects.filter(target=target, state=JobState.PENDING)
        job_ids = list(held.values_list("pk", flat=True))
        held.update(next_attempt_at=now, retry_from=now, wake_sent_at=now)
        for job_id in job_ids:
            enqueue_on_commit(_deliver_task(), job_id)
    target.enabled, target.disabled_reason, target.paused_until = True, "", None
    logger.info("%s switched sync target %s on; %d held job(s) on their way", actor, target.name, len(job_ids))
    return len(job_ids)


def sync_target_pause(*, target: SyncTarget, actor: Any) -> None:
    """A manager holds a target's deliveries (e.g. while the receiving system is maintained): new jobs wait in
    the outbox until `sync_target_enable` sends them on."""
    who = actor.get_username() if actor is not None else "system"
    reason = f"Paused by {who} on {timezone.localdate():%Y-%m-%d}."
    sync_target_disable(target=target, reason=reason)
    target.enabled, target.disabled_reason = False, reason


def sync_target_save(*, target: SyncTarget, actor: Any) -> SyncTarget:
    """Save a target's name and its kind's settings (already checked by the kind's settings form)."""
    if target.pk is None and SyncTarget.objects.filter(name=target.name).exists():
        raise ApplicationError(f"A sync target named {target.name} exists already; choose another name.")
    target.save()
    logger.info("%s saved sync target %s", actor, target.name)
    return target


def sync_target_resync(
    *, target: SyncTarget, batch_size: int = 500, progress: Callable[[int], None] | None = None
) -> int:
    """Queue the customer payload of every converted lead for one target (a full re-sync). Targets are
    idempotent, so customers already there are matched, not duplicated. Returns the number of jobs."""
    if not target.enabled:
        raise ApplicationError(f"Target {target.name} is switched off; enable it before a re-sync.")
    leads = Lead.objects.filter(state=LeadState.CONVERTED).select_related("conversion").order_by("pk")
    created = 0
    batch: list[Lead] = []
    for lead in leads.iterator(chunk_size=batch_size):
        batch.append(lead)
        if len(batch) == batch_size:
            created += _resync_batch(target, batch)
            _report(progress, len(batch))
            batch = []
    if batch:
        created += _resync_batch(target, batch)
        _report(progress, len(batch))
    return created


def _report(progress: Callable[[int], None] | None, done: int) -> None:
    if progress is not None:
        progress(done)


def _resync_batch(target: SyncTarget, leads: list[Lead]) -> int:
    with transaction.atomic():
        jobs = []
        for lead in leads:
            payload = customer_payload(lead=lead, conversion=getattr(lead, "conversion", None))
            jobs += outbox_enqueue(lead=lead, event=CUSTOMER_CONVERTED, payload=payload, targets=[target])
    return len(jobs)


def _deliver_task() -> Any:
    from leadflow.sync.tasks import deliver_sync_job

    return deliver_sync_job


def _claim(job_id: int) -> SyncJob | None:
    now = timezone.now()
    token = uuid.uuid4()
    claimed = SyncJob.objects.filter(pk=job_id, state=JobState.PENDING, next_attempt_at__lte=now).update(
        state=JobState.IN_FLIGHT,
        claim_token=token,
        claimed_until=now + timedelta(seconds=settings.SYNC_LEASE_SECONDS),
        attempts=F("attempts") + 1,
    )
    if not claimed:
        return None
    return SyncJob.objects.select_related("target").get(pk=job_id)


def _finish(job: SyncJob, **changes: Any) -> bool:
    """Record an outcome if this worker still holds the job (its lease may have expired and passed on)."""
    changes.setdefault("claim_token", None)
    changes.setdefault("claimed_until", None)
    updated = SyncJob.objects.filter(pk=job.pk, state=JobState.IN_FLIGHT, claim_token=job.claim_token).update(
        **changes, updated_at=timezone.now()
    )
    for name, value in changes.items():
        setattr(job, name, value)
    return bool(updated)


def _release(job: SyncJob, *, retry_after: float, message: str) -> None:
    """Give a job back without spending an attempt (no call was made)."""
    _finish(
        job,
        state=JobState.PENDING,
        attempts=F("attempts") - 1,
        next_attempt_at=timezone.now() + timedelta(seconds=retry_after),
        last_error=message,
    )
    job.refresh_from_db()


def _record_success(job: SyncJob, result: DeliveryResult, *, started: Any, duration: float) -> None:
    if _finish(job, state=JobState.DONE, finished_at=timezone.now(), last_error=""):
        _attempt(job, Outcome.DELIVERED, started, duration, status_code=result.status_code, detail=result.detail)


def _record_failure(job: SyncJob, error: TargetError, *, started: Any, duration: float) -> None:
    now = timezone.now()
    if error.disable_target:
        # The receiver switched the target off: this job is held with every later one until it is back on.
        state, outcome, next_at = JobState.PENDING, Outcome.RETRY, now
    elif error.permanent:
        state, outcome, next_at = JobState.FAILED, Outcome.FAILED, now
    else:
        next_at = now + timedelta(seconds=error.retry_after or backoff_seconds(job.attempts))
        gave_up = job.attempts >= settings.SYNC_MAX_ATTEMPTS or next_at > _window_end(job)
        state, outcome = (JobState.DEAD, Outcome.DEAD) if gave_up else (JobState.PENDING, Outcome.RETRY)
    finished_at = now if state != JobState.PENDING else None
    if _finish(job, state=state, next_attempt_at=next_at, last_error=error.message, finished_at=finished_at):
        _attempt(job, outcome, started, duration, status_code=error.status_code, error=error.message)
    if error.disable_target:
        sync_target_disable(target=job.target, reason=error.message)
    elif error.pause_target:
        # "Too many requests" speaks for the whole target: no job of it goes out before the wait is over.
        SyncTarget.objects.filter(pk=job.target_id).update(paused_until=next_at)


def sync_target_disable(*, target: SyncTarget, reason: str) -> None:
    SyncTarget.objects.filter(pk=target.pk).update(enabled=False, disabled_reason=reason[:255])
    logger.error("Sync target %s switched off: %s", target.name, reason)


def _window_end(job: SyncJob) -> Any:
    return job.retry_from + timedelta(seconds=settings.SYNC_RETRY_WINDOW_SECONDS)


def backoff_seconds(attempts: int) -> float:
    """Exponential backoff with jitter: base·2^(n-1), capped, then a random 50-100% of it so that jobs
    failing together do not come back together."""
    ceiling = min(settings.SYNC_BACKOFF_BASE_SECONDS * 2 ** max(attempts - 1, 0), settings.SYNC_BACKOFF_MAX_SECONDS)
    return ceiling * random.uniform(0.5, 1.0)


def _attempt(
    job: SyncJob,
    outcome: str,
    started: Any,
    duration: float,
    *,
    status_code: int | None,
    error: str = "",
    detail: str = "",
) -> None:
    DeliveryAttempt.objects.create(
        job=job,
        target_id=job.target_id,
        started_at=started,
        duration_ms=int(duration * 1000),
        outcome=outcome,
        status_code=status_code,
        error=error,
        detail=detail,
    )
