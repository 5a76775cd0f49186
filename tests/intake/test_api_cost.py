"""What one API submission costs the database: the token look-up and one INSERT per table, nothing else."""

import json

from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from leadflow.intake.services import api_token_create

BODY = {"first_name": "Anna", "email": "anna@example.nl", "company": "Voorbeeld BV", "external_id": "crm-1"}


def test_create_reads_only_the_token_and_inserts_lead_event_and_submission(db):
    _, raw = api_token_create(name="partner-x", source="partner-x")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    with CaptureQueriesContext(connection) as queries:
        response = client.post("/api/leads/", json.dumps(BODY), content_type="application/json")
    assert response.status_code == 201
    assert response.json()["findings"] == response.json()["duplicate_candidates"] == []
    statements = [q["sql"].split()[0].upper() for q in queries.captured_queries]
    writes = [q["sql"].split()[2].strip('"') for q in queries.captured_queries if q["sql"].startswith("INSERT")]
    # The token and the outbox's read of which targets want `lead.created`; no constraint check, nothing for the
    # reply.
    assert statements.count("SELECT") == 2
    assert writes == ["leads_lead", "leads_leadevent", "intake_submission"]
