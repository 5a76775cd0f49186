"""Conversion of qualified leads into the CRM: preview, request, the worker's run, retries and the sweeper.

Which CRM (Salesforce, Pipedrive) is the lead source's setting, fixed on the `Conversion` row when it is
requested; the CRM itself is behind `leadflow.crm.targets.CrmTarget`. Guarantees, whatever the CRM: a lead is
marked converted only in the transaction that stores the ids the CRM returned after committing; a target's run
is safe to repeat after a lost answer (it finds what the earlier attempt made); the `Conversion` row is the
record of pending work, claimed by one worker at a time.
"""

import logging
import random
from collections.abc import Iterable, Sequence
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from leadflow.core.exceptions import ExternalServiceError, TransitionBlocked, TransitionNotAllowed
from leadflow.core.plugins import load_objects
from leadflow.core.tasks import enqueue_on_commit
from leadflow.crm.models import Conversion, ConversionStatus, new_external_key
from leadflow.crm.targets import REFERENCES, Converted, CrmTarget, crm_name_for_source, crm_target
from leadflow.integrations.salesforce.payload import Deal
from leadflow.leads.gates import blocking_reasons
from leadflow.leads.models import Lead, LeadEvent, LeadState
from leadflow.leads.services import Actor, actor_fields, lead_event_record, lead_transition

logger = logging.getLogger(__name__)

# Leads per convert_leads task: the largest batch a target takes (Salesforce: 75 graphs per Composite Graph call).
BATCH_SIZE = 75
RETRY_BASE_SECONDS = 30
RETRY_MAX_SECONDS = 3600
QUOTA_WAIT_SECONDS = 900  # a CRM's daily quota: waiting minutes, not seconds, helps
NOT_PICKED_UP_SECONDS = 60  # a fresh request whose task has not claimed it by then is re-enqueued


# Preview and request: called by people (admin, sales workspace)


def lead_crm(*, lead: Lead) -> CrmTarget:
    """The CRM the lead converts (or converted) into: its conversion's, else its source's."""
    name = Conversion.objects.filter(lead=lead).values_list("crm", flat=True).first()
    return crm_target(name or crm_name_for_source(lead.source))


def lead_conversion_preview(*, lead: Lead, deal: Deal | None = None) -> Any:
    """What converting the lead would create or link in its CRM now, and what the CRM would refuse (see
    CrmTarget.preview); writes nothing."""
    key = Conversion.objects.filter(lead=lead).values_list("external_key", flat=True).first() or new_external_key()
    return lead_crm(lead=lead).preview(lead=lead, external_key=key, deal=deal or Deal())


def lead_convert_request(*, lead: Lead, actor: Actor, deal: Deal | None = None) -> Conversion:
    """Queue the lead's conversion, with the person's choices for the Opportunity (`deal`; None: the admin's
    defaults). The lead stays qualified until the CRM has committed the records.

    Asking again while a conversion is pending returns it unchanged; after a failure it starts afresh.
    """
    from leadflow.crm.tasks import convert_lead

    with transaction.atomic():
        conversion = _conversion_requested(lead=lead, actor=actor, deal=deal or Deal())
        enqueue_on_commit(convert_lead, lead.pk)
    return conversion


def leads_convert_request(*, leads: Iterable[Lead], actor: Actor) -> tuple[list[Conversion], dict[int, str]]:
    """Queue many conversions, run in batches. Returns the requested conversions and, per refused lead id, why."""
    from leadflow.crm.tasks import convert_leads

    requested, refused = [], {}
    for lead in leads:
        try:
            with transaction.atomic():
                requested.append(_conversion_requested(lead=lead, actor=actor))
        except (TransitionNotAllowed, TransitionBlocked) as exc:
            refused[lead.pk] = exc.full_message
    lead_ids = [conversion.lead_id for conversion in requested]
    for start in range(0, len(lead_ids), BATCH_SIZE):
        enqueue_on_commit(convert_leads, lead_ids[start : start + BATCH_SIZE])
    return requested, refused


def _conversion_requested(*, lead: Lead, actor: Actor, deal: Deal | None = None) -> Conversion:
    lead = Lead.objects.select_for_update().get(pk=lead.pk)
    if lead.state != LeadState.QUALIFIED:
        raise TransitionNotAllowed(
            f"Only qualified leads can be converted; lead {lead.pk} is {lead.get_state_display().lower()}.",
            extra={"state": lead.state},
        )
    reasons = blocking_reasons(lead, "convert")
    if reasons:
        raise TransitionBlocked(f"Cannot convert lead {lead.pk} yet.", reasons=reasons)
    conversion = Conversion.objects.select_for_update().filter(lead=lead).first()
    if conversion is not None and conversion.is_pending:
        return conversion
    who = actor_fields(actor)
    conversion = conversion or Conversion(lead=lead)
    if not conversion.account_id:  # records already made stay in their CRM
        conversion.crm = crm_name_for_source(lead.source)
    conversion.status = ConversionStatus.REQUESTED
    conversion.requested_by, conversion.requested_by_label = who["actor"], who["actor_label"]
    conversion.requested_at = timezone.now()
    conversion.attempts, conversion.next_attempt_at, conversion.claimed_at = 0, None, None
    conversion.last_error = conversion.error_code = ""
    deal = deal or Deal()
    conversion.create_opportunity = deal.create_opportunity
    conversion.opportunity_name, conversion.opportunity_stage = deal.name, deal.stage
    conversion.opportunity_amount, conversion.opportunity_close_date = deal.amount, deal.close_date
    conversion.save()
    lead_event_record(
        lead=lead,
        kind=LeadEvent.Kind.CONVERSION,
        actor=actor,
        reason=f"Conversion to {conversion.crm_label} requested.",
    )
    return conversion


# The worker's run


def lead_convert_run(*, lead_id: int) -> Conversion | None:
    """Task body for one lead; None when there was nothing due (already done, claimed elsewhere, waiting)."""
    conversions = leads_convert_run(lead_ids=[lead_id])
    if not conversions:
        return None
    conversions[0].refresh_from_db()
    return conversions[0]


def leads_convert_run(*, lead_ids: Sequence[int]) -> list[Conversion]:
    """Convert the due conversions of these leads: per batch one lookup call and one write call."""
    finished: list[Conversion] = []
    queue = list(lead_ids)
    while queue:
        batch, queue = queue[:BATCH_SIZE], queue[BATCH_SIZE:]
        done, deferred = _run_batch(batch)
        finished += done
        queue += deferred
    return finished


def _run_batch(lead_ids: Sequence[int]) -> tuple[list[Conversion], list[int]]:
    """Returns the conversions handled and the lead ids to run in a later batch (e.g. they share a new Account)."""
    handled: list[Conversion] = []
    later: list[int] = []
    by_crm: dict[str, list[int]] = {}
    for lead_id, crm in Conversion.objects.filter(lead_id__in=lead_ids).values_list("lead_id", "crm"):
        by_crm.setdefault(crm, []).append(lead_id)
    for crm, ids in by_crm.items():
        done, deferred = _run_target_batch(crm_target(crm), ids)
        handled += done
        later += deferred
    return handled, later


def _run_target_batch(target: CrmTarget, lead_ids: Sequence[int]) -> tuple[list[Conversion], list[int]]:
    wait = target.quota_wait(calls=2)
    if wait is not None:
        Conversion.objects.filter(_due(timezone.now()), lead_id__in=lead_ids).update(
            next_attempt_at=timezone.now() + timedelta(seconds=wait.seconds),
            last_error=wait.message,
            error_code=wait.code,
        )
        return [], []
    claimed = _claim(lead_ids)
    ready = []
    for conversion in claimed:
        if conversion.lead.state == LeadState.QUALIFIED:
            ready.append(conversion)
        else:
            state = conversion.lead.get_state_display().lower()
            error = ExternalServiceError(f"The lead is {state} now, so it was not converted.", permanent=True)
            _record_failure(conversion, error, calls=0)
    if not ready:
        return claimed, []
    result = target.convert(ready)
    deferred = [c for c, outcome in zip(ready, result.outcomes, strict=True) if outcome is None]
    _release(deferred)
    attempted = len(ready) - len(deferred)
    share = result.calls / attempted if attempted else 0
    for conversion, outcome in zip(ready, result.outcomes, strict=True):
        if isinstance(outcome, ExternalServiceError):
            _record_failure(conversion, outcome, calls=share)
        elif isinstance(outcome, Converted):
            _record_success(conversion, outcome, calls=share)
    handled = [c for c in claimed if c not in deferred]
    return handled, [c.lead_id for c in deferred]


def _claim(lead_ids: Sequence[int]) -> list[Conversion]:
    """Take the due conversions of these leads for this worker; others running at once skip them."""
    now = timezone.now()
    with transaction.atomic():
        claimed = list(
            Conversion.objects.select_for_update(skip_locked=True)
            .filter(_due(now), lead_id__in=lead_ids)
            .values_list("pk", flat=True)
        )
        Conversion.objects.filter(pk__in=claimed).update(
            status=ConversionStatus.IN_PROGRESS, claimed_at=now, attempts=F("attempts") + 1
        )
    claimed_conversions = Conversion.objects.filter(pk__in=claimed).select_related("lead", "requested_by")
    return list(claimed_conversions.order_by("requested_at", "pk"))  # first come, first served


def _release(conversions: Sequence[Conversion]) -> None:
    """Give claimed conversions back, due at once and without counting the attempt."""
    Conversion.objects.filter(pk__in=[c.pk for c in conversions], status=ConversionStatus.IN_PROGRESS).update(
        status=ConversionStatus.REQUESTED, claimed_at=None, next_attempt_at=None, attempts=F("attempts") - 1
    )


def _due(now: Any) -> Q:
    return Q(status=ConversionStatus.REQUESTED) & (Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))


def _record_success(conversion: Conversion, converted: Converted, *, calls: float) -> None:
    """Store the ids and mark the lead converted, hooks included, in one transaction."""
    with transaction.atomic():
        conversion = (
            Conversion.objects.select_for_update(of=("self",))
            .select_related("lead", "requested_by")
            .get(pk=conversion.pk)
        )
        for reference, (record_id, action) in converted.records.items():
            setattr(conversion, f"{reference}_id", record_id)
            setattr(conversion, f"{reference}_action", action)
        conversion.api_calls += calls
        conversion.completed_at = timezone.now()
        conversion.claimed_at = conversion.next_attempt_at = None
        conversion.last_error = conversion.error_code = ""
        actor = conversion.requested_by or conversion.requested_by_label or None
        summary = _summary(conversion)
        try:
            with transaction.atomic():
                conversion.status = ConversionStatus.DONE
                conversion.save()
                lead = _lead_mark_converted(conversion, actor=actor, reason=summary)
                lead_event_record(
                    lead=lead, kind=LeadEvent.Kind.CONVERSION, actor=actor, reason=summary, data=_event_data(conversion)
                )
                for hook in load_objects("LEADFLOW_CONVERSION_HOOKS"):
                    hook(lead=lead, conversion=conversion)
        except (TransitionNotAllowed, TransitionBlocked) as exc:
            # The CRM committed but the lead moved on meanwhile: keep the ids, tell people, do not convert.
            conversion.status = ConversionStatus.FAILED
            conversion.last_error = (
                f"{conversion.crm_label} holds the records, but the lead could not be marked converted: {exc.message}"
            )
            conversion.save()
            lead_event_record(
                lead=conversion.lead,
                kind=LeadEvent.Kind.CONVERSION,
                actor=None,
                reason=conversion.last_error,
                data=_event_data(conversion),
            )


def _lead_mark_converted(conversion: Conversion, *, actor: Actor, reason: str) -> Lead:
    """The one place a lead becomes converted: only once its CRM holds its account and contact. The gates of
    settings.LEADFLOW_GATES["convert"] (checked when the conversion was requested) are asked again by the
    transition."""
    if not conversion.committed:
        raise TransitionBlocked(
            f"Cannot convert lead {conversion.lead_id} yet.",
            reasons=["Not in the CRM yet: the account and contact ids are unknown."],
        )
    return lead_transition(lead=conversion.lead, name="convert", actor=actor, reason=reason)


def _record_failure(conversion: Conversion, error: ExternalServiceError, *, calls: float) -> None:
    """A transient error schedules a retry with backoff; a permanent one (or too many) leaves the lead qualified."""
    code = error.extra.get("code", "")
    give_up = error.permanent or conversion.attempts >= settings.LEADFLOW_CONVERSION_MAX_ATTEMPTS
    delay = max(_retry_delay(conversion.attempts, code), error.extra.get("retry_after") or 0)
    next_attempt = None if give_up else timezone.now() + timedelta(seconds=delay)
    Conversion.objects.filter(pk=conversion.pk, status=ConversionStatus.IN_PROGRESS).update(
        status=ConversionStatus.FAILED if give_up else ConversionStatus.REQUESTED,
        next_attempt_at=next_attempt,
        claimed_at=None,
        last_error=error.message,
        error_code=code,
        api_calls=F("api_calls") + calls,
    )
    if give_up:
        lead_event_record(
            lead=conversion.lead,
            kind=LeadEvent.Kind.CONVERSION,
            actor=None,
            reason=f"Conversion failed: {error.message}",
            data={"code": code, "attempts": conversion.attempts},
        )
    else:
        logger.info("Conversion of lead %s will be retried at %s: %s", conversion.lead_id, next_attempt, error.message)


def _retry_delay(attempts: int, code: str) -> float:
    base = QUOTA_WAIT_SECONDS if code == "REQUEST_LIMIT_EXCEEDED" else RETRY_BASE_SECONDS
    return min(base * 2 ** max(attempts - 1, 0), RETRY_MAX_SECONDS) * random.uniform(0.8, 1.2)


def _summary(conversion: Conversion) -> str:
    target = crm_target(conversion.crm)
    parts = [
        f"{target.record_name(reference)} {getattr(conversion, f'{reference}_id')} "
        f"{getattr(conversion, f'{reference}_action')}"
        for reference in REFERENCES
        if getattr(conversion, f"{reference}_id")
    ]
    return f"Converted in {target.label}: " + ", ".join(parts) + "."


def _event_data(conversion: Conversion) -> dict[str, Any]:
    return {
        **{f"{ref}_id": getattr(conversion, f"{ref}_id") for ref in REFERENCES},
        **{f"{ref}_action": getattr(conversion, f"{ref}_action") for ref in REFERENCES},
        "api_calls": round(conversion.api_calls, 3),
    }


# The sweeper


def conversions_requeue_due(*, stuck_after_seconds: int, limit: int = 1000) -> list[int]:
    """Lead ids whose conversion is due: retries whose time has come, requests never picked up, and
    attempts a killed worker left in progress (reset here; the retry finds what it made, so nothing doubles)."""
    now = timezone.now()
    Conversion.objects.filter(
        status=ConversionStatus.IN_PROGRESS, claimed_at__lt=now - timedelta(seconds=stuck_after_seconds)
    ).update(status=ConversionStatus.REQUESTED, claimed_at=None, next_attempt_at=now)
    due = Q(status=ConversionStatus.REQUESTED) & (
        Q(next_attempt_at__lte=now)
        | Q(next_attempt_at__isnull=True, requested_at__lt=now - timedelta(seconds=NOT_PICKED_UP_SECONDS))
    )
    return list(Conversion.objects.filter(due).order_by("requested_at").values_list("lead_id", flat=True)[:limit])
