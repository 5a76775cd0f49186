"""End-to-end flows in Debian's Chromium: each role signs in through the login page and works the screens."""

import pytest

from leadflow.leads.models import Lead, LeadState
from leadflow.leads.services import lead_reject
from leadflow.quality.models import DuplicateCandidate
from tests.factories import LeadFactory, UserFactory
from tests.review.browser import sign_in
from tests.review.factories import user_with_role

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


XSS = '<script>window.__xss = 1</script><img src=x onerror="window.__xss = 1">'


def test_rep_triages_the_queue_and_qualifies_with_the_keyboard(page, live_server):
    rep = user_with_role("sam", "Sales rep")
    LeadFactory(owner=user_with_role("ruben", "Sales rep"), last_name="Someone-Elses")
    LeadFactory(owner=rep, last_name="Blocked", state=LeadState.NEW)
    ready = LeadFactory(owner=rep, last_name="Ready", company="Acme B.V.", state=LeadState.VALIDATED)
    sign_in(page, live_server, "sam")
    assert page.get_by_text("Someone-Elses").count() == 0
    page.get_by_label("Search name, email or company").fill("ready")
    # Functions, not expression strings: Playwright evals a string in the page, which the CSP forbids.
    page.wait_for_function("() => document.querySelectorAll('tr[data-lead-url]').length === 1")
    page.get_by_role("heading", name="Lead queue").click()  # leave the search field for the shortcuts
    # Leaving the field fires its change event, and htmx starts a refresh at once: wait for it to land, or the
    # refreshed table replaces the row that `j` marks. (networkidle would not wait: the page reached it before.)
    page.wait_for_function("() => !document.querySelector('.htmx-request')")
    page.keyboard.press("j")
    page.wait_for_selector("tr.is-current")
    page.keyboard.press("o")
    page.wait_for_url(f"**/leads/{ready.pk}/")
    page.locator("body").press("q")
    page.keyboard.type("Route planning for their vans")
    page.get_by_label("Budget and timing").fill("€20k, this quarter")
    page.locator(".qualify-box").get_by_label("Next step", exact=True).fill("Demo on Friday")
    page.get_by_role("button", name="Qualify lead").click()
    page.wait_for_selector("text=Ready (Acme B.V.): qualified.")
    ready.refresh_from_db()
    assert ready.state == LeadState.QUALIFIED


def test_manager_rejects_a_selection_in_bulk_and_sees_progress(page, live_server):
    user_with_role("maria", "Sales manager")
    spam = [LeadFactory(last_name=f"Spam{i}") for i in range(2)]
    LeadFactory(last_name="Keep")
    sign_in(page, live_server, "maria")
    page.goto(f"{live_server.url}/?state=all")
    for lead in spam:
        page.get_by_label(f"Select {lead.display_name}").check()
    page.get_by_label("With selected").select_option("reject")
    page.get_by_placeholder("Rejection reason").fill("Spam or test submission")
    page.get_by_role("button", name="Run").click()
    page.wait_for_selector("text=2 of 2 handled")
    assert set(Lead.objects.filter(state=LeadState.REJECTED).values_list("last_name", flat=True)) == {"Spam0", "Spam1"}


def test_shortcut_help_overlay_opens_with_question_mark(page, live_server):
    user_with_role("sam", "Sales rep")
    sign_in(page, live_server, "sam")
    page.locator("body").press("?")
    assert page.get_by_role("dialog", name="Keyboard shortcuts").is_visible()


def test_rep_cannot_open_another_reps_lead_or_reach_the_admin(page, live_server):
    user_with_role("sam", "Sales rep")
    theirs = LeadFactory(owner=user_with_role("ruben", "Sales rep"))
    sign_in(page, live_server, "sam")
    response = page.goto(f"{live_server.url}/leads/{theirs.pk}/")
    assert response.status == 404
    page.goto(f"{live_server.url}/admin/")
    assert "/admin/login/" in page.url
    assert page.get_by_text("You are authenticated as sam, but are not authorized").is_visible()


def test_admin_reaches_the_admin_and_every_workspace_page(page, live_server):
    user_with_role("ada", "Admin", is_staff=True)
    sign_in(page, live_server, "ada")
    for path in ("/sla/", "/dashboard/"):
        assert page.goto(f"{live_server.url}{path}").status == 200
    page.goto(f"{live_server.url}/admin/")
    assert page.get_by_role("link", name="Assignment rules").is_visible()


def test_stored_script_in_a_lead_name_never_executes(page, live_server):
    UserFactory(username="root", is_superuser=True, is_staff=True)
    lead = LeadFactory(first_name=XSS, last_name=XSS, company=XSS)
    other = LeadFactory(first_name=XSS, email=lead.email)
    DuplicateCandidate.objects.create(lead=other, other_lead=lead, matcher="exact", score=1, decision="auto")
    lead_reject(lead=LeadFactory(first_name=XSS), actor=None, reason=XSS)
    sign_in(page, live_server, "root")
    for path in (
        "/",
        f"/?q={lead.email}",
        f"/leads/{lead.pk}/",
        f"/leads/{other.pk}/",
        "/dashboard/",
        "/sla/",
        "/admin/leads/lead/",
        f"/admin/leads/lead/{lead.pk}/change/",
    ):
        page.goto(f"{live_server.url}{path}")
        page.wait_for_load_state("load")
        assert page.evaluate("window.__xss") is None, path
    assert page.dialogs == []


def test_manager_resolves_a_duplicate_by_merging_field_by_field(page, live_server):
    user_with_role("maria", "Sales manager")
    first = LeadFactory(email="anna@acme.nl", city="Amsterdam", job_title="")
    second = LeadFactory(email="anna@acme.nl", city="Rotterdam", job_title="CTO")
    DuplicateCandidate.objects.create(lead=second, other_lead=first, matcher="exact", score=1, decision="auto")
    sign_in(page, live_server, "maria")
    page.goto(f"{live_server.url}/leads/{second.pk}/")
    page.locator("body").press("d")
    page.get_by_label("Rotterdam").check()
    page.get_by_label("CTO").check()
    page.get_by_role("button", name="Merge with chosen values").click()
    page.wait_for_url(f"**/leads/{first.pk}/")
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.city, first.job_title) == ("Rotterdam", "CTO")
    assert second.state == LeadState.DUPLICATE


def test_manager_converts_a_qualified_lead_and_sees_the_salesforce_ids(page, live_server, salesforce):
    user_with_role("maria", "Sales manager")
    lead = LeadFactory(state=LeadState.QUALIFIED, company="Noordzee Foods B.V.", last_name="Visser")
    sign_in(page, live_server, "maria")
    page.goto(f"{live_server.url}/leads/{lead.pk}/")
    assert page.get_by_role("heading", name="On conversion in Salesforce").is_visible()
    page.get_by_text("Convert to Salesforce…").click()
    page.get_by_role("button", name="Convert", exact=True).click()
    page.wait_for_selector("text=conversion to Salesforce queued")
    lead.refresh_from_db()
    assert lead.state == LeadState.CONVERTED, lead.conversion.last_error
    account_ids = [record["Id"] for record in salesforce.records("Account")]
    shown_ids = page.locator(".sf-id").all_inner_texts()
    assert account_ids and account_ids[0] in shown_ids
