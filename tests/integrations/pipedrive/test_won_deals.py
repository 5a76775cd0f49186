"""A deal won in Pipedrive travels on as the same `deal.won` outbox event as a won Salesforce Opportunity:
by a v2 webhook (basic-auth credentials checked) or, when a webhook was missed, by the poll."""

import pytest
from django.utils import timezone

from leadflow.crm import services
from leadflow.crm.models import Conversion
from leadflow.integrations.pipedrive.deals import pipedrive_won_deals_poll
from leadflow.leads.models import LeadEvent
from leadflow.sync.events import EVENTS
from leadflow.sync.models import JobState, SyncJob
from tests.sync.factories import ExactTargetFactory, WebhookTargetFactory, exact_connect

pytestmark = pytest.mark.django_db(transaction=True)

USER, PASSWORD = "leadflow", "hook-secret"


@pytest.fixture
def operations(receiver):
    """A webhook target for operations that takes every event."""
    return WebhookTargetFactory(settings={"url": receiver.url, "secret": "s", "events": list(EVENTS)})


@pytest.fixture
def converted(pipedrive_standin, shop_lead):
    services.lead_convert_request(lead=shop_lead, actor="tests")
    services.lead_convert_run(lead_id=shop_lead.pk)
    return Conversion.objects.get(lead=shop_lead)


@pytest.fixture
def webhook(pipedrive_standin, live_server, settings):
    settings.PIPEDRIVE_WEBHOOK_USER, settings.PIPEDRIVE_WEBHOOK_PASSWORD = USER, PASSWORD
    return pipedrive_standin.add_webhook(
        subscription_url=f"{live_server.url}/integrations/pipedrive/webhook/",
        event_action="change",
        event_object="deal",
        http_auth_user=USER,
        http_auth_password=PASSWORD,
    )


def won_jobs():
    return SyncJob.objects.filter(event="deal.won")


def test_a_deal_won_in_pipedrive_reaches_operations_and_the_accounting_target_by_webhook(
    pipedrive_standin, converted, webhook, operations, receiver, exact_settings, exact_standin
):
    accounting = ExactTargetFactory()
    exact_connect(exact_standin, accounting)

    pipedrive_standin.win_deal(int(converted.opportunity_id))

    assert webhook.deliveries == [200]
    [delivered] = [r for r in receiver.received if r.json["event"] == "deal.won"]
    assert delivered.json["deal"]["crm"] == "pipedrive"
    assert SyncJob.objects.get(target=accounting, event="deal.won").state == JobState.DONE
    assert [a["Name"] for a in exact_standin.accounts()] == ["Acme Trading B.V."]
    [job] = won_jobs().filter(target=operations)
    assert job.payload["deal"]["crm"] == "pipedrive"
    assert job.payload["deal"]["id"] == converted.opportunity_id
    assert job.payload["deal"]["close_date"] == timezone.now().date().isoformat()
    assert job.payload["crm"] == {
        "name": "pipedrive",
        "account_id": converted.account_id,
        "contact_id": converted.contact_id,
        "opportunity_id": converted.opportunity_id,
    }
    note = converted.lead.events.get(kind=LeadEvent.Kind.NOTE)
    assert note.reason.startswith("Deal won in Pipedrive: ")


def test_the_poll_after_the_webhook_announces_nothing_twice(pipedrive_standin, converted, webhook, operations):
    pipedrive_standin.win_deal(int(converted.opportunity_id))

    assert pipedrive_won_deals_poll() == 0
    assert won_jobs().count() == 1


def test_a_missed_webhook_is_made_up_for_by_the_poll(pipedrive_standin, converted, operations):
    pipedrive_standin.win_deal(int(converted.opportunity_id))  # no webhook registered: nobody heard it

    assert pipedrive_won_deals_poll() == 1
    assert won_jobs().count() == 1
    deals_calls = [c for c in pipedrive_standin.calls if c["path"] == "/api/v2/deals" and c["method"] == "GET"]
    assert deals_calls[-1]["query"] == {"ids": converted.opportunity_id, "status": "won", "limit": "100"}


def test_an_open_deal_is_not_announced(pipedrive_standin, converted, operations):
    assert pipedrive_won_deals_poll() == 0
    assert not won_jobs().exists()


def test_a_webhook_with_wrong_credentials_is_refused_and_changes_nothing(
    pipedrive_standin, converted, webhook, operations
):
    webhook.http_auth_password = "guessed"

    pipedrive_standin.win_deal(int(converted.opportunity_id))

    assert webhook.deliveries == [401]
    assert not won_jobs().exists()


def test_without_a_configured_password_every_webhook_is_refused(
    pipedrive_standin, converted, webhook, operations, settings
):
    settings.PIPEDRIVE_WEBHOOK_PASSWORD = ""

    pipedrive_standin.win_deal(int(converted.opportunity_id))

    assert webhook.deliveries == [401]


def test_a_webhook_body_that_is_not_a_v2_event_is_a_400(client, settings):
    settings.PIPEDRIVE_WEBHOOK_USER, settings.PIPEDRIVE_WEBHOOK_PASSWORD = USER, PASSWORD
    auth = {"HTTP_AUTHORIZATION": "Basic bGVhZGZsb3c6aG9vay1zZWNyZXQ="}  # leadflow:hook-secret

    not_json = client.post("/integrations/pipedrive/webhook/", "{", content_type="application/json", **auth)
    v1_body = client.post("/integrations/pipedrive/webhook/", {"current": {}}, content_type="application/json", **auth)

    assert (not_json.status_code, v1_body.status_code) == (400, 400)
    assert "meta" in v1_body.json()["error"]
