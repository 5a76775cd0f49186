"""Celery doors to the Pipedrive integration's periodic reads."""

from celery import shared_task

from leadflow.integrations.pipedrive.deals import pipedrive_won_deals_poll


@shared_task(ignore_result=True)
def poll_pipedrive_won_deals() -> None:
    pipedrive_won_deals_poll()
