"""Above capacity, work nobody waits for is refused before it starts: a request that waited too long in front
of the app gets a fast 503 with Retry-After, one whose client hung up is dropped; neither writes anything."""

import json
import socket
import time

import pytest
from django.urls import reverse

from leadflow.core.middleware import request_age_seconds, requests_shed
from leadflow.intake.models import Submission
from leadflow.leads.models import Lead
from tests.intake.factories import LeadFormFactory

GOOD = {"first_name": "Anna", "email": "anna@example.nl", "consent": True}


@pytest.fixture
def submit(client, db):
    form = LeadFormFactory()
    url = reverse("intake:form-submit", args=[form.key])
    return lambda **extra: client.post(url, json.dumps(GOOD), content_type="application/json", **extra)


def test_request_that_waited_too_long_behind_the_proxy_gets_a_fast_503_and_stores_nothing(submit, settings):
    settings.LEADFLOW_REQUEST_MAX_AGE_SECONDS = 5
    response = submit(HTTP_X_REQUEST_START=f"t={time.time() - 6:.3f}")
    assert response.status_code == 503
    assert response["Retry-After"] == "2"
    assert response.json()["error"]["code"] == "overloaded"
    assert not Submission.objects.exists() and not Lead.objects.exists()


def test_fresh_request_stamped_by_the_proxy_is_served(submit):
    response = submit(HTTP_X_REQUEST_START=f"t={int(time.time() * 1000)}")  # Heroku style, milliseconds
    assert response.status_code == 200
    assert Lead.objects.count() == 1


def test_request_whose_client_hung_up_is_not_worked_on(submit):
    server_side, client_side = socket.socketpair()
    client_side.close()  # the visitor's browser gave up while the request waited in the backlog
    with server_side:
        before = requests_shed["client gone"]
        response = submit(**{"gunicorn.socket": server_side})
    assert response.status_code == 499
    assert requests_shed["client gone"] == before + 1
    assert not Submission.objects.exists() and not Lead.objects.exists()


def test_request_whose_client_is_still_waiting_is_served(submit):
    server_side, client_side = socket.socketpair()
    with server_side, client_side:
        response = submit(**{"gunicorn.socket": server_side})
    assert response.status_code == 200
    assert Lead.objects.count() == 1


@pytest.mark.parametrize(
    "stamp", ["t=1733000000.5", "1733000000500", "t=1733000000500000", "1733000000"], ids=["s", "ms", "µs", "int s"]
)
def test_request_start_stamps_in_seconds_milliseconds_or_microseconds_mean_the_same_moment(stamp):
    assert request_age_seconds(stamp) == pytest.approx(time.time() - 1733000000, abs=1)


@pytest.mark.parametrize("stamp", ["", "t=", "soon", "-5", "nan", "inf"])
def test_unreadable_request_start_stamp_is_ignored(stamp):
    assert request_age_seconds(stamp) is None
