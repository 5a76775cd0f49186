"""A deal won in Salesforce travels on: noted on the lead once, `deal.won` to webhooks and the accounting target."""

import pytest

from leadflow.crm.models import Conversion
from leadflow.integrations.exact.models import ExactCustomer
from leadflow.integrations.salesforce.deals import salesforce_won_deals_poll
from leadflow.leads.models import LeadEvent
from leadflow.sync.models import JobState, SyncJob
from tests.sync.factories import ExactTargetFactory, WebhookTargetFactory, converted_lead, exact_connect

pytestmark = pytest.mark.django_db(transaction=True)


def customer_with_opportunity(salesforce, stage: str = "Proposal/Price Quote", **lead_fields):
    """A converted lead whose Conversion points at a real Opportunity in the sandbox."""
    opportunity = salesforce.client().Opportunity.create(
        {"Name": "40 licences", "StageName": stage, "CloseDate": "2026-12-01", "Amount": 4000}
    )
    lead, conversion = converted_lead(**lead_fields)
    Conversion.objects.filter(pk=conversion.pk).update(opportunity_id=opportunity["id"])
    return lead, opportunity["id"]


def test_opportunity_closed_won_reaches_the_webhook_and_the_accounting_target(
    salesforce, receiver, exact_settings, exact_standin
):
    WebhookTargetFactory(settings={"url": receiver.url, "secret": "s", "events": ["deal.won"]})
    exact = ExactTargetFactory()
    exact_connect(exact_standin, exact)
    lead, opportunity_id = customer_with_opportunity(salesforce, company="Bakkerij Jansen B.V.")

    assert salesforce_won_deals_poll() == 0  # still a proposal
    salesforce.client().Opportunity.update(opportunity_id, {"StageName": "Closed Won"})
    assert salesforce_won_deals_poll() == 1

    [note] = lead.events.filter(kind=LeadEvent.Kind.NOTE, data__has_key="deal_won")
    assert note.reason == "Deal won in Salesforce: 40 licences: 4,000.00 EUR"
    [delivered] = receiver.received
    assert delivered.json["event"] == "deal.won"
    assert delivered.json["deal"] == {
        "crm": "salesforce",
        "id": opportunity_id,
        "name": "40 licences",
        "amount": 4000.0,
        "currency": "EUR",
        "close_date": "2026-12-01",
    }
    assert SyncJob.objects.get(target=exact, event="deal.won").state == JobState.DONE
    assert ExactCustomer.objects.get(target=exact, lead=lead).exact_id
    assert [a["Name"] for a in exact_standin.accounts()] == ["Bakkerij Jansen B.V."]


def test_a_won_deal_is_announced_once_however_often_it_is_polled(salesforce, receiver):
    WebhookTargetFactory(settings={"url": receiver.url, "secret": "s", "events": ["deal.won"]})
    customer_with_opportunity(salesforce, stage="Closed Won")

    assert [salesforce_won_deals_poll() for _ in range(3)] == [1, 0, 0]
    assert len(receiver.received) == 1


def test_lost_and_open_deals_and_opportunities_leadflow_did_not_create_are_not_announced(salesforce):
    customer_with_opportunity(salesforce, stage="Closed Lost")
    customer_with_opportunity(salesforce, stage="Negotiation/Review")
    salesforce.client().Opportunity.create({"Name": "Not ours", "StageName": "Closed Won", "CloseDate": "2026-12-01"})

    assert salesforce_won_deals_poll() == 0
    assert not LeadEvent.objects.filter(data__has_key="deal_won").exists()


def test_many_conversions_are_checked_in_few_api_calls(salesforce):
    for _ in range(3):
        customer_with_opportunity(salesforce, stage="Closed Won")
    calls_before = salesforce.configure()["api_used"]

    assert salesforce_won_deals_poll() == 3
    assert salesforce.configure()["api_used"] - calls_before == 1  # one Composite call holding the query
