"""Exact applies customer.updated: the debtor is changed (PUT), never created twice, and only in the properties
fed by the fields Leadflow leads."""

import pytest
from django.db import transaction

from leadflow.integrations.exact.models import ExactCustomer
from leadflow.leads.services import lead_update
from leadflow.sync import services
from leadflow.sync.models import JobState, SyncConflict, SyncJob, SyncTarget
from tests.sync.factories import convert, converted_lead

pytestmark = pytest.mark.django_db(transaction=True)


def converted_debtor(**fields):
    job = convert(**fields)
    assert job.state == JobState.DONE
    return job.lead


def update_job(lead) -> SyncJob:
    return SyncJob.objects.get(lead=lead, event="customer.updated")


def puts(exact_standin) -> list[dict]:
    return [call for call in exact_standin.calls if call["method"] == "PUT"]


def test_an_edited_email_changes_the_debtor_in_exact(target, exact_standin):
    lead = converted_debtor(company="Bakkerij Jansen B.V.", email="info@jansen.nl")

    lead_update(lead=lead, changes={"email": "boekhouding@jansen.nl", "company": "Jansen Brood B.V."}, actor="anna")

    job = update_job(lead)
    assert job.state == JobState.DONE
    [account] = exact_standin.accounts()
    assert (account["Email"], account["Name"]) == ("boekhouding@jansen.nl", "Jansen Brood B.V.")
    assert exact_standin.stats()["creates"] == 1
    assert job.delivery_attempts.get().detail == f"Updated debtor {account['Code'].strip()!r}: Name, Email."


def test_an_update_delivered_twice_changes_the_debtor_the_same_way(target, exact_standin):
    lead = converted_debtor(phone="+31201234567")
    lead_update(lead=lead, changes={"phone": "+31207654321"}, actor="anna")
    job = update_job(lead)

    SyncJob.objects.filter(pk=job.pk).update(state=JobState.PENDING)
    services.sync_job_deliver(job_id=job.pk)

    assert [account["Phone"] for account in exact_standin.accounts()] == ["+31207654321"]
    assert len(puts(exact_standin)) == 2


def test_an_address_edit_is_not_pushed_when_accounting_leads_the_address(target, exact_standin):
    lead = converted_debtor(street="Dorpsstraat 1")

    lead_update(lead=lead, changes={"street": "Kerkstraat 2"}, actor="anna")

    assert not SyncJob.objects.filter(event="customer.updated").exists()
    assert not puts(exact_standin)
    assert [account["AddressLine1"] for account in exact_standin.accounts()] == ["Dorpsstraat 1"]
    assert SyncConflict.objects.get().changes == {"street": ["Dorpsstraat 1", "Kerkstraat 2"]}


def test_resolving_the_conflict_in_leadflows_favour_changes_the_debtor(target, exact_standin):
    lead = converted_debtor(street="Dorpsstraat 1")
    lead_update(lead=lead, changes={"street": "Kerkstraat 2"}, actor="anna")

    job = services.sync_conflict_resolve(conflict=SyncConflict.objects.get(), push=True, actor="bert")

    job.refresh_from_db()
    assert job.state == JobState.DONE
    assert [account["AddressLine1"] for account in exact_standin.accounts()] == ["Kerkstraat 2"]


def test_an_emptied_field_is_cleared_in_exact(target, exact_standin):
    lead = converted_debtor(website="https://jansen.nl")
    lead_update(lead=lead, changes={"website": ""}, actor="anna")
    assert [account["Website"] for account in exact_standin.accounts()] == [None]


def test_an_update_before_the_customer_is_a_debtor_creates_it_once_from_todays_data(target, exact_standin):
    SyncTarget.objects.filter(pk=target.pk).update(enabled=False)  # Holds both jobs, to deliver them in turn.
    lead, conversion = converted_lead(email="info@jansen.nl")
    with transaction.atomic():
        [conversion_job] = services.outbox_enqueue_conversion(lead=lead, conversion=conversion)
    lead_update(lead=lead, changes={"email": "anna@jansen.nl"}, actor="anna")
    SyncTarget.objects.filter(pk=target.pk).update(enabled=True)

    services.sync_job_deliver(job_id=update_job(lead).pk)  # The update happens to be delivered first.
    services.sync_job_deliver(job_id=conversion_job.pk)

    assert SyncJob.objects.get(pk=conversion_job.pk).state == JobState.DONE
    assert [account["Email"] for account in exact_standin.accounts()] == ["anna@jansen.nl"]
    assert exact_standin.stats()["creates"] == 1
    assert ExactCustomer.objects.filter(lead=lead).count() == 1


def test_a_debtor_deleted_in_exact_fails_the_update_with_exacts_reason(target, exact_standin):
    lead = converted_debtor()
    ExactCustomer.objects.filter(lead=lead).update(exact_id="00000000-0000-0000-0000-000000000000")

    lead_update(lead=lead, changes={"email": "anna@jansen.nl"}, actor="anna")

    job = update_job(lead)
    assert job.state == JobState.FAILED
    assert "Exact refused PUT crm/Accounts" in job.last_error
    assert "(404)" in job.last_error
