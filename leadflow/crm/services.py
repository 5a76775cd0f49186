"""Conversion of qualified leads into Salesforce: preview, request, the worker's run, retries and the sweeper.

Guarantees: a lead is marked converted only in the transaction that stores the ids Salesforce returned
after committing; all records of one lead are written in one all-or-nothing request of upserts keyed by
the conversion's external key, so a retry after a lost answer updates instead of duplicating; the
`Conversion` row is the record of pending work, claimed by one worker at a time.
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
from leadflow.integrations.salesforce.client import (
    MAX_GRAPHS_PER_REQUEST,
    ROLLED_BACK,
    SalesforceClient,
    api_budget,
    failure_from,
)
from leadflow.integrations.salesforce.payload import (
    ConversionPlan,
    ConversionPlanner,
    Deal,
    deferred_for_shared_accounts,
)
from leadflow.leads.gates import blocking_reasons
from leadflow.leads.models import Lead, LeadEvent, LeadState
from leadflow.leads.services import Actor, actor_fields, lead_event_record, lead_transition

logger = logging.getLogger(__name__)

# Leads per lookup and per Composite Graph call: one graph per lead, and Salesforce takes at most 75 graphs
# per request (at most 5 nodes each stays well below the 500-node limit).
BATCH_SIZE = MAX_GRAPHS_PER_REQUEST
RETRY_BASE_SECONDS = 30
RETRY_MAX_SECONDS = 3600
QUOTA_WAIT_SECONDS = 900  # the org's quota is a rolling 24 hours: waiting minutes, not seconds, helps
NOT_PICKED_UP_SECONDS = 60  # a fresh request whose task has not claimed it by then is re-enqueued
REFERENCES = ("account", "contact", "opportunity")
# What each write of a conversion is, for people reading why Salesforce refused it.
WRITE_SUBJECTS = {
    "account": "the Account",
    "contact": "the Contact",
    "opportunity": "the Opportunity",
    "accountUpdate": "the update of the existing Account",
    "contactUpdate": "the update of the existing Contact",
    "contactRole": "the Contact's role on the Opportunity",
}
DOES_NOT_FIT = "DOES_NOT_FIT_ORG"  # error code of a conversion stopped before sending (see ConversionPlan.problems)


# Preview and request: called by people (admin, sales workspace)


def lead_conversion_preview(*, lead: Lead, deal: Deal | None = None) -> ConversionPlan:
    """What converting the lead would create or link in Salesforce now, and what Salesforce would refuse.
    One API call (plus the describe, cached for an hour); writes nothing."""
    key = Conversion.objects.filter(lead=lead).values_list("external_key", flat=True).first() or new_external_key()
    return ConversionPlanner(SalesforceClient()).plan([(lead, key, deal or Deal())])[0]


def lead_convert_request(*, lead: Lead, actor: Actor, deal: Deal | None = None) -> Conversion:
    """Queue the lead's conversion, with the person's choices for the Opportunity (`deal`; None: the admin's
    defaults). The lead stays qualified until Salesforce has committed the records.

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
        lead=lead, kind=LeadEvent.Kind.CONVERSION, actor=actor, reason="Conversion to Salesforce requested."
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
    """Returns the conversions handled and the lead ids to run in a later batch (they share a new Account)."""
    if not _quota_allows(calls=2):
        _postpone_for_quota(lead_ids)
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
    client = SalesforceClient()
    deferred: list[Conversion] = []
    try:
        plans = ConversionPlanner(client).plan([(c.lead, c.external_key, c.deal()) for c in ready])
        later = deferred_for_shared_accounts(plans)
        deferred = [ready[i] for i in later]
        _release(deferred)
        ready = [c for i, c in enumerate(ready) if i not in later]
        plans = [p for i, p in enumerate(plans) if i not in later]
        outcomes = _write(client, plans)
    except ExternalServiceError as exc:
        for conversion in ready:
            _record_failure(conversion, exc, calls=client.calls / len(ready))
        return ready, [c.lead_id for c in deferred]
    share = client.calls / len(ready) if ready else 0
    for conversion, plan, outcome in zip(ready, plans, outcomes, strict=True):
        if isinstance(outcome, ExternalServiceError):
            _record_failure(conversion, outcome, calls=share)
        else:
            _record_success(conversion, plan, outcome, calls=share)
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


def _write(client: SalesforceClient, plans: list[ConversionPlan]) -> list[dict[str, str] | ExternalServiceError]:
    """Send every plan's writes: a Composite for one lead, Composite Graphs (a graph per lead, 75 per call) for
    more. A plan Salesforce would refuse (see ConversionPlan.problems) is not sent.

    Returns per plan the record ids by reference, or the error that rolled that lead's writes back.
    """
    outcomes: list[dict[str, str] | ExternalServiceError] = [{} for _ in plans]
    pending = []
    for index, plan in enumerate(plans):
        if plan.problems:
            outcomes[index] = ExternalServiceError(
                "Not sent to Salesforce, which would refuse it: " + " ".join(plan.problems),
                permanent=True,
                extra={"code": DOES_NOT_FIT},
            )
        elif plan.subrequests():
            pending.append(index)
    if len(pending) == 1:
        outcomes[pending[0]] = _outcome(client.composite(plans[pending[0]].subrequests(), all_or_none=True))
        return outcomes
    while pending:
        graphs = [{"graphId": f"lead{plans[i].lead.pk}", "compositeRequest": plans[i].subrequests()} for i in pending]
        halted = []
        for index, graph in zip(pending, client.composite_graph(graphs), strict=True):
            answer = graph["graphResponse"]["compositeResponse"]
            if all(_rolled_back(node) for node in answer):
                halted.append(index)  # never attempted: Salesforce stopped after too many failed graphs
            else:
                outcomes[index] = _outcome(answer)
        if len(halted) == len(pending):
            error = failure_from(400, answer[0]["body"]).as_error()
            for index in halted:
                outcomes[index] = error
            break
        pending = halted
    return outcomes


def _outcome(answer: list[dict]) -> dict[str, str] | ExternalServiceError:
    failed = [each for each in answer if each["httpStatusCode"] >= 300]
    if not failed:
        return {each["referenceId"]: each["body"]["id"] for each in answer if each["referenceId"] in REFERENCES}
    real = next((each for each in failed if not _rolled_back(each)), failed[0])
    failure = failure_from(real["httpStatusCode"], real["body"])
    return failure.as_error(WRITE_SUBJECTS.get(real["referenceId"], ""))


def _rolled_back(subresponse: dict) -> bool:
    body = subresponse.get("body")
    return isinstance(body, list) and all(isinstance(e, dict) and e.get("errorCode") == ROLLED_BACK for e in body)


def _record_success(conversion: Conversion, plan: ConversionPlan, ids: dict[str, str], *, calls: float) -> None:
    """Store the ids and mark the lead converted, hooks included, in one transaction."""
    with transaction.atomic():
        conversion = (
            Conversion.objects.select_for_update(of=("self",))
            .select_related("lead", "requested_by")
            .get(pk=conversion.pk)
        )
        for reference, record in zip(REFERENCES, plan.records, strict=True):
            setattr(conversion, f"{reference}_id", ids.get(reference, record.record_id))
            setattr(conversion, f"{reference}_action", record.action)
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
            # Salesforce committed but the lead moved on meanwhile: keep the ids, tell people, do not convert.
            conversion.status = ConversionStatus.FAILED
            conversion.last_error = (
                f"Salesforce holds the records, but the lead could not be marked converted: {exc.message}"
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
    """The one place a lead becomes converted: only once Salesforce holds its Account and Contact. The gates of
    settings.LEADFLOW_GATES["convert"] (checked when the conversion was requested) are asked again by the
    transition."""
    if not conversion.committed:
        raise TransitionBlocked(
            f"Cannot convert lead {conversion.lead_id} yet.",
            reasons=["Not in Salesforce yet: the Account and Contact ids are unknown."],
        )
    return lead_transition(lead=conversion.lead, name="convert", actor=actor, reason=reason)


def _record_failure(conversion: Conversion, error: ExternalServiceError, *, calls: float) -> None:
    """A transient error schedules a retry with backoff; a permanent one (or too many) leaves the lead qualified."""
    code = error.extra.get("code", "")
    give_up = error.permanent or conversion.attempts >= settings.LEADFLOW_CONVERSION_MAX_ATTEMPTS
    next_attempt = None if give_up else timezone.now() + timedelta(seconds=_retry_delay(conversion.attempts, code))
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


def _quota_allows(*, calls: int) -> bool:
    budget = api_budget()
    return budget is None or budget.remaining >= settings.SALESFORCE_API_RESERVE + calls


def _postpone_for_quota(lead_ids: Sequence[int]) -> None:
    budget = api_budget()
    message = (
        f"Salesforce's daily API quota is nearly used up ({budget.remaining} of {budget.limit} calls left); "
        "the conversion waits and is retried automatically."
    )
    Conversion.objects.filter(_due(timezone.now()), lead_id__in=lead_ids).update(
        next_attempt_at=timezone.now() + timedelta(seconds=QUOTA_WAIT_SECONDS),
        last_error=message,
        error_code="REQUEST_LIMIT_EXCEEDED",
    )


def _summary(conversion: Conversion) -> str:
    parts = [
        f"{sobject} {getattr(conversion, f'{reference}_id')} {getattr(conversion, f'{reference}_action')}"
        for reference, sobject in zip(REFERENCES, ("Account", "Contact", "Opportunity"), strict=True)
        if getattr(conversion, f"{reference}_id")
    ]
    return "Converted in Salesforce: " + ", ".join(parts) + "."


def _event_data(conversion: Conversion) -> dict[str, Any]:
    return {
        **{f"{ref}_id": getattr(conversion, f"{ref}_id") for ref in REFERENCES},
        **{f"{ref}_action": getattr(conversion, f"{ref}_action") for ref in REFERENCES},
        "api_calls": round(conversion.api_calls, 3),
    }


# The sweeper


def conversions_requeue_due(*, stuck_after_seconds: int, limit: int = 1000) -> list[int]:
    """Lead ids whose conversion is due: retries whose time has come, requests never picked up, and
    attempts a killed worker left in progress (reset here; the retry upserts, so nothing doubles)."""
    now = timezone.now()
    Conversion.objects.filter(
        status=ConversionStatus.IN_PROGRESS, claimed_at__lt=now - timedelta(seconds=stuck_after_seconds)
    ).update(status=ConversionStatus.REQUESTED, claimed_at=None, next_attempt_at=now)
    due = Q(status=ConversionStatus.REQUESTED) & (
        Q(next_attempt_at__lte=now)
        | Q(next_attempt_at__isnull=True, requested_at__lt=now - timedelta(seconds=NOT_PICKED_UP_SECONDS))
    )
    return list(Conversion.objects.filter(due).order_by("requested_at").values_list("lead_id", flat=True)[:limit])
