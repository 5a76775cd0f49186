import logging
from datetime import timedelta

import pytest
from django.core import mail
from django.core.management import CommandError, call_command
from django.utils import timezone

from leadflow.integrations.exact.models import ExactCustomer
from leadflow.sync.alerts import sync_alerts_check
from leadflow.sync.models import DeliveryAttempt, JobState, SyncJob
from tests.factories import LeadFactory
from tests.sync.factories import ExactTargetFactory, WebhookTargetFactory, converted_lead, exact_connect

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def alert_settings(settings):
    settings.SYNC_ALERT_EMAILS = ["ops@leadflow.test"]
    settings.SYNC_ALERT_FAILURES = 3
    settings.SYNC_ALERT_QUEUE_AGE_SECONDS = 600
    return settings


def failing(target, count: int) -> None:
    lead, _ = converted_lead()
    job = SyncJob.objects.create(target=target, lead=lead, event="customer.converted", payload={})
    for _ in range(count):
        DeliveryAttempt.objects.create(job=job, target=target, outcome="retry", error="The receiver answered 502.")


def test_target_that_keeps_failing_alerts_once_by_email_and_error_log(alert_settings, caplog):
    target = WebhookTargetFactory(name="erp")
    failing(target, 3)

    with caplog.at_level(logging.ERROR, logger="leadflow.sync.alerts"):
        assert sync_alerts_check() == ["The last 3 deliveries to erp all failed."]
        assert sync_alerts_check() == []  # Still failing, already told.

    [email] = mail.outbox
    assert email.to == ["ops@leadflow.test"]
    assert "erp" in email.subject
    assert "The receiver answered 502." in email.body
    assert [r.levelname for r in caplog.records] == ["ERROR"]


def test_alert_is_sent_again_after_the_target_recovered_and_failed_anew(alert_settings):
    target = WebhookTargetFactory(name="erp")
    failing(target, 3)
    sync_alerts_check()
    DeliveryAttempt.objects.create(job=SyncJob.objects.get(), target=target, outcome="delivered")
    assert sync_alerts_check() == []
    failing(target, 3)
    assert len(sync_alerts_check()) == 1
    assert len(mail.outbox) == 2


def test_queue_older_than_the_limit_alerts(alert_settings):
    target = WebhookTargetFactory(name="erp")
    lead, _ = converted_lead()
    job = SyncJob.objects.create(target=target, lead=lead, event="customer.converted", payload={})
    SyncJob.objects.filter(pk=job.pk).update(created_at=timezone.now() - timedelta(minutes=30))
    [reason] = sync_alerts_check()
    assert "has waited 30 minutes" in reason


def test_healthy_targets_raise_no_alert(alert_settings):
    WebhookTargetFactory()
    assert sync_alerts_check() == []
    assert mail.outbox == []


def test_resync_queues_every_converted_customer_and_exact_gets_each_once(exact_settings, exact_standin, capsys):
    target = ExactTargetFactory(name="exact-nl")
    exact_connect(exact_standin, target)
    for _ in range(3):
        converted_lead()
    LeadFactory()  # Not converted: not a customer.

    call_command("resync_target", "exact-nl")
    call_command("resync_target", "exact-nl")

    assert SyncJob.objects.filter(state=JobState.DONE).count() == 6
    assert ExactCustomer.objects.count() == 3
    assert len(exact_standin.accounts()) == 3
    assert "Queued 3 job(s) for exact-nl" in capsys.readouterr().out


def test_resync_of_an_unknown_target_names_the_known_ones():
    WebhookTargetFactory(name="erp")
    with pytest.raises(CommandError, match="known: erp"):
        call_command("resync_target", "nope")


def test_resync_of_a_switched_off_target_is_refused():
    WebhookTargetFactory(name="erp", enabled=False)
    with pytest.raises(CommandError, match="switched off"):
        call_command("resync_target", "erp")
