from datetime import timedelta

import pytest
from django.utils import timezone

from leadflow.crm.models import Conversion
from leadflow.leads.models import Lead, LeadEvent, LeadState
from leadflow.leads.services import lead_event_record
from leadflow.review.models import LeadPlan
from leadflow.review.selectors import QueueFilters, lead_queue_for, overdue_leads, response_flags, response_targets
from leadflow.review.services import note_add
from tests.factories import LeadFactory
from tests.review.factories import ResponseTargetFactory

pytestmark = pytest.mark.django_db


def aged(hours, **fields):
    lead = LeadFactory(**fields)
    Lead.objects.filter(pk=lead.pk).update(created_at=timezone.now() - timedelta(hours=hours))
    return lead


def test_first_response_target_is_per_source_with_a_default(manager, settings):
    settings.LEADFLOW_FIRST_RESPONSE_HOURS = 24
    ResponseTargetFactory(source="website", first_response_hours=4)
    late_web, fresh_web = aged(5, source="website"), aged(3, source="website")
    late_api, fresh_api = aged(25, source="api"), aged(23, source="api")
    overdue = set(overdue_leads(manager))
    assert late_web in overdue and late_api in overdue
    assert fresh_web not in overdue and fresh_api not in overdue


def test_a_note_by_a_person_is_a_first_response(manager):
    ResponseTargetFactory(source="website", first_response_hours=4)
    lead = aged(5, source="website")
    note_add(lead=lead, author=manager, body="Called them.")
    assert lead not in overdue_leads(manager)


def test_system_and_api_events_are_not_a_response(manager):
    lead = aged(48, source="api")
    lead_event_record(lead=lead, kind=LeadEvent.Kind.EDIT, actor="api:partner-x")
    lead_event_record(lead=lead, kind=LeadEvent.Kind.TRANSITION, actor=None)
    assert lead in overdue_leads(manager)


def test_closed_leads_are_never_overdue(manager):
    aged(48, state=LeadState.REJECTED)
    assert not overdue_leads(manager).exists()


def test_queue_flags_overdue_and_stale_leads(manager, settings):
    settings.LEADFLOW_STALE_AFTER_DAYS = 7
    stale = aged(24 * 8, last_name="Stale")
    touched = aged(24 * 8, last_name="Touched")
    note_add(lead=touched, author=manager, body="Still interested.")
    fresh = LeadFactory(last_name="Fresh")
    rows = {lead.last_name: lead for lead in lead_queue_for(manager, QueueFilters())}
    now, targets = timezone.now(), response_targets()
    assert response_flags(rows["Stale"], targets=targets, now=now) == {
        "overdue": True,
        "stale": True,
        "step_due": False,
    }
    assert response_flags(rows["Touched"], targets=targets, now=now) == {
        "overdue": False,
        "stale": False,
        "step_due": False,
    }
    assert response_flags(rows["Fresh"], targets=targets, now=now) == {
        "overdue": False,
        "stale": False,
        "step_due": False,
    }
    assert [lead.pk for lead in lead_queue_for(manager, QueueFilters(stale=True))] == [stale.pk]
    assert {lead.pk for lead in lead_queue_for(manager, QueueFilters(overdue=True))} == {stale.pk}
    assert fresh.pk not in {lead.pk for lead in lead_queue_for(manager, QueueFilters(overdue=True))}


def test_sla_page_lists_overdue_leads_for_managers(manager_client):
    lead = aged(48, last_name="Waiting")
    response = manager_client.get("/sla/")
    assert response.status_code == 200
    assert f"/leads/{lead.pk}/" in response.content.decode()


def test_leads_not_waiting_for_a_person_wear_no_flags(manager, settings):
    """Checks still running, or Salesforce converting: the next move is the system's, not a person's."""
    settings.LEADFLOW_STALE_AFTER_DAYS = 7
    checking = aged(24 * 8, last_name="Checking")
    Lead.objects.filter(pk=checking.pk).update(checks_due_at=timezone.now())
    converting = aged(24 * 8, last_name="Converting", state=LeadState.QUALIFIED)
    Conversion.objects.create(lead=converting)
    rows = {lead.last_name: lead for lead in lead_queue_for(manager, QueueFilters())}
    now, targets = timezone.now(), response_targets()
    for name in ("Checking", "Converting"):
        assert response_flags(rows[name], targets=targets, now=now) == {
            "overdue": False,
            "stale": False,
            "step_due": False,
        }
    assert not overdue_leads(manager).exists()
    assert not lead_queue_for(manager, QueueFilters(stale=True)).exists()


def test_an_agreed_next_step_restarts_the_stale_clock_from_its_date(manager, settings):
    settings.LEADFLOW_STALE_AFTER_DAYS = 7
    today = timezone.localdate()
    for name, step_on in (("Ahead", today + timedelta(days=3)), ("Today", today), ("Long ago", today - timedelta(8))):
        LeadPlan.objects.create(lead=aged(24 * 20, last_name=name), next_step="Call back", next_step_on=step_on)
    rows = {lead.last_name: lead for lead in lead_queue_for(manager, QueueFilters())}
    now, targets = timezone.now(), response_targets()
    flags = {name: response_flags(rows[name], targets=targets, now=now) for name in rows}
    assert {name: (f["stale"], f["step_due"]) for name, f in flags.items()} == {
        "Ahead": (False, False),
        "Today": (False, True),
        "Long ago": (True, True),
    }
    assert [lead.last_name for lead in lead_queue_for(manager, QueueFilters(stale=True))] == ["Long ago"]
