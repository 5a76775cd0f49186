import pytest

from leadflow.core.exceptions import ApplicationError, PermissionDenied
from leadflow.leads.models import LeadState
from leadflow.review.models import BulkJob
from leadflow.review.services import bulk_job_run, bulk_job_start
from tests.factories import LeadFactory

pytestmark = pytest.mark.django_db


def test_bulk_assign_runs_in_the_background_and_reports_progress(
    manager, manager_client, rep, django_capture_on_commit_callbacks
):
    leads = LeadFactory.create_batch(3)
    with django_capture_on_commit_callbacks(execute=True):
        response = manager_client.post(
            "/bulk/", {"action": "assign", "owner_id": rep.pk, "lead_ids": [lead.pk for lead in leads]}
        )
    job = BulkJob.objects.get()
    assert response["Location"] == f"/bulk/{job.pk}/"
    assert (job.status, job.processed, job.succeeded) == ("done", 3, 3)
    assert {lead.owner for lead in type(leads[0]).objects.all()} == {rep}
    progress = manager_client.get(f"/bulk/{job.pk}/", HTTP_HX_REQUEST="true").content.decode()
    assert "3 of 3 handled" in progress


def test_bulk_qualify_records_refused_leads_with_their_reasons(manager, django_capture_on_commit_callbacks):
    ready = LeadFactory(state=LeadState.VALIDATED)
    no_company = LeadFactory(state=LeadState.VALIDATED, company="")
    with django_capture_on_commit_callbacks(execute=True):
        job = bulk_job_start(action="qualify", lead_ids=[ready.pk, no_company.pk], actor=manager)
    job.refresh_from_db()
    ready.refresh_from_db()
    assert ready.state == LeadState.QUALIFIED
    assert job.succeeded == 1
    assert job.failures == [[no_company.pk, f"Cannot qualify lead {no_company.pk} yet. The company name is missing."]]


def test_bulk_reject_needs_a_reason(manager):
    with pytest.raises(ApplicationError, match="Say why"):
        bulk_job_start(action="reject", lead_ids=[LeadFactory().pk], actor=manager, params={"reason": " "})


def test_bulk_assign_needs_a_person_in_a_sales_role(manager, db):
    with pytest.raises(ApplicationError, match="sales role"):
        bulk_job_start(action="assign", lead_ids=[LeadFactory().pk], actor=manager, params={"owner_id": 99999})


def test_reps_cannot_start_bulk_jobs(rep):
    with pytest.raises(PermissionDenied):
        bulk_job_start(action="qualify", lead_ids=[LeadFactory().pk], actor=rep)


def test_running_a_finished_job_again_changes_nothing(manager, django_capture_on_commit_callbacks):
    lead = LeadFactory()
    with django_capture_on_commit_callbacks(execute=True):
        job = bulk_job_start(action="reject", lead_ids=[lead.pk], actor=manager, params={"reason": "Spam"})
    bulk_job_run(job_id=job.pk)
    job.refresh_from_db()
    assert (job.processed, job.succeeded, job.failures) == (1, 1, [])


def test_leads_that_vanished_are_reported_not_crashed_on(manager):
    lead = LeadFactory()
    job = BulkJob.objects.create(action="qualify", lead_ids=[lead.pk, 987654], requested_by=manager)
    bulk_job_run(job_id=job.pk)
    job.refresh_from_db()
    assert job.failures[-1] == [987654, "The lead no longer exists."]


@pytest.mark.parametrize("next_url", ["https://evil.example/phish", "//evil.example/", "/\\evil.example"])
def test_bulk_form_never_redirects_to_another_site(manager_client, next_url):
    response = manager_client.post("/bulk/", {"action": "qualify", "next": next_url})
    assert response.status_code == 302
    assert response["Location"] == "/"


def test_bulk_form_returns_to_the_filtered_queue_it_came_from(manager_client):
    response = manager_client.post("/bulk/", {"action": "qualify", "next": "/?state=new"})
    assert response["Location"] == "/?state=new"


def test_the_job_page_names_each_refused_lead_with_a_link(manager, manager_client, django_capture_on_commit_callbacks):
    no_company = LeadFactory(state=LeadState.VALIDATED, first_name="Nina", last_name="Noname", company="")
    with django_capture_on_commit_callbacks(execute=True):
        job = bulk_job_start(action="qualify", lead_ids=[no_company.pk], actor=manager)
    body = manager_client.get(f"/bulk/{job.pk}/").content.decode()
    assert f'<a href="/leads/{no_company.pk}/">Nina Noname</a>: Cannot qualify' in body


def test_a_refused_bulk_request_returns_to_the_queue_with_the_selection_kept(manager_client):
    leads = LeadFactory.create_batch(2)
    ids = [lead.pk for lead in leads]
    response = manager_client.post(
        "/bulk/", {"action": "reject", "reason": "", "lead_ids": ids, "next": "/?state=new"}, follow=True
    )
    body = response.content.decode()
    assert "Say why the selected leads are rejected." in body
    for lead_id in ids:
        assert f'name="lead_ids" value="{lead_id}" checked' in body


def test_a_bulk_request_never_redirects_off_site(manager_client):
    response = manager_client.post("/bulk/", {"action": "reject", "next": "https://evil.example/"})
    assert response["Location"].startswith("/")
