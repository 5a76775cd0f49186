"""Reads for the sync monitor page, the lead page and the alert check (a fixed number of queries each)."""

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.db.models import Count, Min, Q
from django.utils import timezone

from leadflow.leads.models import Lead
from leadflow.sync.models import RETRYABLE_STATES, DeliveryAttempt, JobState, SyncJob, SyncTarget
from leadflow.sync.targets import target_for_kind

Outcome = DeliveryAttempt.Outcome
# Periods the monitor counts deliveries over.
PERIODS = {"last hour": timedelta(hours=1), "last 24 hours": timedelta(days=1), "last 7 days": timedelta(days=7)}


@dataclass
class TargetHealth:
    target: SyncTarget
    description: str
    queued: int
    in_flight: int
    oldest_pending_at: datetime | None
    retryable: int
    # Period name -> (delivered, failed attempts).
    counts: dict[str, tuple[int, int]] = field(default_factory=dict)
    latest_errors: list[DeliveryAttempt] = field(default_factory=list)
    latest_deliveries: list[DeliveryAttempt] = field(default_factory=list)


def sync_target_health(*, now: datetime | None = None, errors_per_target: int = 5) -> list[TargetHealth]:
    now = now or timezone.now()
    queue = Q(jobs__state=JobState.PENDING)
    targets = SyncTarget.objects.annotate(
        queued=Count("jobs", filter=queue),
        in_flight=Count("jobs", filter=Q(jobs__state=JobState.IN_FLIGHT)),
        oldest_pending_at=Min("jobs__created_at", filter=queue | Q(jobs__state=JobState.IN_FLIGHT)),
        retryable=Count("jobs", filter=Q(jobs__state__in=RETRYABLE_STATES)),
    )
    health = {
        t.pk: TargetHealth(
            t, target_for_kind(t.kind).describe(target=t), t.queued, t.in_flight, t.oldest_pending_at, t.retryable
        )
        for t in targets
    }
    _add_counts(health, now)
    limit = errors_per_target * max(len(health), 1)
    for name, delivered in (("latest_errors", False), ("latest_deliveries", True)):
        for attempt in _latest_attempts(delivered=delivered, limit=limit):
            listed = getattr(health[attempt.target_id], name)
            if len(listed) < errors_per_target:
                listed.append(attempt)
    return list(health.values())


def sync_due_job_ids(*, now: datetime, limit: int, woken_before: datetime | None = None) -> list[int]:
    """Jobs to hand out now: pending, due, and for an enabled target that has not asked us to wait. With
    `woken_before`, only jobs without a wake-up on its way (none sent, or sent before that moment)."""
    jobs = SyncJob.objects.filter(state=JobState.PENDING, next_attempt_at__lte=now, target__enabled=True).exclude(
        target__paused_until__gt=now
    )
    if woken_before is not None:
        jobs = jobs.filter(Q(wake_sent_at__isnull=True) | Q(wake_sent_at__lt=woken_before))
    return list(jobs.order_by("next_attempt_at").values_list("pk", flat=True)[:limit])


def sync_retryable_jobs(*, target: SyncTarget | None = None, limit: int = 200) -> list[SyncJob]:
    jobs = SyncJob.objects.filter(state__in=RETRYABLE_STATES).select_related("target", "lead")
    if target is not None:
        jobs = jobs.filter(target=target)
    return list(jobs.order_by("-updated_at")[:limit])


def lead_sync_status(*, lead: Lead) -> list[SyncJob]:
    """The newest job per target for one lead: what each downstream system knows about this customer, with
    `job.payment_status` (what the customer owes there, as read back; "" when nothing is)."""
    newest: dict[int, SyncJob] = {}
    for job in SyncJob.objects.filter(lead=lead).select_related("target").order_by("target__name", "-created_at"):
        newest.setdefault(job.target_id, job)
    for job in newest.values():
        job.payment_status = target_for_kind(job.target.kind).payment_status(target=job.target, lead=lead)
    return list(newest.values())


def sync_recent_outcomes(*, target: SyncTarget, count: int) -> list[str]:
    return list(
        DeliveryAttempt.objects.filter(target=target)
        .order_by("-started_at", "-id")
        .values_list("outcome", flat=True)[:count]
    )


def _add_counts(health: dict[int, TargetHealth], now: datetime) -> None:
    failed = Q(outcome__in=[Outcome.RETRY, Outcome.FAILED, Outcome.DEAD])
    aggregates: dict[str, Any] = {}
    for index, span in enumerate(PERIODS.values()):
        since = Q(started_at__gte=now - span)
        aggregates[f"delivered_{index}"] = Count("id", filter=since & Q(outcome=Outcome.DELIVERED))
        aggregates[f"failed_{index}"] = Count("id", filter=since & failed)
    longest = max(PERIODS.values())
    rows = DeliveryAttempt.objects.filter(started_at__gte=now - longest).values("target_id").annotate(**aggregates)
    for row in rows:
        if row["target_id"] in health:
            health[row["target_id"]].counts = {
                name: (row[f"delivered_{index}"], row[f"failed_{index}"]) for index, name in enumerate(PERIODS)
            }
    for item in health.values():
        item.counts = item.counts or dict.fromkeys(PERIODS, (0, 0))


def _latest_attempts(*, delivered: bool, limit: int) -> list[DeliveryAttempt]:
    """The newest delivered (or failed) attempts of all targets, with their job's event and lead."""
    attempts = (
        DeliveryAttempt.objects.filter(outcome=Outcome.DELIVERED)
        if delivered
        else DeliveryAttempt.objects.exclude(outcome=Outcome.DELIVERED)
    )
    return list(attempts.select_related("job__lead").order_by("-started_at", "-id")[:limit])
