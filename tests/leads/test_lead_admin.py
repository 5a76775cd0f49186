import pytest
from django.urls import reverse

from leadflow.leads.models import Lead, LeadEvent, LeadState
from leadflow.quality.services import lead_run_checks
from tests.factories import LeadFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client, staff_user):
    client.force_login(staff_user)
    return client


def test_lead_page_offers_only_allowed_transitions_with_the_gate_reasons(admin_client):
    lead = LeadFactory(email="broken@", company="")
    lead_run_checks(lead=lead)
    page = admin_client.get(reverse("admin:leads_lead_change", args=[lead.pk])).content.decode()
    assert f'action="/admin/leads/lead/{lead.pk}/transition/validate/"' in page
    assert "The email address is not valid" in page
    assert "transition/qualify/" not in page and "transition/convert/" not in page


def test_transition_button_runs_the_service_and_audits_the_admin(admin_client, staff_user):
    lead = LeadFactory()
    lead_run_checks(lead=lead)
    response = admin_client.post(reverse("admin:leads_lead_transition", args=[lead.pk, "validate"]))
    assert response.status_code == 302
    lead.refresh_from_db()
    assert lead.state == LeadState.VALIDATED
    assert lead.events.get(kind=LeadEvent.Kind.TRANSITION).actor == staff_user


def test_blocked_transition_shows_the_reasons_and_changes_nothing(admin_client):
    lead = LeadFactory()
    response = admin_client.post(reverse("admin:leads_lead_transition", args=[lead.pk, "validate"]), follow=True)
    assert "The checks have not run yet." in response.content.decode()
    lead.refresh_from_db()
    assert lead.state == LeadState.NEW


def test_convert_cannot_be_fired_from_the_admin_transition_url(admin_client):
    lead = LeadFactory(state=LeadState.QUALIFIED)
    response = admin_client.post(reverse("admin:leads_lead_transition", args=[lead.pk, "convert"]))
    assert response.status_code == 403
    lead.refresh_from_db()
    assert lead.state == LeadState.QUALIFIED


def test_lead_added_in_the_admin_goes_through_intake_and_is_audited(admin_client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            reverse("admin:leads_lead_add"),
            {
                "first_name": "Eva",
                "last_name": "Smit",
                "email": "eva@smit-advies.nl",
                "company": "Smit Advies",
                "country": "NL",
            },
        )
    assert response.status_code == 302, response.content.decode()[:2000]
    lead = Lead.objects.get(email="eva@smit-advies.nl")
    assert lead.state == LeadState.VALIDATED
    assert lead.events.first().kind == LeadEvent.Kind.CREATED


def test_people_without_admin_access_cannot_fire_transitions(client, user):
    client.force_login(user)
    lead = LeadFactory()
    response = client.post(reverse("admin:leads_lead_transition", args=[lead.pk, "reject"]), {"reason": "x"})
    assert response.status_code == 302 and "/login/" in response["Location"]
    lead.refresh_from_db()
    assert lead.state == LeadState.NEW
