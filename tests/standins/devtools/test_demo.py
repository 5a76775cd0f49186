"""The demo workspace tells the product's story: people decide, and the flags mark the few leads that wait."""

import pytest
from django.contrib.auth.models import Group
from django.utils import timezone

from leadflow.intake.models import ApiToken, LeadForm
from leadflow.leads.models import OPEN_STATES, Lead, LeadEvent
from leadflow.review import roles
from leadflow.review.selectors import QueueFilters, lead_queue_for, response_flags, response_targets
from leadflow.sync.models import SyncTarget
from standins.devtools.demo import demo_people_ensure, demo_workspace_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo(salesforce, settings, tmp_path):
    settings.DATA_DIR = tmp_path
    for role in (roles.ADMIN, roles.SALES_MANAGER, roles.SALES_REP):
        Group.objects.get_or_create(name=role)  # browser tests in the same worker flush the migration's groups
    people = demo_people_ensure(password="demo demo demo")
    demo_workspace_create(people=people, leads=80, seed=7)
    return people


def test_every_demo_lead_was_qualified_by_a_person(demo):
    qualify_events = LeadEvent.objects.filter(transition="qualify")
    assert qualify_events.exists()
    assert not qualify_events.filter(actor__isnull=True).exists()


def test_demo_flags_mark_only_a_few_open_leads(demo):
    manager = demo["maria.manager"]
    rows = list(lead_queue_for(manager, QueueFilters()).filter(state__in=OPEN_STATES))
    targets, now = response_targets(), timezone.now()
    flagged = [lead for lead in rows if any(response_flags(lead, targets=targets, now=now).values())]
    assert rows and len(flagged) <= len(rows) // 4


def test_demo_has_an_active_form_that_does_not_auto_qualify_and_an_api_client(demo):
    form = LeadForm.objects.get()
    assert (form.is_active, form.auto_qualify, form.fields.count()) == (True, False, 6)
    assert ApiToken.objects.filter(source="partner-api", is_active=True).exists()
    assert Lead.objects.filter(plan__next_step_on__isnull=False).exists()


def test_demo_has_an_exact_sync_target_waiting_to_be_connected(demo):
    target = SyncTarget.objects.get()
    assert (target.name, target.kind, target.enabled) == ("exact-demo", "exact", False)
    assert target.settings["division"] == 123456 and "an admin connects it" in target.disabled_reason
