"""Shared by the browser tests: Debian's Chromium through Playwright, and signing in through the login page."""

import pytest

from standins.devtools.chromium import CHROMIUM_ARGS, CHROMIUM_PATH

PASSWORD = "correct horse battery staple"
DESKTOP = {"width": 1440, "height": 900}
PHONE = {"width": 360, "height": 740}
# How long any one Playwright step may wait for its condition (a selector, a URL, a message). Playwright's 30 s
# default failed a passing test on a saturated machine (load 12 on 2 cores); a step that succeeds returns at once.
STEP_GUARD_MS = 120_000


@pytest.fixture(scope="module")
def _orm_beside_playwright():
    """Playwright's sync API keeps an event loop running in this thread while the browser is open; the ORM
    calls made beside it (the tests' own and the database teardown) are safe."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        yield


@pytest.fixture(scope="module")
def browser(_orm_beside_playwright):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM_PATH, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser):
    """A desktop page whose dialogs are dismissed and kept in `page.dialogs`."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(STEP_GUARD_MS)
    page = context.new_page()
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.dialogs = dialogs
    yield page
    context.close()


def new_page(browser, viewport):
    context = browser.new_context(viewport=viewport, is_mobile=viewport["width"] < 600, has_touch=True)
    context.set_default_timeout(STEP_GUARD_MS)
    page = context.new_page()
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.dialogs = dialogs
    return page


def sign_in(page, live_server, username):
    page.goto(f"{live_server.url}/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{live_server.url}/")


def overflows(page) -> int:
    """How many pixels the page is wider than the screen (0: no horizontal scrolling)."""
    return max(
        0,
        page.evaluate(
            "Math.max(document.documentElement.scrollWidth, document.body.scrollWidth)"
            " - document.documentElement.clientWidth"
        ),
    )
