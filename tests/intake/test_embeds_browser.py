"""Each embed on a page served from another origin: fill, see inline errors, fix, submit, find the lead."""

import functools
import http.server
import os
import threading

import pytest
from django.test import override_settings

from leadflow.intake.embeds import embed_snippets
from leadflow.leads.models import Lead
from standins.devtools.chromium import CHROMIUM_ARGS, CHROMIUM_PATH
from tests.intake.factories import LeadFormFactory
from tests.review.browser import STEP_GUARD_MS

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def partner_site(tmp_path_factory):
    """A static web server on its own port: a different origin from Leadflow's live server."""
    root = tmp_path_factory.mktemp("partner")
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(root))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield root, f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    # Playwright's sync API keeps an event loop on this thread; the ORM calls here are still synchronous.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM_PATH, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def embed(live_server, partner_site, transactional_db):
    """Write a partner page holding one of the form's snippets; return the form and the page's URL."""
    root, origin = partner_site

    def make(snippet_number: int):
        with override_settings(LEADFLOW_BASE_URL=live_server.url):
            form = LeadFormFactory(allowed_origins=origin)
            snippet = list(embed_snippets(form).values())[snippet_number - 1]
        (root / f"{form.key}.html").write_text(
            f"<!doctype html><html lang='en'><body><h1>Partner</h1>{snippet}</body></html>"
        )
        return form, f"{origin}/{form.key}.html"

    with override_settings(LEADFLOW_BASE_URL=live_server.url):
        yield make


def test_script_embed_shows_inline_errors_then_creates_the_lead(browser, embed):
    form, url = embed(1)
    page = browser.new_page()
    page.goto(url)
    page.get_by_label("Email").fill("not-an-email")
    page.get_by_label("Phone").fill("12")
    page.get_by_role("button", name="Send").click()
    page.locator("[data-field=email] .lf-error").filter(has_text="valid email").wait_for()
    assert "dialled" in page.locator("[data-field=phone] .lf-error").text_content()
    assert page.get_by_label("Email").get_attribute("aria-invalid") == "true"
    page.get_by_label("Email").fill("script@example.nl")
    page.get_by_label("Phone").fill("+31 20 123 4567")
    page.get_by_label("I agree to be contacted.").check()
    page.get_by_role("button", name="Send").click()
    page.get_by_text(form.thank_you_en).wait_for()
    lead = Lead.objects.get(email="script@example.nl")
    assert lead.source == form.source and lead.consent_given
    page.close()


def fix_a_rejected_email_on_the_hosted_page(scope, form, first_name: str, email: str) -> None:
    """Submit a bad email, see the server's error with the other values kept, correct it, get the thank-you."""
    scope.get_by_label("First name").fill(first_name)
    scope.get_by_label("Email").fill("broken@")
    scope.get_by_role("button", name="Send").click()
    scope.get_by_text("Enter a valid email address.").wait_for()
    assert scope.get_by_label("First name").input_value() == first_name
    scope.get_by_label("Email").fill(email)
    scope.get_by_label("I agree to be contacted.").check()
    scope.get_by_role("button", name="Send").click()
    scope.get_by_text(form.thank_you_en).wait_for()


def test_iframe_embed_shows_errors_keeping_values_then_thanks(browser, embed):
    form, url = embed(2)
    page = browser.new_page()
    page.goto(url)
    fix_a_rejected_email_on_the_hosted_page(page.frame_locator("iframe"), form, "Iris", "iris@example.nl")
    assert Lead.objects.get(email="iris@example.nl").first_name == "Iris"
    page.close()


def test_plain_html_form_works_with_javascript_off(browser, embed):
    form, url = embed(3)
    context = browser.new_context(java_script_enabled=False)
    context.set_default_timeout(STEP_GUARD_MS)
    page = context.new_page()
    page.goto(url)
    fix_a_rejected_email_on_the_hosted_page(page, form, "Noor", "noor@example.nl")
    assert Lead.objects.get(email="noor@example.nl").first_name == "Noor"
    assert page.get_by_role("link", name="Back to the website").get_attribute("href").startswith("http://127.0.0.1")
    context.close()


def test_script_retries_with_backoff_when_the_server_says_try_again(browser, embed):
    form, url = embed(1)
    page = browser.new_page()
    attempts = []

    def database_down_once(route):
        attempts.append(route.request.method)
        if len(attempts) == 1:
            route.fulfill(
                status=503,
                headers={"Retry-After": "1", "Access-Control-Allow-Origin": "*"},
                content_type="application/json",
                body='{"error": {"code": "try_again", "message": "Try again."}}',
            )
        else:
            route.continue_()

    page.route("**/submit", database_down_once)
    page.goto(url)
    page.get_by_label("Email").fill("retry@example.nl")
    page.get_by_label("I agree to be contacted.").check()
    page.get_by_role("button", name="Send").click()
    page.get_by_text(form.thank_you_en).wait_for()
    assert len(attempts) == 2
    assert Lead.objects.filter(email="retry@example.nl").count() == 1
    page.close()
