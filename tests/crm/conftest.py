import pytest

from leadflow.leads.models import LeadState
from tests.factories import LeadFactory


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
