"""Celery doors to the Salesforce integration's periodic reads."""

from celery import shared_task

from leadflow.integrations.salesforce.deals import salesforce_won_deals_poll


@shared_task(ignore_result=True)
def poll_salesforce_won_deals() -> None:
    salesforce_won_deals_poll()
