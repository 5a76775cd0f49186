"""The sweeper re-sends only lost wake-ups: never sent (or refused by the broker), or sent so long ago that the
message must be lost. A wake-up still waiting in a long queue is left alone, and sweeps have their own queue."""

import socket
from datetime import timedelta

import pytest
import redis
from django.utils import timezone

from leadflow.core.tasks import wake_ups_pending
from leadflow.leads import services
from leadflow.leads.models import Lead, LeadState
from leadflow.leads.tasks import sweep_stuck_leads
from tests.factories import LeadFactory
from tests.helpers import wait_for
from tests.plugins.celery_worker import REDIS_URL

pytestmark = pytest.mark.django_db


def lead_due(*, due_minutes_ago: int, sent_minutes_ago: int | None) -> Lead:
    now = timezone.now()
    lead = LeadFactory()
    sent = None if sent_minutes_ago is None else now - timedelta(minutes=sent_minutes_ago)
    Lead.objects.filter(pk=lead.pk).update(checks_due_at=now - timedelta(minutes=due_minutes_ago), wake_up_sent_at=sent)
    return lead


def requeue() -> list[int]:
    return services.lead_requeue_stuck(older_than_seconds=120, overdue_after_seconds=1800)


def test_lead_whose_wake_up_was_never_sent_is_requeued_after_the_stuck_delay():
    lost = lead_due(due_minutes_ago=3, sent_minutes_ago=None)
    lead_due(due_minutes_ago=1, sent_minutes_ago=None)  # not stuck yet
    assert requeue() == [lost.pk]
    assert requeue() == []  # claimed: stamped as sent, so the next sweep leaves it to the worker


def test_lead_whose_wake_up_waits_in_a_long_queue_is_not_sent_again():
    lead_due(due_minutes_ago=20, sent_minutes_ago=20)
    assert requeue() == []


def test_lead_whose_wake_up_is_overdue_is_sent_again():
    overdue = lead_due(due_minutes_ago=40, sent_minutes_ago=40)
    assert requeue() == [overdue.pk]


def test_checks_due_again_after_an_older_wake_up_count_as_not_sent():
    edited = lead_due(due_minutes_ago=5, sent_minutes_ago=60 * 24)  # edited since its last wake-up
    assert requeue() == [edited.pk]


def test_sweep_processes_the_requeued_leads_in_batches():
    leads = [lead_due(due_minutes_ago=3, sent_minutes_ago=None) for _ in range(3)]
    assert sweep_stuck_leads() == 3
    # Checked and validated; qualifying is a person's decision (no source here is set to auto-qualify).
    assert set(Lead.objects.filter(pk__in=[lead.pk for lead in leads]).values_list("state", flat=True)) == {
        LeadState.VALIDATED
    }
    assert not Lead.objects.filter(checks_due_at__isnull=False).exists()


@pytest.mark.django_db(transaction=True)  # the publisher thread writes through its own connection
def test_wake_up_refused_by_the_broker_is_marked_unsent(publish_tasks_to):
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        publish_tasks_to(f"redis://127.0.0.1:{closed.getsockname()[1]}/0")  # nothing listens there
    lead = services.lead_create(actor="api:tests", source="tests", email="anna@example.nl")
    assert wait_for(lambda: wake_ups_pending() == 0)
    assert wait_for(lambda: Lead.objects.get(pk=lead.pk).wake_up_sent_at is None)  # the next sweep re-sends it
    assert Lead.objects.get(pk=lead.pk).checks_due_at is not None


@pytest.mark.redis
def test_sweeps_are_published_to_their_own_queue(publish_tasks_to):
    server = redis.Redis.from_url(REDIS_URL)
    server.flushdb()
    publish_tasks_to(REDIS_URL)
    sweep_stuck_leads.delay()
    assert (server.llen("sweeps"), server.llen("celery")) == (1, 0)
    server.flushdb()


@pytest.mark.redis
def test_a_worker_consumes_the_sweeps_queue(celery_worker_process):
    lost = lead_due(due_minutes_ago=3, sent_minutes_ago=None)
    sweep_stuck_leads.delay()
    assert wait_for(lambda: Lead.objects.get(pk=lost.pk).checks_due_at is None, timeout=60)
