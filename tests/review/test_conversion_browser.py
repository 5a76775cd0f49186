"""The three conversion flows a sales rep meets, in Debian's Chromium against the sandbox org over HTTP:
a deal with amount and stage, a contact without a deal, and an existing customer's new enquiry."""

import pytest
from django.utils import timezone

from leadflow.crm import services
from leadflow.crm.models import Conversion
from leadflow.leads.models import LeadState
from leadflow.quality.models import DuplicateCandidate
from tests.factories import LeadFactory
from tests.review.browser import sign_in
from tests.review.factories import user_with_role

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def open_convert_dialog(page, live_server, lead):
    page.goto(f"{live_server.url}/leads/{lead.pk}/")
    page.get_by_text("Convert to Salesforce…").click()


def test_rep_converts_with_a_deal_amount_and_a_stage_from_the_org(page, live_server, salesforce):
    user_with_role("sam", "Sales rep")
    lead = LeadFactory(state=LeadState.QUALIFIED, company="Noordzee Foods B.V.", last_name="Visser")
    sign_in(page, live_server, "sam")
    open_convert_dialog(page, live_server, lead)
    page.get_by_label("Opportunity name").fill("Noordzee: 3 cold stores")
    page.get_by_label("Amount").fill("48000")
    page.get_by_label("Stage").select_option("Proposal/Price Quote")  # one of the org's stages (its describe)
    page.get_by_role("button", name="Convert", exact=True).click()

    page.wait_for_selector("text=conversion to Salesforce queued")
    [opportunity] = salesforce.records("Opportunity")
    assert (opportunity["Name"], opportunity["Amount"], opportunity["StageName"]) == (
        "Noordzee: 3 cold stores",
        48000.0,
        "Proposal/Price Quote",
    )
    assert page.locator(".sf-id").all_inner_texts()[-1] == opportunity["Id"]
    assert page.locator(".badge.state-converted").is_visible()
    assert page.get_by_text("Reject…").count() == 0


def test_rep_converts_a_relevant_contact_without_an_opportunity(page, live_server, salesforce):
    user_with_role("sam", "Sales rep")
    lead = LeadFactory(state=LeadState.QUALIFIED, company="Veluwe Hout B.V.", last_name="Jansen")
    sign_in(page, live_server, "sam")
    open_convert_dialog(page, live_server, lead)
    page.get_by_label("No Opportunity yet (a relevant contact, no deal)").check()
    page.get_by_role("button", name="Convert", exact=True).click()

    page.wait_for_selector("text=conversion to Salesforce queued")
    assert len(salesforce.records("Contact")) == 1
    assert salesforce.records("Opportunity") == []
    lead.refresh_from_db()
    assert lead.state == LeadState.CONVERTED


def test_existing_customers_enquiry_becomes_a_new_opportunity_on_their_account(page, live_server, salesforce):
    user_with_role("sam", "Sales rep")
    earlier = LeadFactory(
        state=LeadState.QUALIFIED, company="Delta Bouw B.V.", email="piet@deltabouw.nl", last_name="de Groot"
    )
    services.lead_convert_request(lead=earlier, actor="tests")
    [account] = salesforce.records("Account")
    enquiry = LeadFactory(
        state=LeadState.QUALIFIED,
        company="Delta Bouw B.V.",
        email="piet@deltabouw.nl",
        last_name="de Groot",
        message="Now also interested in the maintenance contract.",
    )
    DuplicateCandidate.objects.create(lead=enquiry, other_lead=earlier, matcher="exact", score=1, decision="review")
    sign_in(page, live_server, "sam")
    page.goto(f"{live_server.url}/leads/{enquiry.pk}/")

    assert page.get_by_text("Existing customer").first.is_visible()
    assert page.locator(f".existing-customer a[href*='/lightning/r/Account/{account['Id']}/view']").count() == 1
    page.get_by_role("button", name="New enquiry from this customer").click()
    page.wait_for_selector("text=New enquiry from an existing customer")
    open_convert_dialog(page, live_server, enquiry)
    page.get_by_role("button", name="Convert", exact=True).click()

    page.wait_for_selector("text=conversion to Salesforce queued")
    assert [a["Id"] for a in salesforce.records("Account")] == [account["Id"]]
    opportunities = salesforce.records("Opportunity")
    assert len(opportunities) == 2
    assert opportunities[1]["AccountId"] == account["Id"]
    assert opportunities[1]["Description"] == "Now also interested in the maintenance contract."


def test_lead_page_follows_a_running_conversion_until_it_is_converted(page, live_server, salesforce):
    user_with_role("sam", "Sales rep")
    lead = LeadFactory(state=LeadState.QUALIFIED, company="Zeeland Zout B.V.", last_name="Kok")
    sign_in(page, live_server, "sam")
    open_convert_dialog(page, live_server, lead)
    salesforce.fail_next("unavailable")  # the first attempt waits for a retry: the conversion stays pending
    page.get_by_role("button", name="Convert", exact=True).click()
    page.wait_for_selector("text=Converting…")
    assert page.get_by_text("Reject…").count() == 0

    Conversion.objects.filter(lead=lead).update(next_attempt_at=timezone.now())
    services.lead_convert_run(lead_id=lead.pk)  # the worker's retry, while the page is open

    page.wait_for_selector(".badge.state-converted")  # htmx polling reloads the page once it is done
    assert page.locator(".sf-id").count() == 3
