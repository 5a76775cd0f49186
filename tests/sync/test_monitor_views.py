import pytest
from django.contrib.auth.models import Permission
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from leadflow.sync.models import DeliveryAttempt, JobState, SyncJob
from leadflow.sync.selectors import lead_sync_status, sync_target_health
from tests.factories import UserFactory
from tests.sync.factories import WebhookTargetFactory, converted_lead

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def manager(db):
    manager = UserFactory(username="manager")
    manager.user_permissions.add(Permission.objects.get(codename="change_syncjob"))
    return manager


def dead_job(target=None, **fields) -> SyncJob:
    lead, _ = converted_lead(company="<b>Evil & Co</b>")
    return SyncJob.objects.create(
        target=target or WebhookTargetFactory(),
        lead=lead,
        event="customer.converted",
        payload={},
        state=JobState.DEAD,
        attempts=5,
        last_error="The receiver answered 500 Internal Server Error.",
        **fields,
    )


def test_monitor_shows_queue_errors_and_dead_jobs_to_a_manager(client, manager):
    job = dead_job()
    SyncJob.objects.create(target=job.target, lead=job.lead, event="customer.converted", payload={})
    DeliveryAttempt.objects.create(job=job, target=job.target, outcome="dead", error="The receiver answered 500.")
    client.force_login(manager)

    page = client.get(reverse("sync:monitor"))

    html = page.content.decode()
    assert page.status_code == 200
    assert job.target.name in html
    assert "1 waiting" in html
    assert "The receiver answered 500." in html
    assert f'id="job-{job.pk}"' in html
    assert "&lt;b&gt;Evil &amp; Co&lt;/b&gt;" in html  # Stored input is rendered escaped.


def test_monitor_is_closed_to_users_without_the_permission(client, user):
    client.force_login(user)
    assert client.get(reverse("sync:monitor")).status_code == 403
    assert client.post(reverse("sync:retry-jobs"), {"jobs": [dead_job().pk]}).status_code == 403


def test_monitor_sends_anonymous_visitors_to_log_in(client):
    assert client.get(reverse("sync:monitor")).status_code == 302


def test_manager_retries_selected_jobs(client, manager, receiver):
    target = WebhookTargetFactory(settings={"url": receiver.url, "secret": "x", "events": ["customer.converted"]})
    first, second, untouched = dead_job(target), dead_job(target), dead_job(target)
    client.force_login(manager)

    client.post(reverse("sync:retry-jobs"), {"jobs": [first.pk, second.pk]})

    states = dict(SyncJob.objects.values_list("pk", "state"))
    assert states == {first.pk: JobState.DONE, second.pk: JobState.DONE, untouched.pk: JobState.DEAD}


def test_retrying_a_job_that_is_no_longer_dead_says_so(client, manager):
    job = dead_job()
    SyncJob.objects.filter(pk=job.pk).update(state=JobState.DONE)
    client.force_login(manager)
    page = client.post(reverse("sync:retry-jobs"), {"jobs": [job.pk]}, follow=True)
    assert "no longer failed or dead" in page.content.decode()


def test_manager_retries_everything_for_one_target(client, manager, receiver):
    target = WebhookTargetFactory(settings={"url": receiver.url, "secret": "x", "events": ["customer.converted"]})
    jobs = [dead_job(target), dead_job(target)]
    other = dead_job()
    client.force_login(manager)

    client.post(reverse("sync:retry-target", args=[target.pk]))

    assert {SyncJob.objects.get(pk=j.pk).state for j in jobs} == {JobState.DONE}
    assert SyncJob.objects.get(pk=other.pk).state == JobState.DEAD


def test_lead_sync_status_shows_the_newest_job_per_target():
    job = dead_job()
    newer = SyncJob.objects.create(
        target=job.target,
        lead=job.lead,
        event="customer.converted",
        payload={},
        state=JobState.DONE,
        finished_at=timezone.now(),
    )
    statuses = lead_sync_status(lead=job.lead)
    assert statuses == [newer]
    html = render_to_string("sync/partials/_lead_sync_status.html", {"sync_jobs": statuses})
    assert f'data-target="{job.target.name}" data-state="done"' in html


def test_target_health_counts_deliveries_per_period():
    job = dead_job()
    DeliveryAttempt.objects.create(job=job, target=job.target, outcome="delivered")
    DeliveryAttempt.objects.create(
        job=job, target=job.target, outcome="retry", started_at=timezone.now() - timezone.timedelta(hours=3)
    )
    [health] = sync_target_health()
    assert health.counts == {"last hour": (1, 0), "last 24 hours": (1, 1), "last 7 days": (1, 1)}
    assert health.retryable == 1


def test_lead_admin_page_lists_sync_jobs(client, staff_user, settings):
    # Only this app's inline: leadflow.crm.admin is not on this branch yet.
    settings.LEADFLOW_LEAD_ADMIN_INLINES = ["leadflow.sync.admin.LeadSyncJobInline"]
    job = dead_job()
    client.force_login(staff_user)
    page = client.get(reverse("admin:leads_lead_change", args=[job.lead.pk]))
    assert "Downstream sync" in page.content.decode()
    assert job.last_error in page.content.decode()
