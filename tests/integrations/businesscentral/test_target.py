"""Business Central target against the stand-in over HTTP: one customer per lead, found again rather than
duplicated, ETags on every update, and every error sorted into retry or fail."""

import pytest
from django.urls import reverse

from leadflow.integrations.businesscentral.models import BusinessCentralCustomer
from leadflow.leads.services import lead_update
from leadflow.sync.models import JobState, SyncJob
from tests.sync.factories import JANSEN, admin_target_add, convert, run_again

pytestmark = pytest.mark.django_db(transaction=True)


def only_customer(standin) -> dict:
    [customer] = standin.customers.values()
    return customer


def test_customer_is_created_with_its_fields_and_leadflows_number(target, businesscentral_standin):
    job = convert(**JANSEN | {"country": "nl"})

    assert job.state == JobState.DONE
    customer = only_customer(businesscentral_standin)
    assert (customer["number"], customer["type"], customer["displayName"]) == (
        f"LF{job.lead_id}",
        "Company",
        "Bakkerij Jansen B.V.",
    )
    assert customer["taxRegistrationNumber"] == "NL681337223B01"
    assert (customer["addressLine1"], customer["postalCode"], customer["city"], customer["country"]) == (
        "Dorpsstraat 1",
        "1234 AB",
        "Utrecht",
        "NL",
    )
    record = BusinessCentralCustomer.objects.get(lead=job.lead)
    assert (record.customer_id, record.etag) == (customer["id"], customer["@odata.etag"])
    # The copy of the company's customers, then the create (the token is not an API call).
    assert (businesscentral_standin.count("GET"), businesscentral_standin.count("POST")) == (1, 1)


def test_same_job_run_twice_creates_one_customer_and_makes_no_second_call(target, businesscentral_standin):
    job = convert()
    calls = len(businesscentral_standin.calls)
    assert run_again(job).state == JobState.DONE
    assert len(businesscentral_standin.calls) == calls


def test_existing_customer_with_the_same_vat_number_in_another_format_is_matched(target, businesscentral_standin):
    existing = businesscentral_standin.add_customer(displayName="Jansen", taxRegistrationNumber="NL 6813.37.223.B01")
    job = convert(vat_number="NL681337223B01")
    assert businesscentral_standin.count("POST") == 0
    record = BusinessCentralCustomer.objects.get(lead=job.lead)
    assert (record.customer_id, record.matched_existing) == (existing["id"], True)


def test_a_customer_whose_create_answer_was_lost_is_found_again_by_its_number(target, businesscentral_standin):
    job = convert(vat_number="")
    BusinessCentralCustomer.objects.all().delete()  # As if the answer to the create never arrived.
    job = run_again(job)
    assert businesscentral_standin.count("POST") == 1
    assert job.delivery_attempts.first().detail.endswith("an earlier attempt created.")


def test_same_name_and_postcode_is_only_a_review_suggestion(target, businesscentral_standin):
    businesscentral_standin.add_customer(displayName="Bakkerij Jansen", postalCode="1234AB")
    job = convert(company="Bakkerij Jansen B.V.", postcode="1234 AB", vat_number="")
    assert businesscentral_standin.count("POST") == 1
    assert "check whether it is a duplicate" in BusinessCentralCustomer.objects.get(lead=job.lead).review_suggestion


def test_numbers_from_business_centrals_series_when_no_prefix_is_set(target, businesscentral_standin):
    businesscentral_standin.manual_numbers = False
    target.settings["number_prefix"] = ""
    target.save()
    job = convert()
    assert only_customer(businesscentral_standin)["number"] == "C00001"
    assert job.state == JobState.DONE


def test_a_leadflow_number_without_manual_nos_fails_with_business_centrals_reason(target, businesscentral_standin):
    businesscentral_standin.manual_numbers = False
    job = convert()
    assert job.state == JobState.FAILED
    assert "Application_DialogException" in job.last_error and "Manual Nos." in job.last_error


def test_long_values_are_shortened_to_business_centrals_lengths(target, businesscentral_standin):
    job = convert(company="B" * 150, city="C" * 40)
    customer = only_customer(businesscentral_standin)
    assert (len(customer["displayName"]), len(customer["city"]), job.state) == (100, 30, JobState.DONE)


def test_refused_credentials_fail_with_the_identity_platforms_reason(target, businesscentral_standin):
    target.settings["client_secret"] = "expired"
    target.save()
    job = convert()
    assert job.state == JobState.FAILED
    assert "invalid_client: AADSTS7000215" in job.last_error


def test_an_expired_token_is_renewed_once_and_the_call_repeated(target, businesscentral_standin):
    convert()
    businesscentral_standin.expire_tokens()
    assert convert().state == JobState.DONE
    assert businesscentral_standin.count("GET", status=401) == 1


def test_a_server_error_is_retried_and_then_delivered(target, businesscentral_standin):
    businesscentral_standin.fail_next = [503]
    job = convert()
    assert (job.state, job.attempts) == (JobState.PENDING, 1)
    assert run_again(job).state == JobState.DONE


def test_a_429_defers_the_job_without_spending_an_attempt_and_pauses_the_target(target, businesscentral_standin):
    businesscentral_standin.calls_per_window = 1  # The copy refresh takes it; the create gets a 429.
    job = convert()
    target.refresh_from_db()
    assert (job.state, job.attempts, target.paused_until is not None) == (JobState.PENDING, 0, True)


def test_the_shared_budget_defers_before_business_central_would_answer_429(target, businesscentral_standin):
    businesscentral_standin.calls_per_window = 2
    target.settings["calls_per_five_minutes"] = 2
    target.save()
    first, second = convert(), convert()
    assert (first.state, second.state, second.attempts) == (JobState.DONE, JobState.PENDING, 0)
    assert not [call for call in businesscentral_standin.calls if call["status"] == 429]


def test_an_edit_is_patched_with_the_etag_and_only_the_changed_property(target, businesscentral_standin):
    job = convert(phone="+31201234567", email="info@jansen.nl")
    lead_update(lead=job.lead, changes={"phone": "+31207654321"}, actor="anna")

    update = SyncJob.objects.get(lead=job.lead, event="customer.updated")
    assert update.state == JobState.DONE
    customer = only_customer(businesscentral_standin)
    assert (customer["phoneNumber"], customer["email"]) == ("+31207654321", "info@jansen.nl")
    assert BusinessCentralCustomer.objects.get(lead=job.lead).etag == customer["@odata.etag"]
    assert (businesscentral_standin.count("PATCH"), businesscentral_standin.count("GET")) == (1, 1)


def test_a_customer_changed_in_business_central_meanwhile_is_read_again_and_patched(target, businesscentral_standin):
    job = convert(phone="+31201234567")
    customer = only_customer(businesscentral_standin)
    businesscentral_standin.change_customer(customer["id"], creditLimit=5000)  # Accounting edits it: new ETag.

    lead_update(lead=job.lead, changes={"phone": "+31207654321"}, actor="anna")

    customer = only_customer(businesscentral_standin)
    assert (customer["phoneNumber"], customer["creditLimit"]) == ("+31207654321", 5000)
    assert businesscentral_standin.count("PATCH", status=409) == 1
    assert SyncJob.objects.get(lead=job.lead, event="customer.updated").state == JobState.DONE


def test_an_address_edit_is_not_pushed_when_accounting_leads_it(target, businesscentral_standin):
    job = convert(street="Dorpsstraat 1")
    lead_update(lead=job.lead, changes={"street": "Kerkstraat 2"}, actor="anna")
    assert only_customer(businesscentral_standin)["addressLine1"] == "Dorpsstraat 1"
    assert businesscentral_standin.count("PATCH") == 0


def test_admin_adds_a_business_central_target_and_never_shows_its_secret(client, staff_user):
    client.force_login(staff_user)
    settings = {
        "login_url": "https://login.microsoftonline.com",
        "api_url": "https://api.businesscentral.dynamics.com/v2.0",
        "tenant_id": "contoso.onmicrosoft.com",
        "environment": "production",
        "company_id": "f2a5738a-44e3-ea11-bb43-000d3a2feca1",
        "client_id": "app-id",
        "client_secret": "very-secret",
        "number_prefix": "LF",
        "calls_per_five_minutes": "6000",
    }
    target = admin_target_add(client, kind="businesscentral", name="bc-de", settings=settings)
    assert target.settings["company_id"] == "f2a5738a-44e3-ea11-bb43-000d3a2feca1"
    assert "very-secret" not in client.get(reverse("admin:sync_synctarget_change", args=[target.pk])).content.decode()
