"""Delivery by a real `celery worker` process over Redis, to a real HTTP receiver, on PostgreSQL."""

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import redis
from django.db import transaction

from leadflow import celery_app
from leadflow.integrations.webhook.target import SIGNATURE_HEADER
from leadflow.sync import services
from leadflow.sync.models import JobState, SyncJob
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
    env = {
        **os.environ,
        **WORKER_ENV,
        "DATABASE_URL": worker_plugin.test_database_url(),
        "CELERY_BROKER_URL": BROKER_URL,
    }
    workers: list[subprocess.Popen] = []

    def start() -> subprocess.Popen:
        log = tmp_path / f"worker-{len(workers)}.log"
        worker = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "leadflow",
                "worker",
                "--pool=solo",
                "--loglevel=INFO",
                f"--hostname=sync-{os.getpid()}-{len(workers)}@%h",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
            ],
            cwd=worker_plugin.ROOT,
            env=env,
            stdout=log.open("wb"),
            stderr=subprocess.STDOUT,
        )
        workers.append(worker)
        worker_plugin._wait_until_ready(worker, Path(log))
        return worker

    previous = celery_app.conf.broker_url
    _publish_to(BROKER_URL, eager=False)
    try:
        yield start
    finally:
        for worker in workers:
            if worker.poll() is None:
                worker.terminate()
                worker.wait(timeout=20)
        _publish_to(previous, eager=True)


def _publish_to(broker_url: str, *, eager: bool) -> None:
    celery_app.conf.update(broker_url=broker_url, task_always_eager=eager)
    celery_app._after_fork()  # Producer pools are bound to the broker URL on first use.


def convert_for(receiver) -> SyncJob:
    WebhookTargetFactory(settings={"url": receiver.url, "secret": "s3cret", "events": ["customer.converted"]})
    lead, conversion = converted_lead()
    with transaction.atomic():
        [job] = services.outbox_enqueue_conversion(lead=lead, conversion=conversion)
    return job


def wait_for(job: SyncJob, state: str, *, sweep: bool = False, timeout: float = 30) -> SyncJob:
    """Poll until the job reaches `state`; with `sweep`, run the beat sweeper meanwhile as beat would."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job.refresh_from_db()
        if job.state == state:
            return job
        if sweep:
            services.sync_jobs_requeue_due()
        time.sleep(0.3)
    raise AssertionError(f"job stayed {job.state} (attempts {job.attempts}, last error {job.last_error!r})")


def test_conversion_reaches_the_webhook_through_a_real_worker_signed(start_worker, receiver):
    start_worker()
    job = wait_for(convert_for(receiver), JobState.DONE)

    [request] = receiver.received
    assert verify("s3cret", request.headers[SIGNATURE_HEADER], request.body)
    assert request.json["id"] == str(job.uuid)


def test_receiver_down_for_a_while_gets_the_job_later_exactly_once(start_worker, receiver):
    url_port = receiver.port
    receiver.stop()
    start_worker()
    job = convert_for(receiver)
    deadline = time.monotonic() + 20
    while job.attempts < 3 and time.monotonic() < deadline:  # Down through several retries.
        services.sync_jobs_requeue_due()
        time.sleep(0.3)
        job.refresh_from_db()
    assert job.state == JobState.PENDING
    assert "connection refused" in job.last_error

    receiver.port = url_port
    receiver.start()
    job = wait_for(job, JobState.DONE, sweep=True)

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
    job = wait_for(job, JobState.DONE, sweep=True)

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
    deadline = time.monotonic() + 30
    while not receiver.received and time.monotonic() < deadline:
        time.sleep(0.2)
    target.refresh_from_db()
    while target.enabled and time.monotonic() < deadline:  # The 410 switches the target off.
        time.sleep(0.2)
        target.refresh_from_db()
    assert not target.enabled

    later = []
    for _ in range(5):  # Converted while the target is off: each still gets its job, held.
        lead, conversion = converted_lead()
        with transaction.atomic():
            later += services.outbox_enqueue_conversion(lead=lead, conversion=conversion)
    services.sync_jobs_requeue_due()
    assert {job.state for job in SyncJob.objects.filter(target=target)} == {JobState.PENDING}
    assert len(receiver.received) == 1

    services.sync_target_enable(target=target, actor="test")
    jobs = [wait_for(job, JobState.DONE, sweep=True) for job in [first, *later]]

    target.refresh_from_db()
    assert target.enabled and target.disabled_reason == ""
    assert receiver.deliveries() == {str(job.uuid) for job in jobs}
