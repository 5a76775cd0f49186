import pytest

from leadflow.core.exceptions import NotFound
from leadflow.leads.models import LeadEvent
from leadflow.quality.models import CandidateDecision, CandidateStatus, DuplicateCandidate
from leadflow.review.selectors import get_lead_for_user
from tests.factories import LeadFactory, UserFactory
from tests.review.conftest import client_for

pytestmark = pytest.mark.django_db


def test_rep_sees_own_and_unassigned_leads_only(rep, own_lead, others_lead):
    unassigned = LeadFactory()
    assert get_lead_for_user(rep, own_lead.pk) == own_lead
    assert get_lead_for_user(rep, unassigned.pk) == unassigned
    with pytest.raises(NotFound):
        get_lead_for_user(rep, others_lead.pk)


def test_manager_sees_every_lead(manager, others_lead):
    assert get_lead_for_user(manager, others_lead.pk) == others_lead


def test_rep_opening_another_reps_lead_gets_the_friendly_404_page_even_while_debugging(
    rep_client, others_lead, settings
):
    settings.DEBUG = True
    response = rep_client.get(f"/leads/{others_lead.pk}/")
    body = response.content.decode()
    assert response.status_code == 404
    assert "This page does not exist, or it is not yours to see" in body
    assert "URLconf" not in body and "Others" not in body


@pytest.mark.parametrize("suffix", ["transitions/reject/", "owner/", "notes/", "activities/", "fields/city/"])
def test_rep_cannot_act_on_another_reps_lead(rep_client, others_lead, suffix):
    response = rep_client.post(f"/leads/{others_lead.pk}/{suffix}", {"reason": "x", "body": "x", "city": "x"})
    assert response.status_code == 404
    assert not others_lead.events.exclude(kind=LeadEvent.Kind.CREATED).exists()


@pytest.mark.parametrize("suffix", ["conversion/", "fields/city/?edit=1"])
def test_rep_cannot_open_fragments_of_another_reps_lead(rep_client, others_lead, suffix):
    response = rep_client.get(f"/leads/{others_lead.pk}/{suffix}", HTTP_HX_REQUEST="true")
    assert response.status_code == 404
    assert "Others" not in response.content.decode()


@pytest.mark.parametrize("action", ["merge", "dismiss", "existing-customer"])
def test_rep_cannot_resolve_a_duplicate_candidate_of_another_reps_lead(rep_client, others_lead, action):
    twin = LeadFactory(owner=others_lead.owner)
    candidate = DuplicateCandidate.objects.create(
        lead=others_lead, other_lead=twin, matcher="leads", score=0.9, decision=CandidateDecision.REVIEW
    )
    url = f"/leads/{others_lead.pk}/candidates/{candidate.pk}/{action}/"
    response = rep_client.post(url, {"survivor": "this", "reason": "x"})
    assert response.status_code == 404
    candidate.refresh_from_db()
    assert candidate.status == CandidateStatus.OPEN
    assert not others_lead.events.exclude(kind=LeadEvent.Kind.CREATED).exists()


def test_rep_queue_hides_another_reps_lead(rep_client, own_lead, others_lead):
    body = rep_client.get("/").content.decode()
    assert f"/leads/{own_lead.pk}/" in body
    assert f"/leads/{others_lead.pk}/" not in body


def test_rep_cannot_reach_the_django_admin(rep_client):
    response = rep_client.get("/admin/")
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


def test_signed_out_visitor_is_sent_to_login(client):
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


def test_user_without_a_sales_role_is_refused(db):
    response = client_for(UserFactory(username="visitor")).get("/")
    assert response.status_code == 403


@pytest.mark.parametrize("url", ["/sla/", "/dashboard/"])
def test_manager_pages_are_refused_to_reps_without_telling_them_to_join_their_own_role(rep_client, url):
    response = rep_client.get(url)
    body = response.content.decode()
    assert response.status_code == 403
    assert "This page is for sales managers" in body and "You are signed in as a sales rep" in body
    assert "Ask an administrator to add you" not in body


def test_user_without_a_sales_role_is_told_how_to_get_one(db):
    body = client_for(UserFactory(username="visitor")).get("/").content.decode()
    assert "Ask an administrator to add you to the “Sales rep”" in body


def test_server_error_page_is_friendly_and_needs_no_request_context():
    from django.template.loader import render_to_string

    html = render_to_string("500.html")
    assert "Something went wrong on our side" in html and "Back to the queue" in html


def test_rep_cannot_start_bulk_actions(rep_client, own_lead):
    response = rep_client.post("/bulk/", {"action": "qualify", "lead_ids": [own_lead.pk]})
    assert response.status_code == 403


def test_rep_may_take_an_unassigned_lead_but_not_give_it_away(rep, rep_client, other_rep):
    lead = LeadFactory()
    rep_client.post(f"/leads/{lead.pk}/owner/", {"owner": "me"})
    lead.refresh_from_db()
    assert lead.owner == rep
    response = rep_client.post(f"/leads/{lead.pk}/owner/", {"owner": str(other_rep.pk)})
    assert response.status_code == 403
    lead.refresh_from_db()
    assert lead.owner == rep


def test_superuser_counts_as_admin(db, others_lead):
    superuser = UserFactory(username="root", is_superuser=True, is_staff=True)
    assert client_for(superuser).get(f"/leads/{others_lead.pk}/").status_code == 200


def test_manager_reassignment_is_audited(manager, manager_client, own_lead, other_rep):
    manager_client.post(f"/leads/{own_lead.pk}/owner/", {"owner": str(other_rep.pk)})
    event = own_lead.events.get(kind=LeadEvent.Kind.ASSIGNMENT)
    assert (event.actor, event.data) == (manager, {"from": "sam", "to": "ruben"})
