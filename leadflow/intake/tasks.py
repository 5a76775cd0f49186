from celery import shared_task
from django.conf import settings

from leadflow.intake import services
from leadflow.intake.importing.services import import_job_run
from leadflow.intake.models import SubmissionStatus


@shared_task
def run_import_job(job_id: int) -> None:
    import_job_run(job_id=job_id)


@shared_task
def purge_leftovers() -> dict[str, int]:
    """Expired idempotency keys, and spam and invalid attempts past their retention (never accepted ones)."""
    return {
        "idempotency_keys": services.idempotency_keys_purge(),
        "submissions": services.submissions_purge(
            older_than_days=settings.LEADFLOW_SPAM_RETENTION_DAYS,
            statuses=(SubmissionStatus.SPAM, SubmissionStatus.INVALID),
        ),
    }
