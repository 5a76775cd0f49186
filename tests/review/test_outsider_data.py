"""A rep sees no field of a lead outside their reach anywhere: not on their own lead's page beside a duplicate, not
in any fragment, not in the queue, not through the API of another source."""

import json

import pytest
from rest_framework.test import APIClient

from leadflow.intake.services import api_token_create
from leadflow.leads.models import Lead
from leadflow.quality.models import DuplicateCandidate
from leadflow.quality.services import lead_run_checks
from tests.factories import LeadFactory

pytestmark = pytest.mark.django_db

SECRETS = {
    "first_name": "Geheimina",
    "last_name": "Verborgen",
    "company": "Stille Vennoten BV",
    "phone": "+31 20 799 1234",
    "street": "Geheimgracht 17",
    "city": "Zwijgdam",
    "message": "Vertrouwelijk budget van 80.000",
}
SHARED_EMAIL = "j.jansen@gedeeld.nl"  # a person's own address: a shared role mailbox (inkoop@) is no evidence


@pytest.fixture
def pair(rep, other_rep):
    """Two leads with one email: the rep's own, and one owned by another rep. Matching links them."""
    theirs = LeadFactory(owner=other_rep, email=SHARED_EMAIL, country="NL", **SECRETS)
    own = LeadFactory(owner=rep, email=SHARED_EMAIL, country="NL", first_name="Eigen", last_name="Lead")
    lead_run_checks(lead=own)
    assert DuplicateCandidate.objects.filter(lead=own, other_lead=theirs).exists()
    return own, theirs


def _leaks(body: str, theirs) -> list[str]:
    found = [value for value in SECRETS.values() if value in body]
    return found + ([f"/leads/{theirs.pk}/"] if f"/leads/{theirs.pk}/" in body else [])


def test_own_lead_page_names_the_duplicate_but_shows_none_of_its_data(rep_client, pair):
    own, theirs = pair
    body = rep_client.get(f"/leads/{own.pk}/").content.decode()
    assert _leaks(body, theirs) == []
    assert "A possible duplicate" in body and "ruben" in body


@pytest.mark.parametrize(
    "path",
    ["/", "/?q=gedeeld", "/?has_duplicates=on", "/leads/{own}/", "/leads/{own}/fields/company/", "/leads/{own}/notes/"],
)
@pytest.mark.parametrize("htmx", [False, True], ids=["page", "fragment"])
def test_no_view_or_fragment_a_rep_can_open_shows_the_other_leads_data(rep_client, pair, path, htmx):
    own, theirs = pair
    headers = {"HTTP_HX_REQUEST": "true"} if htmx else {}
    response = rep_client.get(path.format(own=own.pk), **headers)
    assert _leaks(response.content.decode(), theirs) == []


def test_rep_cannot_merge_with_a_lead_outside_their_reach(rep_client, pair):
    own, theirs = pair
    candidate = DuplicateCandidate.objects.get(lead=own, other_lead=theirs)
    response = rep_client.post(f"/leads/{own.pk}/candidates/{candidate.pk}/merge/", {"survivor": "this"})
    assert response.status_code == 404
    theirs.refresh_from_db()
    assert theirs.state != "duplicate"


def test_manager_sees_both_leads_side_by_side(manager_client, pair):
    own, theirs = pair
    body = manager_client.get(f"/leads/{own.pk}/").content.decode()
    assert SECRETS["company"] in body and f"/leads/{theirs.pk}/" in body


def test_api_hides_a_duplicate_candidate_from_another_source(db):
    _, raw = api_token_create(name="partner-x", source="partner-x")
    theirs = LeadFactory(source="partner-y", email=SHARED_EMAIL, country="NL", **SECRETS)
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    body = {"first_name": "Eigen", "last_name": "Lead", "email": SHARED_EMAIL, "company": "Eigen BV"}
    created = api.post("/api/leads/", json.dumps(body), content_type="application/json").json()
    lead_run_checks(lead=Lead.objects.get(pk=created["id"]))  # what the worker does after the commit
    assert DuplicateCandidate.objects.filter(lead_id=created["id"], other_lead=theirs).exists()  # matched, yet

    for response in (api.get(f"/api/leads/{created['id']}/"), api.get("/api/leads/")):
        text = response.content.decode()
        assert str(theirs.pk) not in [str(c["other_lead"]) for c in _candidates(response.json())]
        assert not any(value in text for value in SECRETS.values())


def _candidates(data: dict) -> list[dict]:
    leads = data.get("results", [data])
    return [c for lead in leads for c in lead["duplicate_candidates"]]
