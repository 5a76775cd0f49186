import pytest
from django.test import Client

from leadflow.review import roles
from tests.factories import LeadFactory
from tests.review.browser import _orm_beside_playwright, browser, page  # noqa: F401 (Chromium for the browser tests)
from tests.review.factories import user_with_role


@pytest.fixture
def rep(db):
    return user_with_role("sam", roles.SALES_REP)


@pytest.fixture
def other_rep(db):
    return user_with_role("ruben", roles.SALES_REP)


@pytest.fixture
def manager(db):
    return user_with_role("maria", roles.SALES_MANAGER)


@pytest.fixture
def admin_user(db):
    return user_with_role("ada", roles.ADMIN, is_staff=True)


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def rep_client(rep):
    return client_for(rep)


@pytest.fixture
def manager_client(manager):
    return client_for(manager)


@pytest.fixture
def own_lead(rep):
    return LeadFactory(owner=rep, first_name="Own", last_name="Lead")


@pytest.fixture
def others_lead(other_rep):
    return LeadFactory(owner=other_rep, first_name="Others", last_name="Lead")
