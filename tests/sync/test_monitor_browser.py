"""A manager retries a dead job from the sync monitor in Chromium."""

import os

import pytest
from django.conf import settings
from django.contrib.auth.models import Permission

from leadflow.crm.deals import WonDeal, deal_won_record
from leadflow.sync.models import JobState, SyncJob
from standins.devtools.chromium import CHROMIUM_ARGS, CHROMIUM_PATH
from tests.factories import UserFactory
from tests.sync.factories import WebhookTargetFactory, converted_lead

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def page(monkeypatch):
    if not os.path.exists(CHROMIUM_PATH):
        pytest.skip("Debian's Chromium is not installed")
    # Playwright runs its own event loop; Django's async-safety check would refuse ORM calls in the test.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM_PATH, args=CHROMIUM_ARGS)
        yield browser.new_page()
        browser.close()


def open_monitor(page, live_server, client) -> None:
    """Log a manager (change_syncjob permission) into the browser and open /sync/."""
    manager = UserFactory(username="manager")
    manager.user_permissions.add(Permission.objects.get(codename="change_syncjob"))
    client.force_login(manager)
    cookie = {"name": settings.SESSION_COOKIE_NAME, "value": client.cookies[settings.SESSION_COOKIE_NAME].value}
    page.context.add_cookies([cookie | {"url": live_server.url}])
    page.goto(f"{live_server.url}/sync/")


def test_manager_retries_a_dead_job_from_the_monitor(page, live_server, client, receiver):
    target = WebhookTargetFactory(
        name="erp", settings={"url": receiver.url, "secret": "s3cret", "events": ["customer.converted"]}
    )
    lead, _ = converted_lead(company="Bakkerij Jansen")
    job = SyncJob.objects.create(
        target=target,
        lead=lead,
        event="customer.converted",
        payload={"schema_version": 1},
        state=JobState.DEAD,
        attempts=20,
        last_error="The receiver answered 503 Service Unavailable.",
    )
    open_monitor(page, live_server, client)
    row = page.locator(f"#job-{job.pk}")
    assert "503 Service Unavailable" in row.inner_text()
    row.get_by_role("button", name=f"Retry job {job.pk}").click()

    page.get_by_text("1 job(s) queued again.").wait_for()
    assert page.locator(f"#job-{job.pk}").count() == 0
    job.refresh_from_db()
    assert job.state == JobState.DONE
    assert receiver.deliveries() == {str(job.uuid)}


def test_a_won_deal_shows_on_the_monitor_once_operations_received_it(page, live_server, client, receiver):
    target = WebhookTargetFactory(
        name="operations", settings={"url": receiver.url, "secret": "s3cret", "events": ["deal.won"]}
    )
    lead, conversion = converted_lead(company="Bakkerij Jansen")
    deal = WonDeal(
        crm="salesforce", id=conversion.opportunity_id, name="Ovens", amount=None, currency="", close_date=None
    )
    deal_won_record(lead=lead, deal=deal)

    open_monitor(page, live_server, client)

    delivered = page.locator(f'#target-{target.pk} li[data-event="deal.won"]')
    assert "Bakkerij Jansen" in delivered.inner_text()
    assert [r.json["event"] for r in receiver.received] == ["deal.won"]
