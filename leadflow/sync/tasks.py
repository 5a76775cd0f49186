"""Celery doors to the outbox services. The database is the record of pending work; messages are wake-ups."""

from celery import shared_task

from leadflow.sync import services
from leadflow.sync.alerts import sync_alerts_check


@shared_task(ignore_result=True)
def deliver_sync_job(job_id: int) -> None:
    services.sync_job_deliver(job_id=job_id)


@shared_task(ignore_result=True)
def sweep_sync_jobs() -> None:
    services.sync_jobs_requeue_due()


@shared_task(ignore_result=True)
def check_sync_alerts() -> None:
    sync_alerts_check()
