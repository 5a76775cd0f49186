import pytest
from django.core.cache import cache
from django.db import connection

from leadflow import celery_app
from tests.factories import UserFactory

pytest_plugins = [
    "tests.plugins.celery_worker",
    "tests.plugins.exact_standin",
    "tests.plugins.receiver",
    "tests.plugins.salesforce_sandbox",
    "tests.plugins.pipedrive_standin",
    "tests.plugins.woocommerce_standin",
]


@pytest.fixture(autouse=True, scope="session")
def _run_tasks_in_process():
    """Tasks run where they are queued unless a test starts a real worker (fixture celery_worker_process)."""
    celery_app.conf.task_always_eager = True
    celery_app.conf.task_eager_propagates = True


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Rate-limit counts and cached form definitions are per test: a test never inherits another's 429."""
    cache.clear()


@pytest.fixture(autouse=True)
def _postgres_only(request):
    if request.node.get_closest_marker("postgres") and connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL (run with DATABASE_URL=postgres://...)")


@pytest.fixture
def user(db):
    return UserFactory(username="rep")


@pytest.fixture
def staff_user(db):
    return UserFactory(username="admin", is_staff=True, is_superuser=True)


def pytest_terminal_summary(terminalreporter):
    """Say plainly whether the tests that need real services ran, so a green run cannot hide a skipped PostgreSQL."""
    for marker, service in (("postgres", "PostgreSQL"), ("redis", "Redis/Celery worker"), ("browser", "Chromium")):
        counts = {
            outcome: sum(1 for r in terminalreporter.stats.get(outcome, []) if marker in getattr(r, "keywords", {}))
            for outcome in ("passed", "failed", "skipped")
        }
        if any(counts.values()):
            terminalreporter.write_line(
                f"{service} tests: {counts['passed']} passed, {counts['failed']} failed, {counts['skipped']} skipped"
            )
