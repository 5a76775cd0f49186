import pytest

from leadflow.leads.models import LeadState
from tests.factories import LeadFactory

SHOP_SOURCE = "woocommerce:bakery"


@pytest.fixture(autouse=True)
def _shop_leads_convert_to_pipedrive(settings):
    """The setting under test: web-shop leads go to Pipedrive, every other source to the default (Salesforce)."""
    settings.LEADFLOW_CRM_BY_SOURCE = {"woocommerce:*": "pipedrive"}
    settings.LEADFLOW_CRM_DEFAULT = "salesforce"


@pytest.fixture
def shop_lead(db):
    return LeadFactory(
        state=LeadState.QUALIFIED,
        source=SHOP_SOURCE,
        first_name="Anna",
        last_name="de Vries",
        email="anna@acme-trading.nl",
        phone="+31201234567",
        company="Acme Trading B.V.",
        website="https://www.acme-trading.nl",
        registration_number="12345678",
        city="Utrecht",
    )
