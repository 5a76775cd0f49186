"""A submission is committed and thanked whatever state the broker is in: the lead's `checks_due_at` records the
pending work, the sweeper re-sends lost wake-ups, and publishing happens after the answer, off the request."""

import json
import logging
import socket
import time

import pytest
from django.urls import reverse

from leadflow import celery_app
from leadflow.core.tasks import wake_ups_pending
from leadflow.leads.models import Lead
from tests.intake.factories import LeadFormFactory

GOOD = {"first_name": "Anna", "email": "anna@example.nl", "phone": "+31 20 123 4567", "consent": True}


def publish_to(broker_url: str, *, eager: bool) -> None:
    celery_app.conf.update(broker_url=broker_url, task_always_eager=eager)
    celery_app._after_fork()  # producer pools are bound to the broker URL on first use


@pytest.fixture
def broker(db):
    """Point publishing at a broker address for the test; tasks are no longer run in-process."""
    previous = celery_app.conf.broker_url
    yield lambda url: publish_to(url, eager=False)
    publish_to(previous, eager=True)


def submit(client, form):
    url = reverse("intake:form-submit", args=[form.key])
    return client.post(url, json.dumps(GOOD), content_type="application/json")


def wait_for(predicate, timeout=30.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and not predicate():
        time.sleep(0.05)
    return predicate()


def test_submission_is_thanked_and_kept_when_the_broker_is_down(
    client, broker, caplog, django_capture_on_commit_callbacks
):
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        broker(f"redis://127.0.0.1:{closed.getsockname()[1]}/0")  # nothing listens there
    with caplog.at_level(logging.WARNING), django_capture_on_commit_callbacks(execute=True):
        response = submit(client, LeadFormFactory())
    assert response.status_code == 200
    lead = Lead.objects.get()
    assert lead.checks_due_at is not None  # the sweeper's record of the work the broker never got
    assert wait_for(lambda: wake_ups_pending() == 0)
    assert "the sweeper will pick it up" in caplog.text


def test_a_broker_that_does_not_answer_does_not_hold_up_the_thank_you(
    client, broker, django_capture_on_commit_callbacks
):
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen()  # connections are accepted by the kernel and then never answered
        broker(f"redis://127.0.0.1:{silent.getsockname()[1]}/0")
        with django_capture_on_commit_callbacks(execute=True):
            response = submit(client, LeadFormFactory())
        assert response.status_code == 200
        assert Lead.objects.get().checks_due_at is not None
        assert wake_ups_pending() == 1  # answered while the wake-up is still waiting for the broker
