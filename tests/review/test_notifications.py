"""Reps are told: assignments at once; response targets about to pass, duplicates and failed conversions by the
sweep. In the bell and by email (the configured backend; the test one here), each switchable per person."""

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from leadflow.crm.models import Conversion, ConversionStatus
from leadflow.leads.models import Lead
from leadflow.quality.models import DuplicateCandidate
from leadflow.review.models import Notification, NotificationKind, SalesProfile
from leadflow.review.notifications import notifications_sweep
from leadflow.review.services import bulk_job_start, lead_assign_by, lead_auto_assign, note_add
from tests.factories import LeadFactory
from tests.review.factories import AssignmentRuleFactory, ResponseTargetFactory

pytestmark = pytest.mark.django_db


def kinds(user):
    return list(Notification.objects.filter(user=user).values_list("kind", flat=True))


def test_a_rep_is_told_by_bell_and_email_when_a_manager_assigns_a_lead(
    manager, rep, django_capture_on_commit_callbacks
):
    rep.email = "sam@example.com"
    rep.save()
    lead = LeadFactory(first_name="Anna", last_name="Bakker", company="Acme")
    with django_capture_on_commit_callbacks(execute=True):
        lead_assign_by(lead=lead, owner=rep, actor=manager)
    assert kinds(rep) == [NotificationKind.ASSIGNED]
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["sam@example.com"]
    assert "Anna Bakker (Acme) is now yours." in mail.outbox[0].body
    assert f"/leads/{lead.pk}/" in mail.outbox[0].body


def test_taking_a_lead_yourself_tells_nobody(rep):
    lead_assign_by(lead=LeadFactory(), owner=rep, actor=rep)
    assert not Notification.objects.exists()


def test_rules_and_bulk_assignments_notify_too(manager, rep, django_capture_on_commit_callbacks):
    AssignmentRuleFactory(owner=rep, country="NL")
    lead_auto_assign(lead=LeadFactory(country="NL"))
    with django_capture_on_commit_callbacks(execute=True):
        bulk_job_start(action="assign", lead_ids=[LeadFactory().pk], actor=manager, params={"owner_id": rep.pk})
    assert kinds(rep) == [NotificationKind.ASSIGNED, NotificationKind.ASSIGNED]


def test_a_switched_off_kind_is_neither_stored_nor_emailed(manager, rep, django_capture_on_commit_callbacks):
    SalesProfile.objects.create(user=rep, notify_assigned=False)
    with django_capture_on_commit_callbacks(execute=True):
        lead_assign_by(lead=LeadFactory(), owner=rep, actor=manager)
    assert not Notification.objects.exists() and not mail.outbox


def test_email_can_be_switched_off_while_the_bell_still_rings(manager, rep, django_capture_on_commit_callbacks):
    SalesProfile.objects.create(user=rep, notify_by_email=False)
    with django_capture_on_commit_callbacks(execute=True):
        lead_assign_by(lead=LeadFactory(), owner=rep, actor=manager)
    assert kinds(rep) == [NotificationKind.ASSIGNED] and not mail.outbox


def test_the_owner_is_warned_once_before_the_response_target_passes(rep, settings):
    settings.LEADFLOW_RESPONSE_WARNING_MINUTES = 60
    ResponseTargetFactory(source="website", first_response_hours=4)
    soon = LeadFactory(owner=rep, source="website", last_name="Soon")
    Lead.objects.filter(pk=soon.pk).update(created_at=timezone.now() - timedelta(hours=3, minutes=30))
    later = LeadFactory(owner=rep, source="website", last_name="Later")
    answered = LeadFactory(owner=rep, source="website", last_name="Answered")
    Lead.objects.filter(pk=answered.pk).update(created_at=timezone.now() - timedelta(hours=3, minutes=30))
    note_add(lead=answered, author=rep, body="Called.")
    assert notifications_sweep() == 1
    assert notifications_sweep() == 0
    notice = Notification.objects.get()
    assert (notice.lead_id, notice.kind) == (soon.pk, NotificationKind.RESPONSE_DUE)
    assert "within 30 minutes to meet the 4-hour target" in notice.message
    assert later.pk != notice.lead_id


def test_the_owner_hears_of_a_duplicate_and_a_failed_conversion_once(rep):
    mine = LeadFactory(owner=rep, last_name="Mine")
    DuplicateCandidate.objects.create(lead=mine, other_lead=LeadFactory(), matcher="exact", score=1, decision="auto")
    failed = LeadFactory(owner=rep, last_name="Failed", state="qualified")
    Conversion.objects.create(lead=failed, status=ConversionStatus.FAILED, last_error="Account name is required.")
    assert notifications_sweep() == 2
    assert notifications_sweep() == 0
    assert sorted(kinds(rep)) == [NotificationKind.CONVERSION_FAILED, NotificationKind.DUPLICATE]
    assert "Account name is required." in Notification.objects.get(kind="conversion_failed").message


def test_the_bell_counts_unread_notices_and_the_page_marks_them_read(manager, rep, rep_client):
    lead_assign_by(lead=LeadFactory(first_name="Anna"), owner=rep, actor=manager)
    assert 'aria-label="Notifications: 1 unread"' in rep_client.get("/").content.decode()
    page = rep_client.get("/notifications/").content.decode()
    assert "is now yours." in page
    assert 'aria-label="Notifications"' in rep_client.get("/").content.decode()


def test_a_person_switches_notices_off_on_the_notifications_page(rep, rep_client):
    response = rep_client.post("/notifications/", {"notify_assigned": "on", "notify_by_email": ""})
    assert response.status_code == 302
    profile = SalesProfile.objects.get(user=rep)
    assert (profile.notify_assigned, profile.notify_response_due, profile.notify_by_email) == (True, False, False)


def test_notices_are_private(rep, other_rep, manager, rep_client):
    lead_assign_by(lead=LeadFactory(first_name="Secret"), owner=other_rep, actor=manager)
    assert "Secret" not in rep_client.get("/notifications/").content.decode()
