"""Random bodies against the API and the form endpoint: never a 500, never a half-written lead."""

import json

import pytest
from django.test import override_settings
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rest_framework.test import APIClient

from leadflow.intake.models import LeadForm, Submission, SubmissionStatus
from leadflow.intake.serializers import WRITABLE_FIELDS
from leadflow.intake.services import api_token_create
from leadflow.leads.models import Lead
from tests.intake.factories import LeadFormFactory

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=10), children, max_size=3),
    max_leaves=8,
)
bodies = st.dictionaries(
    st.sampled_from([*WRITABLE_FIELDS, "custom_fields"]) | st.text(max_size=20), json_values, max_size=8
)
fuzz = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@pytest.fixture
def api(db):
    _, raw = api_token_create(name="fuzz", source="fuzz")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    return client


@fuzz
@given(body=bodies | json_values)
def test_api_answers_every_json_body_without_500_or_partial_writes(api, body):
    leads, submissions = Lead.objects.count(), Submission.objects.count()
    response = api.post("/api/leads/", json.dumps(body), content_type="application/json")
    assert response.status_code in (201, 400, 409), response.content
    assert "error" in response.json() or response.status_code == 201
    created = response.status_code == 201
    assert Lead.objects.count() == leads + created
    assert Submission.objects.count() == submissions + created


@fuzz
@given(raw=st.binary(max_size=200))
def test_api_answers_arbitrary_bytes_with_a_json_error(api, raw):
    response = api.post("/api/leads/", raw, content_type="application/json")
    assert response.status_code in (201, 400, 409)
    assert response["Content-Type"] == "application/json"


@override_settings(LEADFLOW_FORM_RATE_LIMIT_PER_IP="100000/m")
@fuzz
@given(body=bodies | json_values)
def test_form_endpoint_answers_every_body_and_stores_what_it_accepts(client, db, body):
    form = LeadForm.objects.first() or LeadFormFactory()
    leads = Lead.objects.count()
    url = reverse("intake:form-submit", args=[form.key])
    response = client.post(url, json.dumps(body), content_type="application/json")
    assert response.status_code in (200, 400)
    if response.status_code == 200:
        last = Submission.objects.latest("id")
        assert Lead.objects.count() == leads + (last.status == SubmissionStatus.ACCEPTED)
    else:
        assert Lead.objects.count() == leads
