"""Every kind of page, opened in Chromium: nothing is loaded from another origin and nothing breaks the CSP."""

import pytest

from tests.factories import LeadFactory, UserFactory
from tests.intake.factories import LeadFormFactory
from tests.review.browser import PASSWORD, sign_in
from tests.review.factories import user_with_role

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _watch(page, origin):
    """Record every request to another origin and every message the browser logs about a blocked resource."""
    foreign, refused = [], []
    page.on("request", lambda request: None if request.url.startswith(origin) else foreign.append(request.url))
    page.on(
        "console", lambda message: refused.append(message.text) if "Content Security Policy" in message.text else None
    )
    return foreign, refused


def test_api_docs_render_offline_signed_out(page, live_server):
    foreign, refused = _watch(page, live_server.url)
    page.goto(f"{live_server.url}/api/docs/")
    page.wait_for_selector(".swagger-ui .info .title:has-text('Leadflow API')")
    assert (foreign, refused) == ([], [])


def test_admin_pages_break_no_policy(page, live_server):
    UserFactory(username="admin", is_staff=True, is_superuser=True)
    lead = LeadFactory()
    foreign, refused = _watch(page, live_server.url)
    page.goto(f"{live_server.url}/admin/login/")
    page.get_by_label("Username").fill("admin")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{live_server.url}/admin/")
    for path in ("/admin/leads/lead/", f"/admin/leads/lead/{lead.pk}/change/", "/admin/intake/leadform/add/"):
        page.goto(f"{live_server.url}{path}")
        page.wait_for_load_state("load")
    assert (foreign, refused) == ([], [])


def test_workspace_admin_and_form_pages_load_only_from_this_server(page, live_server):
    rep = user_with_role("sam", "Sales rep")
    lead = LeadFactory(owner=rep)
    form = LeadFormFactory()
    foreign, refused = _watch(page, live_server.url)
    sign_in(page, live_server, "sam")
    for path in (f"/leads/{lead.pk}/", "/dashboard/", f"/intake/forms/{form.key}/"):
        page.goto(f"{live_server.url}{path}")
        page.wait_for_load_state("load")
    assert (foreign, refused) == ([], [])
