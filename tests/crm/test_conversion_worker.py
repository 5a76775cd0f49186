"""End to end through a real Celery worker process: request → Redis → worker → sandbox over HTTP → database."""

import pytest

from leadflow.crm import services
from leadflow.crm.models import Conversion, ConversionStatus
from leadflow.crm.tasks import sweep_conversions
from leadflow.leads.models import Lead, LeadState
from tests.factories import LeadFactory
from tests.helpers import wait_for
from tests.plugins.celery_worker import start_celery_worker, stop_celery_worker

pytestmark = [pytest.mark.redis]


@pytest.fixture
def converting_worker(transactional_db, salesforce, monkeypatch, request):
    """The shared worker fixture, started with this test's sandbox as its Salesforce org."""
    monkeypatch.setenv("SALESFORCE_INSTANCE_URL", salesforce.url)
    monkeypatch.setenv("SALESFORCE_CLIENT_ID", salesforce.client_id)
    monkeypatch.setenv("SALESFORCE_CLIENT_SECRET", salesforce.client_secret)
    return request.getfixturevalue("celery_worker_process")


def test_worker_converts_a_qualified_lead_into_exactly_one_account_contact_and_opportunity(
    converting_worker, salesforce, qualified_lead
):
    services.lead_convert_request(lead=qualified_lead, actor="tests")

    assert wait_for(lambda: Lead.objects.get(pk=qualified_lead.pk).state == LeadState.CONVERTED)
    conversion = Conversion.objects.get(lead=qualified_lead)
    [account] = salesforce.records("Account")
    [contact] = salesforce.records("Contact")
    [opportunity] = salesforce.records("Opportunity")
    assert conversion.status == ConversionStatus.DONE
    assert (conversion.account_id, conversion.contact_id, conversion.opportunity_id) == (
        account["Id"],
        contact["Id"],
        opportunity["Id"],
    )
    assert (account["Name"], account["VAT_Number__c"]) == ("Acme Trading B.V.", "NL123456789B01")
    assert (contact["LastName"], contact["Email"]) == ("de Vries", "anna@acme-trading.nl")
    assert contact["AccountId"] == opportunity["AccountId"] == account["Id"]


def test_worker_retries_an_unavailable_org_when_the_sweeper_finds_the_conversion_due(
    converting_worker, salesforce, qualified_lead
):
    salesforce.fail_next("unavailable")
    services.lead_convert_request(lead=qualified_lead, actor="tests")
    assert wait_for(lambda: Conversion.objects.get(lead=qualified_lead).error_code == "SERVER_UNAVAILABLE")

    Conversion.objects.filter(lead=qualified_lead).update(next_attempt_at="2020-01-01T00:00:00Z")
    sweep_conversions.delay()

    assert wait_for(lambda: Lead.objects.get(pk=qualified_lead.pk).state == LeadState.CONVERTED), str(
        list(Conversion.objects.values("status", "attempts", "next_attempt_at", "last_error", "error_code"))
    )
    assert len(salesforce.records("Account")) == 1
    assert Conversion.objects.get(lead=qualified_lead).attempts == 2


def all_converted(leads) -> bool:
    return Lead.objects.filter(pk__in=[lead.pk for lead in leads], state=LeadState.CONVERTED).count() == len(leads)


def test_bulk_conversion_survives_a_worker_killed_mid_batch_and_converts_each_lead_exactly_once(
    converting_worker, salesforce, settings, tmp_path
):
    leads = [LeadFactory(state=LeadState.QUALIFIED, company=f"Killed {n} B.V.") for n in range(160)]
    services.leads_convert_request(leads=leads, actor="tests")
    # Kill the worker while it holds a claimed batch: its conversions are in progress, maybe committed in Salesforce.
    assert wait_for(lambda: Conversion.objects.filter(status=ConversionStatus.IN_PROGRESS).exists())
    converting_worker.kill()  # SIGKILL: no clean-up, no acknowledgement
    converting_worker.wait(timeout=20)

    restarted = start_celery_worker(tmp_path / "restarted.log")
    try:
        # The sweeper (beat, every 30 s in production) takes over attempts left in progress; no person acts.
        settings.LEADFLOW_CONVERSION_STUCK_AFTER_SECONDS = 0
        assert wait_for(lambda: sweep_conversions() is not None and all_converted(leads), timeout=120)
    finally:
        stop_celery_worker(restarted)

    external_keys = [record["Leadflow_Id__c"] for record in salesforce.records("Account")]
    assert len(external_keys) == len(set(external_keys)) == 160
    assert len(salesforce.records("Contact")) == len(salesforce.records("Opportunity")) == 160
    assert len(salesforce.records("OpportunityContactRole")) == 160
