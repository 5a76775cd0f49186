import json

import pytest
from django.test import override_settings
from rest_framework.test import APIClient

from leadflow.intake.models import IdempotencyKey, Submission
from leadflow.intake.services import api_token_create
from leadflow.leads.models import Lead, SourceKind
from leadflow.quality.models import LeadFinding
from tests.factories import LeadFactory

BODY = {"first_name": "Anna", "email": "anna@example.nl", "company": "Voorbeeld BV", "newsletter": "yes"}


@pytest.fixture
def token_and_key(db):
    return api_token_create(name="partner-x", source="partner-x")


@pytest.fixture
def api(token_and_key):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token_and_key[1]}")
    return client


def post(client, body, **headers):
    return client.post("/api/leads/", json.dumps(body), content_type="application/json", **headers)


def test_create_returns_201_with_state_and_keeps_unknown_fields_as_custom(api):
    response = post(api, BODY)
    assert response.status_code == 201
    data = response.json()
    lead = Lead.objects.get(pk=data["id"])
    assert (lead.source, lead.source_kind, lead.custom_fields) == ("partner-x", SourceKind.API, {"newsletter": "yes"})
    assert lead.submission == BODY
    assert data["state"] == lead.state
    assert lead.events.get().actor_label == "api:partner-x"


def test_token_is_stored_only_as_a_hash(token_and_key):
    token, raw = token_and_key
    assert raw not in (token.key_hash, token.prefix) and len(token.key_hash) == 64


def test_missing_or_wrong_token_is_401_json(db, token_and_key):
    anonymous = APIClient()
    response = post(anonymous, BODY)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_authenticated"
    assert response["WWW-Authenticate"] == "Bearer"
    anonymous.credentials(HTTP_AUTHORIZATION="Bearer lf_nope")
    assert post(anonymous, BODY).json()["error"]["code"] == "authentication_failed"


def test_revoked_token_is_refused(api, token_and_key):
    token, _ = token_and_key
    token.is_active = False
    token.save()
    assert post(api, BODY).status_code == 401


def test_write_only_token_cannot_read_403(db):
    _, raw = api_token_create(name="writer", source="w", can_read=False)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    response = client.get("/api/leads/")
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "permission_denied"


def test_lead_of_another_source_is_404(api):
    other = LeadFactory(source="someone-else")
    response = api.get(f"/api/leads/{other.pk}/")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_invalid_fields_are_400_field_by_field_and_nothing_written(api):
    response = post(api, {"email": "nope", "phone": "12", "company_size": "many"})
    assert response.status_code == 400
    fields = response.json()["error"]["fields"]
    assert set(fields) == {"email", "phone", "company_size"}
    assert not Lead.objects.exists() and not Submission.objects.exists()


def test_body_that_is_not_an_object_is_400(api):
    response = api.post("/api/leads/", "[1, 2]", content_type="application/json")
    assert response.status_code == 400
    assert "non_field_errors" in response.json()["error"]["fields"]


def test_malformed_json_is_400(api):
    response = api.post("/api/leads/", "{nope", content_type="application/json")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "parse_error"


def test_wrong_content_type_is_415(api):
    response = api.post("/api/leads/", "first_name=Anna", content_type="text/csv")
    assert response.status_code == 415
    assert response.json()["error"]["code"] == "unsupported_media_type"


@override_settings(LEADFLOW_INTAKE_MAX_BODY_BYTES=100)
def test_oversized_body_is_413(api):
    response = post(api, {**BODY, "message": "x" * 200})
    assert response.status_code == 413
    assert not Lead.objects.exists()


@override_settings(LEADFLOW_API_RATE_LIMIT="2/m")
def test_rate_limit_is_429_with_retry_after(api):
    statuses = [post(api, {**BODY, "external_id": str(i)}).status_code for i in range(3)]
    assert statuses == [201, 201, 429]
    assert Lead.objects.count() == 2


def test_same_idempotency_key_and_body_replays_the_first_response(api):
    first = post(api, BODY, HTTP_IDEMPOTENCY_KEY="k-1")
    again = post(api, BODY, HTTP_IDEMPOTENCY_KEY="k-1")
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    assert Lead.objects.count() == 1


def test_same_idempotency_key_with_another_body_is_409(api):
    post(api, BODY, HTTP_IDEMPOTENCY_KEY="k-1")
    response = post(api, {**BODY, "first_name": "Other"}, HTTP_IDEMPOTENCY_KEY="k-1")
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "idempotency_key_reused"
    assert Lead.objects.count() == 1


def test_idempotency_keys_are_per_token(api, db):
    post(api, BODY, HTTP_IDEMPOTENCY_KEY="shared")
    _, raw = api_token_create(name="other", source="other")
    other = APIClient()
    other.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert post(other, BODY, HTTP_IDEMPOTENCY_KEY="shared").status_code == 201
    assert IdempotencyKey.objects.count() == 2


def test_failed_request_does_not_burn_the_idempotency_key(api):
    assert post(api, {"email": "bad"}, HTTP_IDEMPOTENCY_KEY="k-2").status_code == 400
    assert post(api, BODY, HTTP_IDEMPOTENCY_KEY="k-2").status_code == 201


def test_repeated_external_id_is_409_and_writes_nothing(api):
    post(api, {**BODY, "external_id": "crm-1"})
    response = post(api, {**BODY, "external_id": "crm-1"})
    assert response.status_code == 409
    assert Lead.objects.count() == 1 and Submission.objects.count() == 1


def test_detail_shows_findings_and_candidates(api):
    lead = Lead.objects.get(pk=post(api, {**BODY, "email": ""}).json()["id"])
    LeadFinding.objects.create(lead=lead, validator="t", field="email", code="missing", severity="error", message="m")
    data = api.get(f"/api/leads/{lead.pk}/").json()
    assert data["findings"][0]["code"] == "missing"
    assert data["duplicate_candidates"] == []
    assert data["salesforce"] == {}


def test_list_filters_and_paginates_own_leads_only(api):
    for i in range(3):
        post(api, {**BODY, "external_id": f"e{i}"})
    LeadFactory(source="someone-else")
    page = api.get("/api/leads/?page_size=2").json()
    assert page["count"] == 3 and len(page["results"]) == 2 and page["next"]
    assert api.get("/api/leads/?external_id=e1").json()["count"] == 1
    bad = api.get("/api/leads/?created_after=yesterday")
    assert bad.status_code == 400 and "created_after" in bad.json()["error"]["fields"]


def test_openapi_schema_is_served_with_examples(client, db):
    response = client.get("/api/schema/", HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    schema = json.loads(response.content)
    create = schema["paths"]["/api/leads/"]["post"]
    assert "examples" in create["requestBody"]["content"]["application/json"]
    assert {"201", "400", "401", "409", "413", "415", "429"} <= set(create["responses"])


def test_schema_request_example_is_accepted_by_the_api(client, api):
    schema = json.loads(client.get("/api/schema/", HTTP_ACCEPT="application/json").content)
    examples = schema["paths"]["/api/leads/"]["post"]["requestBody"]["content"]["application/json"]["examples"]
    for example in examples.values():
        response = post(api, example["value"])
        assert response.status_code == 201, response.json()
        assert set(response.json()) >= set(schema["components"]["schemas"]["LeadDetail"]["required"])


@pytest.mark.parametrize("body", [{}, {"newsletter": "yes"}, {"email": "", "company": ""}])
def test_a_lead_with_nothing_to_recognise_it_by_is_refused_with_what_is_missing(api, body):
    response = post(api, body)
    assert response.status_code == 400
    message = response.json()["error"]["fields"]["non_field_errors"][0]
    assert message == "A lead needs at least one of: email, phone, first_name, last_name, company."
    assert not Lead.objects.exists()


@pytest.mark.parametrize(
    ("field", "value"), [("external_id", 4711), ("external_id", True), ("consent_given", "yes"), ("consent_given", 1)]
)
def test_a_value_of_the_wrong_type_is_refused_not_coerced(api, field, value):
    response = post(api, {**BODY, field: value})
    assert response.status_code == 400
    assert field in response.json()["error"]["fields"]
    assert not Lead.objects.exists()


def test_a_form_post_may_leave_a_nullable_number_empty(api):
    response = api.post("/api/leads/", {**BODY, "company_size": "", "consent_given": "true"}, format="multipart")
    assert response.status_code == 201
    lead = Lead.objects.get()
    assert (lead.company_size, lead.consent_given) == (None, True)
