"""An admin tries a change on the open leads, saves it, and finds it in the history — in a real browser."""

import os

import pytest
from django.urls import reverse

from leadflow.leads.models import LeadState
from leadflow.qualification.models import CriteriaChange, QualificationRule, QualificationSettings
from standins.devtools.chromium import CHROMIUM_ARGS, CHROMIUM_PATH
from tests.factories import LeadFactory, UserFactory
from tests.qualification.factories import RuleFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def page(live_server):
    # Playwright's sync API runs an event loop in this thread; the test's own ORM calls are still synchronous.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    playwright_api = pytest.importorskip("playwright.sync_api")
    with playwright_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM_PATH, args=CHROMIUM_ARGS)
        yield browser.new_page()
        browser.close()
    del os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"]


def log_in(page, live_server, username):
    page.goto(live_server.url + reverse("admin:login"))
    page.fill("#id_username", username)
    page.fill("#id_password", "correct horse battery staple")
    page.click("input[type=submit]")


def test_admin_tries_criteria_on_open_leads_then_saves_them(page, live_server):
    UserFactory(username="boss", is_staff=True, is_superuser=True)
    QualificationRule.objects.all().delete()
    QualificationSettings.objects.update_or_create(pk=1, defaults={"qualify_at": 60, "reject_below": 30})
    RuleFactory(field="company_size", operator="gte", value="100", weight=50, label="Large company")
    LeadFactory(state=LeadState.VALIDATED, company_size=20, first_name="<script>window.hacked=1</script>")

    log_in(page, live_server, "boss")
    page.goto(live_server.url + reverse("admin:qualification_qualificationsettings_changelist"))
    page.fill("#id_rules-0-value", "10")
    page.fill("#id_change_reason", "Mid-sized companies too")
    page.click("input[name=_test]")

    content = page.inner_text("#content-main")
    assert "1 lead(s) would change suggestion; 1 would newly be suggested as a fit." in content
    assert "No lead would be qualified without a person" in content
    assert "<script>window.hacked=1</script>" in page.inner_text("#preview-sample")
    assert page.evaluate("window.hacked") is None
    assert QualificationRule.objects.get().value == "100"

    page.click("input[name=_save]")
    assert "are being re-classified" in page.inner_text(".messagelist")
    change = CriteriaChange.objects.get()
    assert (change.actor_label, change.reason) == ("boss", "Mid-sized companies too")
    assert QualificationRule.objects.get().value == "10"


def test_sales_rep_cannot_reach_the_criteria(page, live_server):
    UserFactory(username="rep")
    log_in(page, live_server, "rep")
    page.goto(live_server.url + reverse("admin:qualification_qualificationsettings_changelist"))
    assert page.url.startswith(live_server.url + reverse("admin:login"))
    assert not page.locator("#id_qualify_at").count()
