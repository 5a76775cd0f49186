"""Submissions held as suspected spam: managers release them as leads or discard them."""

import pytest

from leadflow.intake.models import Submission, SubmissionChannel, SubmissionStatus
from leadflow.leads.models import Lead

pytestmark = pytest.mark.django_db


@pytest.fixture
def held(db):
    return Submission.objects.create(
        channel=SubmissionChannel.FORM,
        source="website",
        status=SubmissionStatus.SPAM,
        spam_reason="Submitted faster than a person can type.",
        payload={"first_name": "Anna", "last_name": "Fast", "email": "anna@acme.nl", "company": "Acme"},
    )


def test_managers_see_held_submissions_with_the_reason(manager_client, held):
    body = manager_client.get("/held/").content.decode()
    assert "Anna" in body and "anna@acme.nl" in body and "Submitted faster than a person can type." in body


def test_releasing_creates_the_lead_from_what_was_submitted(manager, manager_client, held):
    response = manager_client.post(f"/held/{held.pk}/release/", follow=True)
    lead = Lead.objects.get()
    assert (lead.email, lead.last_name, lead.source) == ("anna@acme.nl", "Fast", "website")
    assert lead.events.get().actor == manager
    assert "Released as a lead" in response.content.decode()
    held.refresh_from_db()
    assert (held.status, held.lead) == (SubmissionStatus.ACCEPTED, lead)
    assert manager_client.post(f"/held/{held.pk}/release/").status_code == 404  # not held any more


def test_discarding_deletes_the_submission(manager_client, held):
    manager_client.post(f"/held/{held.pk}/discard/")
    assert not Submission.objects.exists() and not Lead.objects.exists()


def test_reps_cannot_see_or_release_held_submissions(rep_client, held):
    assert rep_client.get("/held/").status_code == 403
    assert rep_client.post(f"/held/{held.pk}/release/").status_code == 403
    assert not Lead.objects.exists()


def test_managers_reach_the_sync_monitor_from_the_navigation(manager_client):
    from leadflow.review.roles import grant_admin_permissions

    grant_admin_permissions()
    assert 'href="/sync/"' in manager_client.get("/").content.decode()
    assert manager_client.get("/sync/").status_code == 200
