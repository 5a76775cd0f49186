"""Intake never depends on the cache: with the cache server unreachable every door still takes submissions (rate
limits let them through, forms are read from the database), a warning is logged and the fallbacks are counted.
Only a database outage answers 503 with Retry-After."""

import json
import logging
import socket

import pytest
from django.db import OperationalError, connection
from django.test import override_settings
from django.urls import reverse
from rest_framework.test import APIClient

from leadflow.core.cache import cache_fallbacks, cache_reachable_again
from leadflow.intake.models import Submission, SubmissionStatus
from leadflow.intake.services import api_token_create
from leadflow.leads.models import Lead
from tests.intake.factories import LeadFormFactory

GOOD = {"first_name": "Anna", "email": "anna@example.nl", "phone": "+31 20 123 4567", "consent": True}


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]  # nothing listens there once the socket is closed


@pytest.fixture
def lead_form(db):
    return LeadFormFactory()


@pytest.fixture
def cache_down(lead_form):
    """The default cache is Redis on a port where nothing listens (a real connection refused, not a mock)."""
    unreachable = {
        "default": {
            "BACKEND": "leadflow.core.cache.RedisCache",  # what settings choose for a redis:// CACHE_URL
            "LOCATION": f"redis://127.0.0.1:{closed_port()}/0",
        }
    }
    cache_reachable_again()
    cache_fallbacks.clear()
    with override_settings(CACHES=unreachable, LEADFLOW_FORM_RATE_LIMIT_PER_IP="1/m", LEADFLOW_API_RATE_LIMIT="1/m"):
        yield
    cache_reachable_again()


@pytest.fixture
def api(db):
    _, raw = api_token_create(name="partner-x", source="partner-x")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    return client


def submit_url(form):
    return reverse("intake:form-submit", args=[form.key])


def test_api_creates_leads_past_the_rate_limit_while_the_cache_is_unreachable(api, cache_down, caplog):
    with caplog.at_level(logging.WARNING, logger="leadflow.core.cache"):
        statuses = [
            api.post("/api/leads/", {**GOOD, "external_id": f"x-{i}"}, format="json").status_code for i in range(3)
        ]
    assert statuses == [201, 201, 201]  # the 1/m limit cannot be counted, so it lets every request through
    assert Lead.objects.count() == 3
    assert cache_fallbacks["rate limit"] == 3
    assert caplog.text.count("Cache unreachable") == 1  # once per outage, not once per request


def test_json_form_submissions_are_thanked_and_stored_while_the_cache_is_unreachable(client, lead_form, cache_down):
    responses = [
        client.post(submit_url(lead_form), json.dumps({**GOOD, "email": f"p{i}@example.nl"}), "application/json")
        for i in range(3)
    ]
    assert [r.status_code for r in responses] == [200, 200, 200]
    assert Submission.objects.filter(status=SubmissionStatus.ACCEPTED).count() == Lead.objects.count() == 3
    assert cache_fallbacks["form definition"] >= 3 and cache_fallbacks["rate limit"] == 3


def test_plain_html_form_redirects_to_thanks_while_the_cache_is_unreachable(client, lead_form, cache_down):
    response = client.post(submit_url(lead_form), {"email": "b@example.nl", "consent": "on"})
    assert response.status_code == 302
    assert client.get(response["Location"]).status_code == 200
    assert Lead.objects.get().email == "b@example.nl"


def test_form_definition_is_read_from_the_database_while_the_cache_is_unreachable(client, lead_form, cache_down):
    response = client.get(reverse("intake:form-definition", args=[lead_form.key]) + "?lang=nl")
    assert response.status_code == 200
    assert [f["name"] for f in response.json()["fields"]][:2] == ["first_name", "email"]
    assert cache_fallbacks["form definition"] >= 1


def test_saving_a_form_in_the_admin_works_while_the_cache_is_unreachable(lead_form, cache_down):
    lead_form.name = "Renamed"
    lead_form.save()  # clearing its cached definition fails open too
    assert cache_fallbacks["form definition"] == 1


def test_database_down_is_503_with_retry_after_on_the_api(api):
    def refuse(execute, sql, params, many, context):
        raise OperationalError("database is down")

    with connection.execute_wrapper(refuse):
        response = api.post("/api/leads/", GOOD, format="json")
    assert response.status_code == 503
    assert response["Retry-After"]
    assert response.json()["error"]["code"] == "try_again"


def test_database_down_is_503_with_retry_after_for_the_plain_html_form(client, lead_form):
    def refuse_writes(execute, sql, params, many, context):
        if sql.lstrip().upper().startswith("INSERT"):
            raise OperationalError("database is down")
        return execute(sql, params, many, context)

    with connection.execute_wrapper(refuse_writes):
        response = client.post(submit_url(lead_form), {"email": "b@example.nl", "consent": "on"})
    assert response.status_code == 503
    assert response["Retry-After"]
    assert not Lead.objects.exists()
