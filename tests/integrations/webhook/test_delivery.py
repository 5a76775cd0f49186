import hashlib
import hmac
from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from leadflow.integrations.webhook.target import SIGNATURE_HEADER, signature
from leadflow.sync import services
from leadflow.sync.models import DeliveryAttempt, JobState, SyncJob, SyncTarget
from tests.sync.factories import WebhookTargetFactory, converted_lead

pytestmark = pytest.mark.django_db(transaction=True)
EVENT = "customer.converted"


def verify(secret: str, header: str, body: bytes, tolerance: int = 300) -> bool:
    """The verification snippet from docs/sync.md, as a receiver would run it."""
    import time

    parts = dict(item.split("=", 1) for item in header.split(","))
    timestamp = int(parts["t"])
    expected = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return abs(time.time() - timestamp) <= tolerance and hmac.compare_digest(expected, parts["v1"])


def convert(target_url: str, **target_settings):
    target = WebhookTargetFactory()
    target.settings = {**target.settings, "url": target_url, **target_settings}
    target.save()
    lead, conversion = converted_lead(company="Bakkerij Jansen B.V.", vat_number="NL123456789B01")
    with transaction.atomic():
        [job] = services.outbox_enqueue_conversion(lead=lead, conversion=conversion)
    job.refresh_from_db()
    return target, job


def test_converted_customer_arrives_signed_and_job_is_done(receiver):
    _, job = convert(receiver.url)

    assert job.state == JobState.DONE
    [request] = receiver.received
    assert verify("s3cret", request.headers[SIGNATURE_HEADER], request.body)
    assert request.json["id"] == str(job.uuid) == request.headers["X-Leadflow-Delivery"]
    assert request.json["event"] == "customer.converted"
    assert request.json["schema_version"] == 1
    assert request.json["customer"]["company"] == "Bakkerij Jansen B.V."
    assert request.json["salesforce"]["account_id"].startswith("001")
    assert job.delivery_attempts.get().outcome == DeliveryAttempt.Outcome.DELIVERED


def test_signature_does_not_verify_with_another_secret_or_a_changed_body():
    header = signature("s3cret", b'{"a":1}', 1_700_000_000)
    assert not verify("other", header, b'{"a":1}', tolerance=10**10)
    assert not verify("s3cret", header, b'{"a":2}', tolerance=10**10)
    assert verify("s3cret", header, b'{"a":1}', tolerance=10**10)


def test_no_job_is_left_when_the_conversion_rolls_back(receiver):
    WebhookTargetFactory(settings={"url": receiver.url, "secret": "x", "events": ["customer.converted"]})
    lead, conversion = converted_lead()
    with pytest.raises(RuntimeError), transaction.atomic():
        services.outbox_enqueue_conversion(lead=lead, conversion=conversion)
        raise RuntimeError("Salesforce said no after all")
    assert not SyncJob.objects.exists()
    assert receiver.received == []


def test_targets_without_the_event_get_no_job(receiver):
    WebhookTargetFactory(settings={"url": receiver.url, "secret": "x", "events": []})
    lead, conversion = converted_lead()
    assert services.outbox_enqueue_conversion(lead=lead, conversion=conversion) == []


def test_a_switched_off_target_still_gets_the_job_held_and_delivers_it_when_switched_on(receiver):
    target = WebhookTargetFactory(enabled=False, settings={"url": receiver.url, "secret": "x", "events": [EVENT]})
    lead, conversion = converted_lead()
    with transaction.atomic():
        [job] = services.outbox_enqueue_conversion(lead=lead, conversion=conversion)

    assert services.sync_jobs_requeue_due() == []
    job.refresh_from_db()
    assert job.state == JobState.PENDING and job.attempts == 0
    assert receiver.received == []

    assert services.sync_target_enable(target=target, actor="test") == 1
    job.refresh_from_db()
    assert job.state == JobState.DONE
    assert receiver.deliveries() == {str(job.uuid)}


def test_server_error_is_retried_later_with_backoff(receiver):
    receiver.answers.append((503, {}))
    _, job = convert(receiver.url)

    assert job.state == JobState.PENDING
    assert job.attempts == 1
    assert "503" in job.last_error
    assert job.next_attempt_at > timezone.now() + timedelta(seconds=10)
    assert job.delivery_attempts.get().outcome == DeliveryAttempt.Outcome.RETRY


def test_a_job_not_yet_due_is_not_delivered_early(receiver):
    receiver.answers.append((500, {}))
    _, job = convert(receiver.url)
    assert services.sync_job_deliver(job_id=job.pk) is None
    assert len(receiver.received) == 1


def test_receiver_that_is_down_is_retried_and_gets_exactly_one_delivery(receiver):
    url = receiver.url
    receiver.stop()
    _, job = convert(url)
    assert job.state == JobState.PENDING
    assert "connection refused" in job.last_error

    receiver.start()
    SyncJob.objects.filter(pk=job.pk).update(next_attempt_at=timezone.now())
    services.sync_jobs_requeue_due()
    services.sync_jobs_requeue_due()  # The sweeper running again finds nothing left to do.

    job.refresh_from_db()
    assert job.state == JobState.DONE
    assert len(receiver.received) == 1
    assert job.attempts == 2


def test_too_many_requests_waits_as_long_as_retry_after_says(receiver):
    receiver.answers.append((429, {"Retry-After": "120"}))
    _, job = convert(receiver.url)
    wait = (job.next_attempt_at - timezone.now()).total_seconds()
    assert job.state == JobState.PENDING
    assert 110 < wait <= 120


def test_client_error_fails_the_job_without_retry(receiver):
    receiver.answers.append((422, {}))
    _, job = convert(receiver.url)
    assert job.state == JobState.FAILED
    assert "422" in job.last_error
    assert job.finished_at is not None


def test_gone_switches_the_target_off_and_holds_the_job_until_it_is_back(receiver):
    receiver.answers.append((410, {}))
    target, job = convert(receiver.url)
    target.refresh_from_db()
    assert job.state == JobState.PENDING
    assert not target.enabled
    assert "410" in target.disabled_reason

    services.sync_target_enable(target=target, actor="test")
    job.refresh_from_db()
    target.refresh_from_db()
    assert job.state == JobState.DONE
    assert target.disabled_reason == ""  # The old reason does not linger once the target is back.


def test_too_many_requests_pauses_the_whole_target_not_only_that_delivery(receiver):
    receiver.answers.append((429, {"Retry-After": "30"}))
    target, _ = convert(receiver.url)
    lead, conversion = converted_lead()
    with transaction.atomic():
        [second] = services.outbox_enqueue_conversion(lead=lead, conversion=conversion)
    services.sync_jobs_requeue_due()

    target.refresh_from_db()
    second.refresh_from_db()
    assert len(receiver.received) == 1  # The second customer is not sent into the overload.
    assert second.state == JobState.PENDING and second.attempts == 0
    assert 20 < (target.paused_until - timezone.now()).total_seconds() <= 30


def test_job_is_dead_after_the_last_allowed_attempt(receiver, settings):
    settings.SYNC_MAX_ATTEMPTS = 2
    receiver.answers.extend([(500, {}), (500, {})])
    _, job = convert(receiver.url)
    SyncJob.objects.filter(pk=job.pk).update(next_attempt_at=timezone.now())
    services.sync_job_deliver(job_id=job.pk)
    job.refresh_from_db()
    assert job.state == JobState.DEAD
    assert job.attempts == 2


def test_job_is_dead_when_the_next_try_falls_past_the_retry_window(receiver, settings):
    settings.SYNC_RETRY_WINDOW_SECONDS = 10
    receiver.answers.append((500, {}))
    _, job = convert(receiver.url)
    assert job.state == JobState.DEAD


def test_retrying_dead_jobs_delivers_them_and_restarts_the_window(receiver, settings):
    settings.SYNC_MAX_ATTEMPTS = 1
    receiver.answers.append((500, {}))
    target, job = convert(receiver.url)
    assert job.state == JobState.DEAD

    assert services.sync_target_retry_all(target=target, actor="test") == 1
    job.refresh_from_db()
    assert job.state == JobState.DONE
    assert job.attempts == 1


def test_two_workers_never_deliver_the_same_job(receiver):
    receiver.answers.append((500, {}))
    _, job = convert(receiver.url)
    SyncJob.objects.filter(pk=job.pk).update(next_attempt_at=timezone.now())
    claimed = services._claim(job.pk)
    assert claimed is not None
    assert services.sync_job_deliver(job_id=job.pk) is None  # The second worker finds it in flight.


def test_job_held_by_a_worker_that_died_goes_back_to_the_queue_after_its_lease(receiver):
    receiver.answers.append((500, {}))
    _, job = convert(receiver.url)
    SyncJob.objects.filter(pk=job.pk).update(
        state=JobState.IN_FLIGHT, claimed_until=timezone.now() - timedelta(seconds=1), next_attempt_at=timezone.now()
    )
    services.sync_jobs_requeue_due()
    job.refresh_from_db()
    assert job.state == JobState.DONE


def test_late_outcome_from_a_worker_whose_lease_expired_is_ignored(receiver):
    receiver.answers.append((500, {}))
    _, job = convert(receiver.url)
    SyncJob.objects.filter(pk=job.pk).update(next_attempt_at=timezone.now())
    stale = services._claim(job.pk)
    SyncJob.objects.filter(pk=job.pk).update(state=JobState.DONE, claim_token=None)
    assert services._finish(stale, state=JobState.FAILED) is False
    job.refresh_from_db()
    assert job.state == JobState.DONE


def test_jobs_of_a_switched_off_target_wait_untouched_until_it_is_back(receiver):
    target = WebhookTargetFactory(settings={"url": receiver.url, "secret": "x", "events": ["customer.converted"]})
    lead, _ = converted_lead()
    SyncTarget.objects.filter(pk=target.pk).update(enabled=False)
    job = SyncJob.objects.create(target=target, lead=lead, event="customer.converted", payload={})

    assert services.sync_job_deliver(job_id=job.pk) is None
    assert services.sync_jobs_requeue_due() == []
    SyncTarget.objects.filter(pk=target.pk).update(enabled=True)
    assert services.sync_jobs_requeue_due() == [job.pk]

    job.refresh_from_db()
    assert job.state == JobState.DONE
    assert job.attempts == 1
