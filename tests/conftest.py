import pytest

from leadflow import celery_app
from tests.factories import UserFactory

pytest_plugins = ["tests.plugins.exact_standin"]


@pytest.fixture(autouse=True, scope="session")
def _run_tasks_in_process():
    """Tasks run where they are queued unless a test starts a real worker (see tests/leads/test_worker.py)."""
    celery_app.conf.task_always_eager = True
    celery_app.conf.task_eager_propagates = True


@pytest.fixture
def user(db):
    return UserFactory(username="rep")


@pytest.fixture
def staff_user(db):
    return UserFactory(username="admin", is_staff=True, is_superuser=True)
