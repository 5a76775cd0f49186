import pytest
from django.urls import reverse

from leadflow.crm.models import Conversion, ConversionStatus
from leadflow.integrations.salesforce.models import FieldMapping
from leadflow.leads.models import Lead, LeadState
from tests.factories import LeadFactory, UserFactory

pytestmark = pytest.mark.django_db


DEAL = {
    "opportunity": "create",
    "name": "Acme: 40 licences",
    "amount": "12000",
    "close_date": "2027-03-31",
    "stage": "Qualification",
}


def convert_url(lead):
    return reverse("admin:crm_conversion_convert", args=[lead.pk])


def test_lead_page_offers_convert_for_a_qualified_lead(admin_client, qualified_lead):
    page = admin_client.get(reverse("admin:leads_lead_change", args=[qualified_lead.pk]))

    assert page.status_code == 200
    assert convert_url(qualified_lead) in page.content.decode()


def test_lead_page_offers_no_convert_before_qualification(admin_client):
    lead = LeadFactory(state=LeadState.VALIDATED)

    page = admin_client.get(reverse("admin:leads_lead_change", args=[lead.pk]))

    assert convert_url(lead) not in page.content.decode()


def test_convert_page_previews_what_will_be_created_before_confirming(admin_client, salesforce, qualified_lead):
    salesforce.client().Account.create({"Name": "Acme Trading", "Website": "https://acme-trading.nl"})

    page = admin_client.get(convert_url(qualified_lead))

    html = page.content.decode()
    assert "Linked to an existing record (same website domain)" in html
    assert "Confirm conversion" in html
    assert not Conversion.objects.exists()


def test_convert_page_warns_about_mapped_fields_the_org_lacks(admin_client, salesforce, qualified_lead):
    FieldMapping.objects.create(sobject="Contact", lead_field="language", salesforce_field="Language__c")

    page = admin_client.get(convert_url(qualified_lead))

    assert "Salesforce has no field Contact.Language__c" in page.content.decode()


def test_convert_page_says_when_salesforce_cannot_be_asked(admin_client, salesforce, qualified_lead):
    salesforce.fail_next("unavailable")

    page = admin_client.get(convert_url(qualified_lead))

    assert "Salesforce could not be asked what exists already" in page.content.decode()


def test_confirming_queues_the_conversion_and_the_lead_page_shows_the_records(
    admin_client, salesforce, qualified_lead, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(convert_url(qualified_lead), DEAL)

    conversion = Conversion.objects.get(lead=qualified_lead)
    page = admin_client.get(response.url).content.decode()
    assert conversion.status == ConversionStatus.DONE  # tasks run in-process in tests
    assert f"{salesforce.url}/lightning/r/Account/{conversion.account_id}/view" in page
    assert f"/lightning/r/Opportunity/{conversion.opportunity_id}/view" in page
    [opportunity] = salesforce.records("Opportunity")
    assert (opportunity["Name"], opportunity["Amount"], opportunity["StageName"]) == (
        "Acme: 40 licences",
        12000.0,
        "Qualification",
    )


def test_convert_page_offers_the_orgs_stages_and_the_admin_defaults(admin_client, salesforce, qualified_lead):
    page = admin_client.get(convert_url(qualified_lead)).content.decode()

    assert '<option value="Negotiation/Review">' in page  # read from the org's describe
    assert '<option value="Prospecting" selected>' in page  # the Opportunity settings' default
    assert 'value="Acme Trading B.V."' in page  # the name pattern {company}


def test_convert_without_opportunity_from_the_admin(
    admin_client, salesforce, qualified_lead, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(convert_url(qualified_lead), {**DEAL, "opportunity": "skip"})

    assert Conversion.objects.get(lead=qualified_lead).status == ConversionStatus.DONE
    assert salesforce.records("Opportunity") == []


def test_field_mapping_to_a_field_the_org_lacks_is_refused_when_saved(admin_client, salesforce):
    response = admin_client.post(
        reverse("admin:salesforce_fieldmapping_add"),
        {"sobject": "Contact", "lead_field": "language", "salesforce_field": "Language__c", "enabled": "on"},
    )

    assert response.status_code == 200
    assert "Salesforce Contact has no field Language__c." in response.content.decode()
    assert not FieldMapping.objects.filter(salesforce_field="Language__c").exists()


def test_opportunity_stage_the_org_does_not_have_is_refused_when_saved(admin_client, salesforce):
    response = admin_client.post(
        reverse("admin:salesforce_opportunitysettings_change", args=[1]),
        {"create_opportunity": "on", "name_pattern": "{company}", "stage_name": "Signed", "close_date_offset_days": 30},
    )

    assert response.status_code == 200
    assert "“Signed” is not an Opportunity stage of this org" in response.content.decode()


def test_failed_conversion_shows_salesforces_message_escaped_and_can_be_retried(
    admin_client, salesforce, qualified_lead, django_capture_on_commit_callbacks
):
    salesforce.configure(
        custom_fields=[{"sobject": "Account", "name": "Region__c", "validation_message": "<b>Region</b> is required"}]
    )
    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(convert_url(qualified_lead), DEAL)

    page = admin_client.get(reverse("admin:leads_lead_change", args=[qualified_lead.pk])).content.decode()

    assert "&lt;b&gt;Region&lt;/b&gt; is required" in page
    assert convert_url(qualified_lead) in page


def test_bulk_action_converts_the_qualified_leads_and_reports_the_others(
    admin_client, salesforce, django_capture_on_commit_callbacks
):
    qualified = LeadFactory.create_batch(3, state=LeadState.QUALIFIED)
    new = LeadFactory(state=LeadState.NEW)

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            reverse("admin:leads_lead_changelist"),
            {"action": "convert_selected", "_selected_action": [lead.pk for lead in [*qualified, new]]},
            follow=True,
        )

    html = response.content.decode()
    assert "3 conversion(s) queued." in html
    assert "1 refused" in html
    assert Lead.objects.filter(state=LeadState.CONVERTED).count() == 3


def test_people_without_admin_access_cannot_convert(client, qualified_lead):
    client.force_login(UserFactory(username="outsider"))

    response = client.post(convert_url(qualified_lead))

    assert response.status_code == 302
    assert "/login/" in response.url
    assert not Conversion.objects.exists()


def test_staff_without_change_permission_on_leads_cannot_convert(client, qualified_lead):
    client.force_login(UserFactory(username="viewer", is_staff=True))

    response = client.post(convert_url(qualified_lead))

    assert response.status_code == 403
    assert not Conversion.objects.exists()
