from celery import shared_task

from leadflow.core.tasks import enqueue
from leadflow.leads.tasks import RETRYABLE
from leadflow.qualification import services


@shared_task(autoretry_for=RETRYABLE, retry_backoff=2, retry_backoff_max=300, retry_jitter=True, max_retries=10)
def reclassify_open_leads(run_id: int) -> None:
    services.criteria_reclassify(run_id=run_id)


@shared_task
def resume_stalled_reclassifications() -> int:
    run_ids = services.criteria_reclassify_claim_stalled()
    for run_id in run_ids:
        enqueue(reclassify_open_leads, run_id)
    return len(run_ids)
