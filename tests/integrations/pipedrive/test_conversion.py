"""Conversion into Pipedrive against the local stand-in over real HTTP: the records made, idempotency after lost
answers, existing organizations found, rate limits honoured and refusals shown to people."""

import pytest
from django.urls import reverse
from django.utils import timezone

from leadflow.crm import services
from leadflow.crm.models import Conversion, ConversionStatus
from leadflow.integrations.salesforce.models import RecordAction
from leadflow.leads.models import LeadState
from leadflow.review import roles
from standins.pipedrive import CUSTOM_FIELDS
from tests.factories import LeadFactory
from tests.review.factories import user_with_role

pytestmark = pytest.mark.django_db

ORG_KEY = CUSTOM_FIELDS["organization"]["leadflow_id"]
DEAL_KEY = CUSTOM_FIELDS["deal"]["leadflow_id"]


def convert(lead):
    """Request and run a conversion the way the worker does; returns the stored conversion."""
    services.lead_convert_request(lead=lead, actor="tests")
    services.lead_convert_run(lead_id=lead.pk)
    return Conversion.objects.get(lead=lead)


def run_again_when_due(lead):
    Conversion.objects.filter(lead=lead).update(next_attempt_at=timezone.now())
    services.lead_convert_run(lead_id=lead.pk)
    return Conversion.objects.get(lead=lead)


def writes(standin):
    return [(c["method"], c["path"]) for c in standin.calls if c["method"] != "GET"]


def test_a_web_shop_lead_becomes_one_organization_person_and_deal_in_pipedrive(pipedrive_standin, shop_lead):
    conversion = convert(shop_lead)

    shop_lead.refresh_from_db()
    [org] = pipedrive_standin.all("organization")
    [person] = pipedrive_standin.all("person")
    [deal] = pipedrive_standin.all("deal")
    assert (shop_lead.state, conversion.crm, conversion.status) == (LeadState.CONVERTED, "pipedrive", "done")
    assert (conversion.account_id, conversion.contact_id, conversion.opportunity_id) == (
        str(org["id"]),
        str(person["id"]),
        str(deal["id"]),
    )
    assert (org["name"], org["custom_fields"][ORG_KEY]) == ("Acme Trading B.V.", conversion.external_key)
    assert org["custom_fields"][CUSTOM_FIELDS["organization"]["kvk"]] == "12345678"
    assert org["custom_fields"][CUSTOM_FIELDS["organization"]["domain"]] == "acme-trading.nl"
    assert person["emails"] == [{"value": "anna@acme-trading.nl", "primary": True, "label": "work"}]
    assert (person["name"], person["org_id"]) == ("Anna de Vries", org["id"])
    assert (deal["org_id"], deal["person_id"], deal["custom_fields"][DEAL_KEY]) == (
        org["id"],
        person["id"],
        conversion.external_key,
    )
    assert conversion.api_calls == len(pipedrive_standin.calls)
    assert shop_lead.events.filter(reason__startswith="Converted in Pipedrive: Organization").exists()


def test_other_sources_still_convert_into_salesforce(pipedrive_standin, salesforce, qualified_lead_elsewhere):
    conversion = convert(qualified_lead_elsewhere)

    assert (conversion.crm, conversion.status) == ("salesforce", ConversionStatus.DONE)
    assert len(salesforce.records("Account")) == 1
    assert pipedrive_standin.calls == []


@pytest.fixture
def qualified_lead_elsewhere(db):
    return LeadFactory(state=LeadState.QUALIFIED, source="website-form", company="Other B.V.")


@pytest.mark.parametrize("lost_write", ["/api/v2/organizations", "/api/v2/persons", "/api/v2/deals"])
def test_a_retry_after_a_lost_answer_creates_nothing_twice(pipedrive_standin, shop_lead, lost_write):
    pipedrive_standin.lose_next_answer(lost_write)

    lost = convert(shop_lead)
    done = run_again_when_due(shop_lead)

    assert (lost.status, lost.error_code) == (ConversionStatus.REQUESTED, "ANSWER_LOST")
    assert "nothing is created twice" in lost.last_error
    assert done.status == ConversionStatus.DONE
    assert [len(pipedrive_standin.all(kind)) for kind in ("organization", "person", "deal")] == [1, 1, 1]
    assert [path for _method, path in writes(pipedrive_standin)] == [
        "/api/v2/organizations",
        "/api/v2/persons",
        "/api/v2/deals",
    ]


def test_a_retry_after_the_ids_were_stored_skips_the_search_for_them(pipedrive_standin, shop_lead):
    pipedrive_standin.lose_next_answer("/api/v2/deals")
    convert(shop_lead)
    calls_before = len(pipedrive_standin.calls)

    done = run_again_when_due(shop_lead)

    retry = [c["path"] for c in pipedrive_standin.calls[calls_before:]]
    assert retry == ["/api/v2/itemSearch"]  # the Deal of the first attempt is found by its key; nothing written
    assert done.status == ConversionStatus.DONE


@pytest.mark.parametrize(
    ("custom", "reason"),
    [
        ({"kvk": "12345678"}, "same KvK number"),
        ({"domain": "https://acme-trading.nl/contact"}, "same website domain"),
    ],
)
def test_an_existing_organization_is_linked_not_created(pipedrive_standin, shop_lead, custom, reason):
    existing = pipedrive_standin.add("organization", name="ACME (hoofdkantoor)", custom=custom)

    plan = services.lead_conversion_preview(lead=shop_lead)
    conversion = convert(shop_lead)

    assert (plan.account.action, plan.account.reason, plan.account.record_id) == (
        RecordAction.LINKED,
        reason,
        str(existing["id"]),
    )
    assert len(pipedrive_standin.all("organization")) == 1
    assert (conversion.account_id, conversion.account_action) == (str(existing["id"]), RecordAction.LINKED)
    [person] = pipedrive_standin.all("person")
    assert person["org_id"] == existing["id"]


def test_an_existing_person_with_the_same_email_is_linked_and_joins_the_organization(pipedrive_standin, shop_lead):
    existing = pipedrive_standin.add("person", name="A. de Vries", emails=[{"value": "ANNA@acme-trading.nl"}])

    plan = services.lead_conversion_preview(lead=shop_lead)
    conversion = convert(shop_lead)

    assert plan.contact.updates == {"org_id": "the Organization of this conversion"}
    assert (conversion.contact_id, conversion.contact_action) == (str(existing["id"]), RecordAction.LINKED)
    [person] = pipedrive_standin.all("person")
    assert (person["name"], person["org_id"]) == ("A. de Vries", int(conversion.account_id))


def test_an_existing_person_keeps_the_organization_they_have(pipedrive_standin, shop_lead):
    theirs = pipedrive_standin.add("organization", name="Other Employer")
    pipedrive_standin.add("person", name="A. de Vries", emails=[{"value": "anna@acme-trading.nl"}], org_id=theirs["id"])

    convert(shop_lead)

    [person] = pipedrive_standin.all("person")
    assert person["org_id"] == theirs["id"]
    assert not [c for c in pipedrive_standin.calls if c["method"] == "PATCH"]


def test_a_429_is_waited_out_as_retry_after_asks_and_the_conversion_completes(pipedrive_standin, shop_lead):
    pipedrive_standin.throttle(2, retry_after=1)

    conversion = convert(shop_lead)

    assert conversion.status == ConversionStatus.DONE
    assert [len(pipedrive_standin.all(kind)) for kind in ("organization", "person", "deal")] == [1, 1, 1]
    first, _second, third = pipedrive_standin.calls[:3]
    assert third["at"] - first["at"] >= 2  # each 429 asked for a second's wait


def test_a_rate_limit_longer_than_the_worker_waits_reschedules_no_sooner_than_pipedrive_asks(
    pipedrive_standin, shop_lead, settings
):
    settings.PIPEDRIVE_MAX_WAIT_SECONDS = 0.5
    pipedrive_standin.throttle(5, retry_after=30)

    conversion = convert(shop_lead)

    assert (conversion.status, conversion.error_code) == (ConversionStatus.REQUESTED, "RATE_LIMITED")
    assert (conversion.next_attempt_at - timezone.now()).total_seconds() >= 25
    assert len(pipedrive_standin.calls) == 1  # the used-up window held every later request back
    assert pipedrive_standin.all("organization") == []


def test_pipedrives_validation_error_is_shown_on_the_lead_page(pipedrive_standin, shop_lead, settings, admin_client):
    settings.PIPEDRIVE_KVK_FIELD = "0" * 40  # a custom field the account does not have

    conversion = convert(shop_lead)
    page = admin_client.get(reverse("admin:leads_lead_change", args=[shop_lead.pk])).content.decode()

    message = f"Pipedrive refused the Organization: Custom field(s) not found: {'0' * 40}"
    assert (conversion.status, conversion.last_error) == (ConversionStatus.FAILED, message)
    assert message in page
    shop_lead.refresh_from_db()
    assert shop_lead.state == LeadState.QUALIFIED
    assert pipedrive_standin.all("organization") == []


def test_a_wrong_api_token_fails_the_conversion_and_names_the_setting(pipedrive_standin, shop_lead, settings):
    settings.PIPEDRIVE_API_TOKEN = "not-the-token"

    conversion = convert(shop_lead)

    assert conversion.status == ConversionStatus.FAILED
    assert "Check PIPEDRIVE_API_TOKEN" in conversion.last_error


def test_an_oauth_access_token_is_sent_as_a_bearer(pipedrive_standin, shop_lead, settings):
    settings.PIPEDRIVE_ACCESS_TOKEN = pipedrive_standin.access_token
    settings.PIPEDRIVE_API_TOKEN = ""

    assert convert(shop_lead).status == ConversionStatus.DONE


def test_the_preview_names_pipedrive_and_writes_nothing(pipedrive_standin, shop_lead, admin_client):
    page = admin_client.get(reverse("admin:crm_conversion_convert", args=[shop_lead.pk]))

    text = page.content.decode()
    assert page.status_code == 200
    assert "Convert to Pipedrive" in text
    assert "Organization" in text and "Person" in text and "Deal name" in text
    assert "Proposal Made" in text  # the account's stages, from GET /api/v2/stages
    assert writes(pipedrive_standin) == []


def test_the_workspace_lead_page_offers_conversion_to_pipedrive_and_then_links_the_records(
    pipedrive_standin, shop_lead, client
):
    client.force_login(user_with_role("maria", roles.SALES_MANAGER))
    before = client.get(f"/leads/{shop_lead.pk}/").content.decode()
    conversion = convert(shop_lead)
    after = client.get(f"/leads/{shop_lead.pk}/").content.decode()

    assert "Convert to Pipedrive…" in before
    assert "On conversion in Pipedrive" in before
    assert f"{pipedrive_standin.url}/deal/{conversion.opportunity_id}" in after
    assert f"{pipedrive_standin.url}/organization/{conversion.account_id}" in after


def test_an_unreachable_pipedrive_is_retried_later_and_says_so(pipedrive_standin, shop_lead, settings):
    settings.PIPEDRIVE_API_URL = "http://127.0.0.1:9"  # nothing listens on the discard port

    conversion = convert(shop_lead)

    assert (conversion.status, conversion.error_code) == (ConversionStatus.REQUESTED, "UNREACHABLE")
    assert conversion.last_error == "Pipedrive cannot be reached; retried automatically."
    assert conversion.next_attempt_at > timezone.now()
