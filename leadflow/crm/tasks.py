from celery import shared_task
from django.conf import settings

from leadflow.core.tasks import enqueue
from leadflow.crm import services
from leadflow.leads.tasks import RETRYABLE


@shared_task(autoretry_for=RETRYABLE, retry_backoff=2, retry_backoff_max=300, retry_jitter=True, max_retries=10)
def convert_lead(lead_id: int) -> None:
    services.lead_convert_run(lead_id=lead_id)


@shared_task(autoretry_for=RETRYABLE, retry_backoff=2, retry_backoff_max=300, retry_jitter=True, max_retries=10)
def convert_leads(lead_ids: list[int]) -> None:
    services.leads_convert_run(lead_ids=lead_ids)


@shared_task
def sweep_conversions() -> int:
    """Wake up conversions that are due (retries) or stuck; the Conversion rows are the record of the work."""
    lead_ids = services.conversions_requeue_due(stuck_after_seconds=settings.LEADFLOW_CONVERSION_STUCK_AFTER_SECONDS)
    for start in range(0, len(lead_ids), services.BATCH_SIZE):
        enqueue(convert_leads, lead_ids[start : start + services.BATCH_SIZE])
    return len(lead_ids)
