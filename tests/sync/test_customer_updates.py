"""Changes keep flowing: an edit to a converted customer's data is a `customer.updated` job for every target
that opted in, except for the field groups a target leads: those edits are not pushed but opened as conflicts,
which a person resolves."""

import pytest
from django.urls import reverse

from leadflow.core.exceptions import ApplicationError
from leadflow.leads.models import LeadEvent, LeadState
from leadflow.leads.services import lead_event_record, lead_update
from leadflow.sync import services
from leadflow.sync.events import CUSTOMER_UPDATED
from leadflow.sync.leading import LEADFLOW, TARGET
from leadflow.sync.models import JobState, SyncConflict, SyncJob
from tests.factories import LeadFactory, UserFactory
from tests.sync.factories import ExactTargetFactory, WebhookTargetFactory, converted_lead

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def webhook(receiver):
    return WebhookTargetFactory(settings={"url": receiver.url, "secret": "s", "events": [CUSTOMER_UPDATED]})


def accounting(**leading):
    """An Exact target switched off, so its jobs are held and can be read (its deliveries: tests/integrations)."""
    settings = {"division": 1, "field_mapping": {"Name": "customer.company"}} | leading
    return ExactTargetFactory(enabled=False, settings=settings)


def customer(**fields):
    lead, _ = converted_lead(**fields)
    return lead


def test_an_edit_to_a_customer_reaches_a_webhook_as_customer_updated(webhook, receiver):
    lead = customer(phone="+31201234567")

    lead_update(lead=lead, changes={"phone": "+31207654321"}, actor="anna")

    [job] = SyncJob.objects.filter(target=webhook)
    assert job.state == JobState.DONE
    [body] = [r.json for r in receiver.received]
    assert body["event"] == CUSTOMER_UPDATED
    assert body["customer"]["phone"] == "+31207654321"
    assert body["change"]["kind"] == "edit"
    assert body["change"]["fields"] == ["phone"]
    assert body["change"]["details"]["changed"] == {"phone": ["+31201234567", "+31207654321"]}
    assert body["change"]["actor"] == "anna"


def test_an_edit_that_changes_nothing_sends_nothing(webhook):
    lead = customer(city="Utrecht")
    lead_update(lead=lead, changes={"city": "Utrecht"}, actor="anna")
    assert not SyncJob.objects.exists()


def test_edits_to_open_leads_are_checked_again_not_sent(webhook):
    lead = LeadFactory(state=LeadState.VALIDATED)
    lead = lead_update(lead=lead, changes={"city": "Delft"}, actor="anna")
    assert not SyncJob.objects.exists()
    assert lead.checks_due_at is not None


def test_a_rejected_lead_still_cannot_be_edited(webhook):
    lead = LeadFactory(state=LeadState.REJECTED)
    with pytest.raises(ApplicationError, match="rejected lead can no longer be edited"):
        lead_update(lead=lead, changes={"city": "Delft"}, actor="anna")


def test_an_edit_to_data_the_accounting_target_leads_is_not_pushed_there_but_opened_as_a_conflict(webhook):
    exact = accounting()  # The usual split: accounting leads the address.
    lead = customer(street="Dorpsstraat 1", email="info@jansen.nl")

    lead_update(lead=lead, changes={"street": "Kerkstraat 2", "email": "anna@jansen.nl"}, actor="anna")

    [exact_job] = SyncJob.objects.filter(target=exact)
    assert exact_job.payload["change"]["fields"] == ["email"]
    [webhook_job] = SyncJob.objects.filter(target=webhook)  # A webhook only listens: it hears of every change.
    assert webhook_job.payload["change"]["fields"] == ["email", "street"]
    [conflict] = SyncConflict.objects.all()
    assert (conflict.target, conflict.lead) == (exact, lead)
    assert conflict.changes == {"street": ["Dorpsstraat 1", "Kerkstraat 2"]}
    assert conflict.changed_by == "anna"
    assert conflict.state == SyncConflict.State.OPEN


def test_an_edit_only_to_led_data_sends_the_accounting_target_nothing():
    exact = accounting()
    lead = customer(postcode="1234 AB")
    lead_update(lead=lead, changes={"postcode": "3511 AA"}, actor="anna")
    assert not SyncJob.objects.filter(target=exact).exists()
    assert SyncConflict.objects.filter(target=exact).count() == 1


def test_the_leading_system_is_chosen_per_field_group_and_target():
    led_here = accounting(leading_address=LEADFLOW, leading_contact=TARGET)
    lead = customer()

    lead_update(lead=lead, changes={"city": "Delft", "phone": "+3215000000"}, actor="anna")

    [job] = SyncJob.objects.filter(target=led_here)
    assert job.payload["change"]["fields"] == ["city"]
    assert SyncConflict.objects.get().changes == {"phone": [lead.phone, "+3215000000"]}


def test_news_without_changed_fields_does_not_reach_a_system_of_record(webhook):
    exact = accounting()
    lead = customer()
    lead_event_record(
        lead=lead,
        kind=LeadEvent.Kind.NOTE,
        actor="woocommerce:shop",
        reason="Order 7",
        data={"customer_change": "order"},
    )

    assert not SyncJob.objects.filter(target=exact).exists()
    assert SyncJob.objects.get(target=webhook).payload["change"]["fields"] == []


def test_sending_leadflows_value_after_all_queues_the_fields_for_that_target():
    exact = accounting()
    lead = customer(street="Dorpsstraat 1")
    lead_update(lead=lead, changes={"street": "Kerkstraat 2"}, actor="anna")
    conflict = SyncConflict.objects.get()

    job = services.sync_conflict_resolve(conflict=conflict, push=True, actor="bert")

    assert (job.target, job.event, job.state) == (exact, CUSTOMER_UPDATED, JobState.PENDING)
    assert job.payload["change"]["fields"] == ["street"]
    assert job.payload["customer"]["street"] == "Kerkstraat 2"
    conflict.refresh_from_db()
    assert (conflict.state, conflict.resolved_by) == (SyncConflict.State.PUSHED, "bert")


def test_keeping_the_targets_value_closes_the_conflict_and_sends_nothing():
    exact = accounting()
    lead = customer(street="Dorpsstraat 1")
    lead_update(lead=lead, changes={"street": "Kerkstraat 2"}, actor="anna")

    assert services.sync_conflict_resolve(conflict=SyncConflict.objects.get(), push=False, actor="bert") is None

    assert SyncConflict.objects.get().state == SyncConflict.State.KEPT
    assert not SyncJob.objects.filter(target=exact).exists()


def test_a_conflict_is_resolved_once():
    accounting()
    lead = customer(street="Dorpsstraat 1")
    lead_update(lead=lead, changes={"street": "Kerkstraat 2"}, actor="anna")
    conflict = SyncConflict.objects.get()
    services.sync_conflict_resolve(conflict=conflict, push=False, actor="bert")

    with pytest.raises(ApplicationError, match="already resolved"):
        services.sync_conflict_resolve(conflict=conflict, push=True, actor="carla")
    assert not SyncJob.objects.exists()


def open_conflict() -> SyncConflict:
    accounting()
    lead = customer(street="Dorpsstraat 1")
    lead_update(lead=lead, changes={"street": "Kerkstraat 2"}, actor="anna")
    return SyncConflict.objects.get()


def test_a_manager_sees_the_conflict_and_sends_leadflows_value_from_the_admin(client, staff_user):
    conflict = open_conflict()
    client.force_login(staff_user)
    url = reverse("admin:sync_syncconflict_changelist")

    assert "street: &#x27;Dorpsstraat 1&#x27; → &#x27;Kerkstraat 2&#x27;" in client.get(url).content.decode()
    page = client.post(url, {"action": "send_leadflow_value", "_selected_action": [conflict.pk]}, follow=True)

    assert "1 conflict(s) resolved." in page.content.decode()
    assert SyncJob.objects.get(target=conflict.target).payload["change"]["fields"] == ["street"]


def test_staff_without_the_sync_permission_cannot_resolve_conflicts(client):
    conflict = open_conflict()
    client.force_login(UserFactory(username="clerk", is_staff=True))
    url = reverse("admin:sync_syncconflict_changelist")

    assert client.get(url).status_code == 403
    client.post(url, {"action": "keep_target_value", "_selected_action": [conflict.pk]})
    assert SyncConflict.objects.get().state == SyncConflict.State.OPEN
