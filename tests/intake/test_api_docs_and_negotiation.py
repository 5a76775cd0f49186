"""The API answers JSON whatever the client accepts, and its documentation page works signed out and offline."""

import json
import re

import pytest
from django.contrib.staticfiles import finders
from django.templatetags.static import static
from rest_framework.test import APIClient

from leadflow.intake.services import api_token_create
from leadflow.leads.models import Lead

STATIC_PREFIX = static("")
BODY = {"first_name": "Anna", "email": "anna@example.nl", "company": "Voorbeeld BV"}


@pytest.fixture
def api(db):
    _, raw = api_token_create(name="partner-x", source="partner-x")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    return client


def test_post_asking_for_html_creates_one_lead_and_answers_json_201(api):
    response = api.post("/api/leads/", json.dumps(BODY), content_type="application/json", HTTP_ACCEPT="text/html")
    assert response.status_code == 201
    assert response["Content-Type"] == "application/json"
    assert Lead.objects.filter(pk=response.json()["id"]).count() == Lead.objects.count() == 1


@pytest.mark.parametrize("path", ["/api/leads/", "/api/leads/1/"])
def test_signed_out_html_request_to_an_api_url_is_a_json_401(client, db, path):
    response = client.get(path, HTTP_ACCEPT="text/html,application/xhtml+xml")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_authenticated"


def test_api_docs_render_signed_out_from_this_server_only(client, db):
    response = client.get("/api/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "<script>" not in html  # the start-up script is a file of its own (CSP)
    assets = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert assets and all(a.startswith("/") for a in assets), assets
    for asset in assets:
        if asset.startswith(STATIC_PREFIX):
            assert finders.find(asset.removeprefix(STATIC_PREFIX)), asset
        else:
            assert client.get(asset).status_code == 200, asset


def test_api_schema_is_served_signed_out(client, db):
    response = client.get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    assert response.json()["info"]["title"] == "Leadflow API"


@pytest.mark.parametrize("path", ["/api/leads/abc/", "/api/nope", "/api/leads/1/extra/"])
def test_an_unknown_api_url_is_the_json_404(client, db, path):
    response = client.get(path)
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_the_schema_documents_the_list_as_a_page_with_its_parameters(client, db):
    schema = client.get("/api/schema/", {"format": "json"}).json()
    operation = schema["paths"]["/api/leads/"]["get"]
    assert {"page", "page_size"} <= {p["name"] for p in operation["parameters"]}
    page = operation["responses"]["200"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[-1]
    assert set(schema["components"]["schemas"][page]["properties"]) == {"count", "next", "previous", "results"}
