from functools import partial

from celery import shared_task
from django.conf import settings
from django.db import InterfaceError, OperationalError

from leadflow.core.tasks import enqueue
from leadflow.leads import services

# Database hiccups (a restart, a lock timeout on SQLite) are worth retrying; anything else is a bug
# that the sweeper retries at its own slower pace while the logs say what went wrong.
RETRYABLE = (OperationalError, InterfaceError)
# Leads per message when the sweeper re-sends wake-ups.
SWEEP_BATCH = 500


@shared_task(autoretry_for=RETRYABLE, retry_backoff=2, retry_backoff_max=300, retry_jitter=True, max_retries=10)
def process_lead(lead_id: int) -> None:
    services.lead_process(lead_id=lead_id)


@shared_task(autoretry_for=RETRYABLE, retry_backoff=2, retry_backoff_max=300, retry_jitter=True, max_retries=10)
def process_leads(lead_ids: list[int]) -> None:
    """One message for a batch (file import): each lead is processed as `process_lead` would, skipping done ones."""
    for lead_id in lead_ids:
        services.lead_process(lead_id=lead_id)


@shared_task
def sweep_stuck_leads() -> int:
    """Re-send lost wake-ups, a batch per message. Routed to its own queue (`sweeps`), so it does not wait
    behind the backlog it is meant to repair."""
    lead_ids = services.lead_requeue_stuck(
        older_than_seconds=settings.LEADFLOW_STUCK_AFTER_SECONDS,
        overdue_after_seconds=settings.LEADFLOW_WAKE_UP_OVERDUE_SECONDS,
    )
    for start in range(0, len(lead_ids), SWEEP_BATCH):
        batch = lead_ids[start : start + SWEEP_BATCH]
        enqueue(process_leads, batch, on_failure=partial(services.lead_wake_ups_lost, batch))
    return len(lead_ids)
