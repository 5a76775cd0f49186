"""The published OpenAPI document is the contract: Schemathesis generates valid and invalid requests for every
operation and checks each answer against it: no server error, documented status codes, content types, headers
and bodies, and input that breaks the schema refused.

Schema-valid input may still be refused with a documented 400: whether a phone number can be dialled or a VAT
number's check digit holds is business validation that JSON Schema cannot express, so Schemathesis's
"positive data is accepted" check is the one left out."""

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.test import override_settings
from hypothesis import HealthCheck, settings

from leadflow.intake.services import api_token_create
from leadflow.wsgi import application
from tests.factories import LeadFactory


@pytest.fixture
def in_process_wsgi(db):
    """Requests go through the real WSGI handler in this thread; like Django's test client, they leave the test's
    database connection (and its transaction) open instead of closing it at the end of each request."""
    for signal in (request_started, request_finished):
        signal.disconnect(close_old_connections)
    yield
    for signal in (request_started, request_finished):
        signal.connect(close_old_connections)


api = schemathesis.openapi.from_wsgi("/api/schema/", application)
# Every request carries a valid API key (below); the key's absence or corruption is tested in test_api.py. Left on,
# Schemathesis would drop the header in a negative case that the key added below then makes valid again.
api.config.generation.update(max_examples=40, with_security_parameters=False)


@pytest.fixture
def token(db):
    _, raw = api_token_create(name="contract", source="contract")
    LeadFactory(source="contract")  # something to list and read
    return raw


@api.parametrize()
@settings(deadline=None, suppress_health_check=list(HealthCheck))
@override_settings(LEADFLOW_API_RATE_LIMIT="1000000/m")
def test_every_api_operation_keeps_its_documented_contract(case, token, in_process_wsgi):
    case.call_and_validate(
        headers={"Authorization": f"Bearer {token}"}, excluded_checks=[schemathesis.checks.positive_data_acceptance]
    )
