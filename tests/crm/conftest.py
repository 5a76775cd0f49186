import pytest
from django.core.cache import cache

from leadflow.leads.models import LeadState
from tests.factories import LeadFactory


@pytest.fixture
def salesforce(settings, salesforce_sandbox):
    """The app configured against a fresh sandbox org, with no token or quota figure remembered."""
    settings.SALESFORCE_INSTANCE_URL = salesforce_sandbox.url
    settings.SALESFORCE_TOKEN_URL = f"{salesforce_sandbox.url}/services/oauth2/token"
    settings.SALESFORCE_CLIENT_ID = salesforce_sandbox.client_id
    settings.SALESFORCE_CLIENT_SECRET = salesforce_sandbox.client_secret
    settings.SALESFORCE_TIMEOUT = 15
    cache.clear()
    yield salesforce_sandbox
    cache.clear()


@pytest.fixture
def qualified_lead(db):
    return LeadFactory(
        state=LeadState.QUALIFIED,
        first_name="Anna",
        last_name="de Vries",
        email="anna@acme-trading.nl",
        company="Acme Trading B.V.",
        website="https://www.acme-trading.nl",
        vat_number="NL123456789B01",
        registration_number="12345678",
        city="Utrecht",
        job_title="Inkoper",
        message="We need 40 licences.",
    )
