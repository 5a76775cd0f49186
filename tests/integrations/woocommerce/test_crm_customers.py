"""A buyer who is already a person in the CRM (but never a Leadflow lead) is linked to that record, not made a lead."""

import pytest

from leadflow.integrations.woocommerce.models import WooBuyer, WooOrder
from leadflow.integrations.woocommerce.services import resource_record
from leadflow.leads.models import Lead
from tests.integrations.woocommerce.conftest import billing

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def crm_directory(settings, salesforce):
    settings.LEADFLOW_REMOTE_DIRECTORY = "leadflow.integrations.salesforce.directory.SalesforceDirectory"
    return salesforce


def test_buyer_found_as_a_contact_in_salesforce_gets_no_lead_and_the_order_goes_on_the_buyers_timeline(
    store, crm_directory
):
    contact = crm_directory.client().Contact.create(
        {"FirstName": "Anna", "LastName": "Jansen5", "Email": "anna5@jansen5.nl"}
    )

    for order_id in (801, 802):
        resource_record(store=store, collection="orders", resource={"id": order_id, "billing": billing(5)})

    buyer = WooBuyer.objects.get()
    assert (buyer.matched, buyer.crm_object, buyer.crm_id, buyer.lead) == ("crm record", "Contact", contact["id"], None)
    assert not Lead.objects.exists()
    assert list(WooOrder.objects.filter(buyer=buyer).values_list("woo_id", flat=True).order_by("woo_id")) == [801, 802]


def test_buyer_unknown_to_the_crm_becomes_a_lead(store, crm_directory):
    resource_record(store=store, collection="orders", resource={"id": 803, "billing": billing(6)})

    assert WooBuyer.objects.get().matched == "new lead"
    assert Lead.objects.get().email == "anna6@jansen6.nl"
