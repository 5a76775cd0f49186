"""Celery doors to the WooCommerce services. The database records pending work; messages are wake-ups."""

from celery import shared_task
from django.conf import settings

from leadflow.integrations.woocommerce import services


@shared_task(ignore_result=True)
def process_woocommerce_webhook(webhook_id: int) -> None:
    services.webhook_process(webhook_id=webhook_id)


@shared_task(ignore_result=True)
def run_woocommerce_backfill(backfill_id: int) -> None:
    services.backfill_run(backfill_id=backfill_id)


@shared_task(ignore_result=True)
def sweep_woocommerce() -> None:
    services.webhooks_requeue_waiting(older_than_seconds=settings.WOOCOMMERCE_REQUEUE_AFTER_SECONDS)
    services.backfills_resume_stalled()
    services.webhooks_purge(older_than_days=settings.WOOCOMMERCE_WEBHOOK_RETENTION_DAYS)
