from celery import shared_task

from leadflow.leads.tasks import RETRYABLE
from leadflow.review import notifications, services


@shared_task(autoretry_for=RETRYABLE, retry_backoff=2, retry_backoff_max=300, retry_jitter=True, max_retries=10)
def run_bulk_job(job_id: int) -> None:
    services.bulk_job_run(job_id=job_id)


@shared_task
def send_due_notifications() -> int:
    return notifications.notifications_sweep()
