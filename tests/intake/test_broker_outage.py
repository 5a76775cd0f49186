"""A submission is committed and thanked whatever state the broker is in: the lead's `checks_due_at` records the
pending work, the sweeper re-sends lost wake-ups, and publishing happens after the answer, off the request."""

import json
import logging
import socket

import pytest
from django.urls import reverse

from leadflow.core.tasks import wake_ups_pending
from leadflow.leads.models import Lead
from tests.helpers import wait_for
from tests.intake.factories import LeadFormFactory

GOOD = {"first_name": "Anna", "email": "anna@example.nl", "phone": "+31 20 123 4567", "consent": True}


@pytest.fixture
def broker(db, publish_tasks_to):
    return publish_tasks_to


def submit(client, form):
    url = reverse("intake:form-submit", args=[form.key])
    return client.post(url, json.dumps(GOOD), content_type="application/json")


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
