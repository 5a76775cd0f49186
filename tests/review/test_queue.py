from datetime import timedelta

import pytest
from django.utils import timezone

from leadflow.crm.models import Conversion
from leadflow.leads.models import Lead, LeadState
from leadflow.quality.models import DuplicateCandidate, LeadFinding, Severity
from leadflow.review.models import LeadPlan
from leadflow.review.selectors import QueueFilters, lead_queue_for, queue_state_counts
from tests.factories import LeadFactory
from tests.review.conftest import client_for

pytestmark = pytest.mark.django_db


def names(user, **filters):
    return [lead.last_name for lead in lead_queue_for(user, QueueFilters(**filters))]


def test_search_matches_name_email_and_company_words(manager):
    LeadFactory(last_name="Jansen", company="Acme", email="a@acme.nl")
    LeadFactory(last_name="Visser", company="Brightwave", email="info@bright.de")
    assert names(manager, search="jans") == ["Jansen"]
    assert names(manager, search="BRIGHT.DE") == ["Visser"]
    assert names(manager, search="acme jansen") == ["Jansen"]
    assert names(manager, search="acme visser") == []


def test_filters_on_state_source_country_and_owner(manager, rep):
    LeadFactory(last_name="A", state=LeadState.VALIDATED, source="web", country="NL", owner=rep)
    LeadFactory(last_name="B", state=LeadState.NEW, source="web", country="DE")
    LeadFactory(last_name="C", state=LeadState.VALIDATED, source="api", country="nl")
    assert names(manager, state="validated", sort="name") == ["A", "C"]
    assert names(manager, source="web", sort="name") == ["A", "B"]
    assert names(manager, country="NL", sort="name") == ["A", "C"]
    assert names(manager, owner=str(rep.pk)) == ["A"]
    assert names(manager, owner="none", sort="name") == ["B", "C"]
    assert names(manager, owner="me") == []


def test_date_range_is_inclusive(manager):
    lead = LeadFactory(last_name="Old")
    Lead.objects.filter(pk=lead.pk).update(created_at=timezone.now() - timedelta(days=10))
    LeadFactory(last_name="Today")
    today = timezone.localdate()
    assert names(manager, created_to=today - timedelta(days=5)) == ["Old"]
    assert names(manager, created_from=today) == ["Today"]


def test_has_duplicates_and_has_findings_filters(manager):
    with_dup, with_finding, plain = LeadFactory(last_name="Dup"), LeadFactory(last_name="Finding"), LeadFactory()
    DuplicateCandidate.objects.create(lead=with_dup, other_lead=plain, matcher="exact", score=1, decision="auto")
    LeadFinding.objects.create(
        lead=with_finding, validator="email", field="email", code="x", severity=Severity.ERROR, message="Bad"
    )
    LeadFinding.objects.create(
        lead=plain, validator="phone", field="phone", code="y", severity=Severity.INFO, message="Cleaned"
    )
    assert names(manager, has_duplicates=True) == ["Dup"]
    assert names(manager, has_findings=True) == ["Finding"]


def test_sorting_by_name_and_oldest(manager):
    for name in ("B", "C", "A"):
        LeadFactory(last_name=name)
    assert names(manager, sort="name") == ["A", "B", "C"]
    assert names(manager, sort="oldest") == ["B", "C", "A"]
    assert names(manager) == ["A", "C", "B"]


def test_state_counts_respect_the_other_filters_but_not_the_state(manager):
    LeadFactory(state=LeadState.NEW, source="web")
    LeadFactory(state=LeadState.QUALIFIED, source="web")
    LeadFactory(state=LeadState.QUALIFIED, source="api")
    counts = queue_state_counts(manager, QueueFilters(source="web", state="new"))
    assert (counts["new"], counts["qualified"], counts["converted"]) == (1, 1, 0)


def test_queue_page_runs_a_constant_number_of_queries(manager_client, django_assert_max_num_queries, rep):
    def page_with(n):
        LeadFactory.create_batch(n, owner=rep)
        with django_assert_max_num_queries(13) as captured:
            response = manager_client.get("/", {"sort": "owner", "has_findings": "", "q": ""})
        assert response.status_code == 200
        return len(captured.captured_queries)

    assert page_with(3) == page_with(45)


def test_queue_paginates(manager_client, settings):
    settings.LEADFLOW_QUEUE_PAGE_SIZE = 2
    LeadFactory.create_batch(5)
    response = manager_client.get("/", {"page": 3, "state": "all"})
    assert response.context["page"].number == 3
    assert len(response.context["rows"]) == 1


def test_bad_filter_input_is_reported_and_ignored(manager_client):
    LeadFactory(last_name="Still shown")
    response = manager_client.get("/", {"created_from": "yesterday", "owner": "drop table", "state": "bogus"})
    assert response.status_code == 200
    body = response.content.decode()
    assert "Still shown" in body
    assert "Enter a valid date." in body


def test_htmx_request_gets_only_the_results_fragment(manager_client):
    response = manager_client.get("/", HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert b"<html" not in response.content
    assert b"queue-table" in response.content


def test_the_default_queue_is_my_open_work_with_what_is_due_first(rep, rep_client, other_rep):
    mine_new = LeadFactory(owner=rep, last_name="MineNew", state=LeadState.NEW)
    LeadFactory(owner=rep, last_name="MineRejected", state=LeadState.REJECTED)
    LeadFactory(last_name="Unassigned")
    LeadFactory(owner=other_rep, last_name="Theirs")
    response = rep_client.get("/")
    assert [lead.pk for lead, _ in response.context["rows"]] == [mine_new.pk]
    assert response.context["filters"].sort == "due"
    body = response.content.decode()
    assert "Your open work" in body and "state=all" in body and "owner=me" in body


def test_the_all_tab_shows_closed_leads_too(rep, rep_client):
    LeadFactory(owner=rep, last_name="MineRejected", state=LeadState.REJECTED)
    assert "MineRejected" in rep_client.get("/", {"state": "all"}).content.decode()


def test_due_first_puts_todays_next_step_on_top_and_future_ones_last(manager, settings):
    settings.LEADFLOW_FIRST_RESPONSE_HOURS = 24
    today = timezone.localdate()
    plan_ahead = LeadFactory(last_name="Ahead")
    LeadPlan.objects.create(lead=plan_ahead, next_step="Call", next_step_on=today + timedelta(days=2))
    LeadFactory(last_name="Fresh")
    old = LeadFactory(last_name="Old")
    Lead.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(hours=30))
    step_today = LeadFactory(last_name="Today")
    LeadPlan.objects.create(lead=step_today, next_step="Send the quote", next_step_on=today)
    assert names(manager, sort="due") == ["Today", "Old", "Fresh", "Ahead"]


def test_open_work_leaves_out_leads_salesforce_is_converting(manager):
    converting = LeadFactory(last_name="Converting", state=LeadState.QUALIFIED)
    Conversion.objects.create(lead=converting)
    LeadFactory(last_name="Waiting", state=LeadState.QUALIFIED)
    assert names(manager, state="open") == ["Waiting"]
    assert queue_state_counts(manager, QueueFilters())["open"] == 1


def test_a_person_saves_a_view_and_finds_it_again_and_nobody_else_sees_it(rep, rep_client, other_rep):
    response = rep_client.post("/views/", {"name": "DACH leads", "query": "state=all&country=DE&page=3"})
    assert response["Location"] == "/?state=all&country=DE&page=3"
    body = rep_client.get("/").content.decode()
    assert '<a href="?state=all&amp;country=DE">DACH leads</a>' in body
    assert "DACH leads" not in client_for(other_rep).get("/").content.decode()
    view = rep.saved_views.get()
    assert rep_client.post(f"/views/{view.pk}/delete/").status_code == 302
    assert not rep.saved_views.exists()


def test_a_view_needs_a_name_and_another_persons_view_cannot_be_deleted(rep, rep_client, other_rep):
    rep_client.post("/views/", {"name": " ", "query": "state=all"})
    assert not rep.saved_views.exists()
    theirs = other_rep.saved_views.create(name="Mine", query="state=new")
    assert rep_client.post(f"/views/{theirs.pk}/delete/").status_code == 404
