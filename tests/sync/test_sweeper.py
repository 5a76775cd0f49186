"""The beat sweeper against a real Redis broker with no worker running: what it publishes is what piles up."""

from datetime import timedelta

import pytest
import redis
from django.utils import timezone

from leadflow import celery_app
from leadflow.sync import services
from leadflow.sync.models import DeliveryAttempt, JobState, SyncJob
from tests.plugins import celery_worker as worker_plugin
from tests.sync.factories import WebhookTargetFactory, converted_lead

pytestmark = [pytest.mark.redis, pytest.mark.django_db(transaction=True)]
QUEUE = "celery"


@pytest.fixture
def broker():
    """Publish to this test's Redis database instead of running tasks in-process; nobody consumes."""
    client = redis.Redis.from_url(worker_plugin.REDIS_URL)
    client.flushdb()
    previous = celery_app.conf.broker_url
    worker_plugin.publish_to(worker_plugin.REDIS_URL, eager=False)
    try:
        yield client
    finally:
        worker_plugin.publish_to(previous, eager=True)
        client.flushdb()


def due_jobs(count: int) -> list[SyncJob]:
    target = WebhookTargetFactory()
    return [
        SyncJob.objects.create(target=target, lead=converted_lead()[0], event="customer.converted", payload={})
        for _ in range(count)
    ]


def test_sweeper_publishes_one_wake_up_per_due_job_however_often_it_runs(broker):
    jobs = due_jobs(3)

    for _ in range(4):
        services.sync_jobs_requeue_due()

    assert broker.llen(QUEUE) == len(jobs)


def test_sweeper_sends_a_job_another_wake_up_once_the_first_must_have_been_lost(broker, settings):
    [job] = due_jobs(1)
    services.sync_jobs_requeue_due()
    SyncJob.objects.filter(pk=job.pk).update(
        wake_sent_at=timezone.now() - timedelta(seconds=settings.SYNC_LEASE_SECONDS + 1)
    )

    services.sync_jobs_requeue_due()

    assert broker.llen(QUEUE) == 2


def test_a_wake_up_taken_while_the_target_was_paused_is_sent_again_when_the_pause_ends(broker):
    [job] = due_jobs(1)
    job.target.paused_until = timezone.now() + timedelta(minutes=1)
    job.target.save()
    services.sync_jobs_requeue_due()
    SyncJob.objects.filter(pk=job.pk).update(wake_sent_at=timezone.now())
    assert services.sync_job_deliver(job_id=job.pk) is None  # A worker takes the wake-up, finds the pause.

    job.target.paused_until = None
    job.target.save()

    assert services.sync_jobs_requeue_due() == [job.pk]


def test_a_job_whose_worker_was_killed_keeps_a_row_for_the_attempt_it_spent(broker, settings):
    [job] = due_jobs(1)
    claimed = services._claim(job.pk)
    SyncJob.objects.filter(pk=job.pk).update(claimed_until=timezone.now() - timedelta(seconds=1))

    services.sync_jobs_requeue_due()

    job.refresh_from_db()
    [attempt] = job.delivery_attempts.all()
    assert job.state == JobState.PENDING
    assert job.attempts == claimed.attempts == 1
    assert attempt.outcome == DeliveryAttempt.Outcome.RETRY
    assert "stopped" in attempt.error
