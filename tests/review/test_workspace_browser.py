"""The workspace as a sales team uses it, in Chromium on a desktop (1440 px) and a phone (360 px): a person
decides with the keyboard, errors explain themselves, and no page scrolls sideways."""

import pytest

from leadflow.leads.models import Lead, LeadState
from leadflow.quality.models import DuplicateCandidate
from leadflow.review.models import BulkJob
from leadflow.review.roles import grant_admin_permissions
from tests.factories import LeadFactory
from tests.intake.factories import LeadFormFactory
from tests.qualification.factories import RuleFactory
from tests.review.browser import DESKTOP, PHONE, new_page, overflows, sign_in
from tests.review.factories import AssignmentRuleFactory, ResponseTargetFactory, user_with_role
from tests.sync.factories import WebhookTargetFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(params=[DESKTOP, PHONE], ids=["1440px", "360px"])
def page(browser, request):
    page = new_page(browser, request.param)
    yield page
    page.context.close()


def open_from_queue(page, lead):
    """Open a lead the way a rep does: from the queue, so the page knows which lead comes next."""
    page.locator(f'a.lead-link[href="/leads/{lead.pk}/"]').click()
    page.wait_for_url(f"**/leads/{lead.pk}/")


def test_rep_qualifies_with_need_budget_and_next_step_and_lands_on_the_next_lead(page, live_server):
    rep = user_with_role("sam", "Sales rep")
    first = LeadFactory(owner=rep, last_name="First", state=LeadState.VALIDATED)
    second = LeadFactory(owner=rep, last_name="Second", state=LeadState.VALIDATED)
    sign_in(page, live_server, "sam")
    rows = page.locator("tr[data-lead-url]")
    assert rows.count() == 2
    top = first if "First" in rows.first.inner_text() else second
    following = second if top is first else first
    open_from_queue(page, top)
    page.locator("body").press("q")
    page.keyboard.type("Route planning for 40 vans")  # the need field has the focus
    page.get_by_label("Budget and timing").fill("€25k, before Q2")
    page.locator(".qualify-box").get_by_label("Next step", exact=True).fill("Demo with operations")
    page.get_by_role("button", name="Qualify lead").click()
    page.wait_for_url(f"**/leads/{following.pk}/")
    assert page.get_by_text(f"{top.display_name}: qualified.").is_visible()
    top.refresh_from_db()
    assert (top.state, top.plan.need, top.plan.next_step) == (
        LeadState.QUALIFIED,
        "Route planning for 40 vans",
        "Demo with operations",
    )


def test_r_puts_the_typed_reason_in_the_reason_box_and_reject_moves_on(page, live_server):
    rep = user_with_role("sam", "Sales rep")
    leads = [LeadFactory(owner=rep, last_name=name) for name in ("Alpha", "Beta")]
    sign_in(page, live_server, "sam")
    page.locator("body").press("j")
    page.locator("body").press("o")
    page.wait_for_url("**/leads/*/")
    current = next(lead for lead in leads if page.url.endswith(f"/leads/{lead.pk}/"))
    page.locator("body").press("r")
    page.keyboard.type("Spam or test submission")
    assert page.locator("#reject-reason").input_value() == "Spam or test submission"
    page.get_by_role("button", name="Reject lead").click()
    page.wait_for_url(lambda url: not url.endswith(f"/leads/{current.pk}/"))
    current.refresh_from_db()
    assert (current.state, current.rejection_reason) == (LeadState.REJECTED, "Spam or test submission")


def test_inline_edit_shows_the_validation_error_in_place_and_keeps_the_old_value(page, live_server):
    rep = user_with_role("sam", "Sales rep")
    lead = LeadFactory(owner=rep, state=LeadState.QUALIFIED, email="joost@vandijk.nl")
    sign_in(page, live_server, "sam")
    page.goto(f"{live_server.url}/leads/{lead.pk}/")
    page.get_by_role("button", name="Edit Email").click()
    page.locator("#edit-email").fill("joost@@vandijk")
    page.get_by_role("button", name="Save", exact=True).click()
    error = page.locator("#edit-email-errors")
    error.wait_for()
    assert "The email address is not valid" in error.inner_text()
    lead.refresh_from_db()
    assert (lead.email, lead.state) == ("joost@vandijk.nl", LeadState.QUALIFIED)


def test_refusals_are_friendly_pages(page, live_server):
    user_with_role("sam", "Sales rep")
    theirs = LeadFactory(owner=user_with_role("ruben", "Sales rep"))
    sign_in(page, live_server, "sam")
    assert page.goto(f"{live_server.url}/leads/{theirs.pk}/").status == 404
    assert page.get_by_role("heading", name="This page does not exist, or it is not yours to see").is_visible()
    assert page.goto(f"{live_server.url}/sla/").status == 403
    assert page.get_by_role("heading", name="This page is for sales managers").is_visible()
    assert page.get_by_text("Ask an administrator to add you").count() == 0
    assert overflows(page) <= 0


def test_bulk_refusal_names_the_lead_and_a_bad_request_keeps_the_selection(page, live_server):
    user_with_role("maria", "Sales manager")
    blocked = LeadFactory(first_name="Nina", last_name="Noname", company="", state=LeadState.VALIDATED)
    other = LeadFactory(last_name="Other", state=LeadState.VALIDATED)
    sign_in(page, live_server, "maria")
    page.goto(f"{live_server.url}/?state=all")
    for lead in (blocked, other):
        page.get_by_label(f"Select {lead.display_name}").check()
    page.get_by_label("With selected").select_option("reject")
    page.get_by_role("button", name="Run").click()  # no reason given
    page.wait_for_selector("text=Say why the selected leads are rejected.")
    for lead in (blocked, other):
        assert page.get_by_label(f"Select {lead.display_name}").is_checked()
    page.get_by_label("With selected").select_option("qualify")
    page.get_by_role("button", name="Run").click()
    page.wait_for_selector("text=2 of 2 handled")
    link = page.get_by_role("link", name="Nina Noname")
    assert link.get_attribute("href") == f"/leads/{blocked.pk}/"
    assert BulkJob.objects.get().failures[0][0] == blocked.pk


def test_at_least_twenty_queue_rows_are_visible_at_1440_by_900(browser, live_server):
    rep = user_with_role("sam", "Sales rep")
    LeadFactory.create_batch(30, owner=rep, company="Hanse Maschinenbau und Anlagentechnik Nord GmbH & Co. KG")
    page = new_page(browser, DESKTOP)
    sign_in(page, live_server, "sam")
    visible = page.evaluate(
        "[...document.querySelectorAll('tr[data-lead-url]')]"
        ".filter(row => row.getBoundingClientRect().bottom <= window.innerHeight).length"
    )
    page.context.close()
    assert visible >= 20


def workspace_pages(manager, rep):
    """Every workspace page, with a lead that has a duplicate candidate and a finished bulk job."""
    first = LeadFactory(email="anna@acme.nl", city="Amsterdam", company="Hanse Maschinenbau GmbH", owner=rep)
    second = LeadFactory(email="anna@acme.nl", city="Rotterdam", job_title="Head of operations and logistics")
    DuplicateCandidate.objects.create(lead=second, other_lead=first, matcher="exact", score=1, decision="auto")
    LeadFactory.create_batch(3, owner=rep, state=LeadState.VALIDATED)
    grant_admin_permissions()  # transactional tests flush the sync permission the managers' group holds
    job = BulkJob.objects.create(action="qualify", lead_ids=[first.pk], requested_by=manager, status="done")
    job.failures = [[first.pk, "Cannot qualify lead yet. The company name is missing."]]
    job.save()
    rule, target = AssignmentRuleFactory(owner=rep, country="NL"), ResponseTargetFactory(source="website")
    lead_form, sync_target = LeadFormFactory(), WebhookTargetFactory(name="crm-webhook")
    RuleFactory(field="custom_fields.budget", operator="gte", value="10000", weight=20)
    return [
        ("maria", "/"),
        ("maria", "/?state=all"),
        ("maria", f"/leads/{second.pk}/"),
        ("maria", f"/leads/{first.pk}/"),
        ("maria", "/sla/"),
        ("maria", "/dashboard/"),
        ("maria", f"/bulk/{job.pk}/"),
        ("maria", "/leads/999999/"),
        ("maria", "/notifications/"),
        ("maria", "/held/"),
        ("maria", "/sync/"),
        ("maria", "/manage/"),
        ("maria", "/manage/assignment-rules/"),
        ("maria", f"/manage/assignment-rules/{rule.pk}/"),
        ("maria", "/manage/response-targets/"),
        ("maria", f"/manage/response-targets/{target.pk}/"),
        ("maria", "/manage/criteria/"),
        ("maria", "/manage/forms/"),
        ("maria", f"/manage/forms/{lead_form.pk}/"),
        ("maria", "/manage/forms/new/"),
        ("maria", "/manage/sync/"),
        ("maria", f"/manage/sync/{sync_target.pk}/"),
        ("sam", "/manage/criteria/"),
        ("sam", "/"),
        ("sam", "/notifications/"),
        ("sam", f"/leads/{first.pk}/"),
        ("sam", "/sla/"),
    ]


def problems_on_every_page(browser, live_server, viewport, check) -> dict[str, object]:
    """Visit every workspace page as the role that works it (and the login page signed out); `check(page)`
    returns what is wrong there (falsy when nothing is)."""
    manager, rep = user_with_role("maria", "Sales manager"), user_with_role("sam", "Sales rep")
    pages = workspace_pages(manager, rep)
    found = {}
    for username in ("maria", "sam", None):
        page = new_page(browser, viewport)
        if username:
            sign_in(page, live_server, username)
        for path in [path for who, path in pages if who == username] if username else ["/login/"]:
            page.goto(f"{live_server.url}{path}")
            problem = check(page)
            if problem:
                found[f"{username or 'signed out'} {path}"] = problem
        page.context.close()
    return found


def test_every_workspace_page_fits_a_360_pixel_screen(browser, live_server):
    assert problems_on_every_page(browser, live_server, PHONE, overflows) == {}


def test_a_duplicate_can_be_merged_on_a_phone(browser, live_server):
    user_with_role("maria", "Sales manager")
    first = LeadFactory(email="anna@acme.nl", city="Amsterdam", job_title="")
    second = LeadFactory(email="anna@acme.nl", city="Rotterdam", job_title="CTO")
    DuplicateCandidate.objects.create(lead=second, other_lead=first, matcher="exact", score=1, decision="auto")
    page = new_page(browser, PHONE)
    sign_in(page, live_server, "maria")
    page.goto(f"{live_server.url}/leads/{second.pk}/")
    for label in ("Rotterdam", "CTO"):
        control = page.get_by_label(label)
        control.scroll_into_view_if_needed()
        box = control.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"], label
        control.check()
    page.get_by_role("button", name="Merge with chosen values").click()
    page.wait_for_url(f"**/leads/{first.pk}/")
    page.context.close()
    first.refresh_from_db()
    assert (first.city, first.job_title, Lead.objects.get(pk=second.pk).state) == (
        "Rotterdam",
        "CTO",
        LeadState.DUPLICATE,
    )


def serious_violations(page) -> list[str]:
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    return [
        f"{v['id']} ({v['impact']}): {v['help']} — {[n['target'] for n in v['nodes']][:3]}"
        for v in results.response["violations"]
        if v["impact"] in ("serious", "critical")
    ]


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["1440px", "360px"])
def test_no_workspace_page_has_serious_or_critical_accessibility_violations(browser, live_server, viewport):
    """axe-core (bundled by axe-playwright-python, nothing downloaded) on every page each role reaches."""
    assert problems_on_every_page(browser, live_server, viewport, serious_violations) == {}
