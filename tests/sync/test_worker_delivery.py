"""Delivery by a real `celery worker` process over Redis, to a real HTTP receiver, on PostgreSQL."""

import os
import signal
import subprocess
import threading
from collections.abc import Callable, Iterator

import pytest
import redis
from django.db import transaction

from leadflow import celery_app
from leadflow.integrations.webhook.target import SIGNATURE_HEADER
from leadflow.sync import services
from leadflow.sync.models import JobState, SyncJob, SyncTarget
from tests.helpers import wait_for
from tests.integrations.webhook.test_delivery import verify
from tests.plugins import celery_worker as worker_plugin
from tests.sync.factories import WebhookTargetFactory, converted_lead

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.django_db(transaction=True)]

BROKER_URL = os.environ.get("LEADFLOW_SYNC_TEST_REDIS_URL", f"{worker_plugin.REDIS_SERVER}/8")
# Short lease and backoff so the scenarios take seconds; the worker reads them from its environment.
WORKER_ENV = {"SYNC_LEASE_SECONDS": "2", "SYNC_BACKOFF_BASE_SECONDS": "0.5", "SYNC_BACKOFF_MAX_SECONDS": "2"}


@pytest.fixture
def start_worker(transactional_db, tmp_path) -> Iterator[Callable[[], subprocess.Popen]]:
    """Start (and again, after a kill) a real worker consuming the sync tasks from Redis db 8."""
    redis.Redis.from_url(BROKER_URL).flushdb()
    workers: list[subprocess.Popen] = []

    def start() -> subprocess.Popen:
        log = tmp_path / f"worker-{len(workers)}.log"
        workers.append(worker_plugin.start_celery_worker(log, broker_url=BROKER_URL, env=WORKER_ENV))
        return workers[-1]

    previous = celery_app.conf.broker_url
    worker_plugin.publish_to(BROKER_URL, eager=False)
    try:
        yield start
    finally:
        for worker in workers:
            worker_plugin.stop_celery_worker(worker)
        worker_plugin.publish_to(previous, eager=True)


def convert_for(receiver) -> SyncJob:
    WebhookTargetFactory(settings={"url": receiver.url, "secret": "s3cret", "events": ["customer.converted"]})
    lead, conversion = converted_lead()
    with transaction.atomic():
        [job] = services.outbox_enqueue_conversion(lead=lead, conversion=conversion)
    return job


def wait_for_state(job: SyncJob, state: str, *, sweep: bool = False) -> SyncJob:
    """Wait until the job reaches `state`; with `sweep`, run the beat sweeper meanwhile as beat would."""

    def reached() -> bool:
        job.refresh_from_db()
        if job.state != state and sweep:
            services.sync_jobs_requeue_due()
        return job.state == state

    assert wait_for(reached, interval=0.3), f"job stayed {job.state} (attempts {job.attempts}, {job.last_error!r})"
    return job


def test_conversion_reaches_the_webhook_through_a_real_worker_signed(start_worker, receiver):
    start_worker()
    job = wait_for_state(convert_for(receiver), JobState.DONE)

    [request] = receiver.received
    assert verify("s3cret", request.headers[SIGNATURE_HEADER], request.body)
    assert request.json["id"] == str(job.uuid)


def test_receiver_down_for_a_while_gets_the_job_later_exactly_once(start_worker, receiver):
    url_port = receiver.port
    receiver.stop()
    start_worker()
    job = convert_for(receiver)

    def retried_three_times() -> bool:  # Down through several retries.
        services.sync_jobs_requeue_due()
        job.refresh_from_db()
        return job.attempts >= 3

    assert wait_for(retried_three_times, interval=0.3)
    assert job.state == JobState.PENDING
    assert "connection refused" in job.last_error

    receiver.port = url_port
    receiver.start()
    job = wait_for_state(job, JobState.DONE, sweep=True)

    assert len(receiver.received) == 1
    assert receiver.deliveries() == {str(job.uuid)}
    assert job.delivery_attempts.filter(outcome="delivered").count() == 1


def test_worker_killed_mid_delivery_is_replaced_and_the_job_is_delivered(start_worker, receiver):
    receiver.hold = threading.Event()
    worker = start_worker()
    job = convert_for(receiver)
    assert receiver.arrived.wait(timeout=20)
    job.refresh_from_db()
    assert job.state == JobState.IN_FLIGHT

    worker.send_signal(signal.SIGKILL)
    worker.wait(timeout=10)
    receiver.hold.set()
    start_worker()
    job = wait_for_state(job, JobState.DONE, sweep=True)

    assert job.attempts == 2
    # The killed worker's request may have reached the receiver; both carry the same delivery id.
    assert receiver.deliveries() == {str(job.uuid)}
    assert not SyncJob.objects.filter(state=JobState.IN_FLIGHT).exists()


def test_customers_converted_while_the_receiver_has_switched_the_target_off_arrive_once_it_is_back_on(
    start_worker, receiver
):
    receiver.answers.append((410, {}))
    start_worker()
    first = convert_for(receiver)
    target = first.target
    assert wait_for(lambda: receiver.received)
    # The 410 switches the target off.
    assert wait_for(lambda: not SyncTarget.objects.get(pk=target.pk).enabled)
    target.refresh_from_db()

    later = []
    for _ in range(5):  # Converted while the target is off: each still gets its job, held.
        lead, conversion = converted_lead()
        with transaction.atomic():
            later += services.outbox_enqueue_conversion(lead=lead, conversion=conversion)
    services.sync_jobs_requeue_due()
    assert {job.state for job in SyncJob.objects.filter(target=target)} == {JobState.PENDING}
    assert len(receiver.received) == 1

    services.sync_target_enable(target=target, actor="test")
    jobs = [wait_for_state(job, JobState.DONE, sweep=True) for job in [first, *later]]

    target.refresh_from_db()
    assert target.enabled and target.disabled_reason == ""
    assert receiver.deliveries() == {str(job.uuid) for job in jobs}
