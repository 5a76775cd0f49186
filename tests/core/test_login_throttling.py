"""Repeated wrong passwords lock out the account and the address (django-axes), on both login pages, until the
cool-off ends or an admin unlocks them."""

import pytest
from django.core.management import call_command
from django.test import Client

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
PASSWORD = "correct horse battery staple"  # tests.factories.UserFactory's


@pytest.fixture(autouse=True)
def _low_limit(settings):
    settings.AXES_FAILURE_LIMIT = 3  # the same rule as the default 10, with fewer slow password hashes


def _login(client: Client, path: str, username: str, password: str, address: str = "198.51.100.1") -> int:
    return client.post(path, {"username": username, "password": password}, REMOTE_ADDR=address).status_code


def _signed_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


@pytest.mark.parametrize("path", ["/login/", "/admin/login/"])
def test_after_too_many_wrong_passwords_even_the_right_one_is_refused(path, settings):
    UserFactory(username="sam", is_staff=True)
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        _login(client, path, "sam", "wrong")
    assert _login(client, path, "sam", PASSWORD) == 429
    assert not _signed_in(client)


def test_the_account_stays_locked_from_another_address(settings):
    UserFactory(username="sam")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        _login(Client(), "/login/", "sam", "wrong", address="198.51.100.1")
    client = Client()
    assert _login(client, "/login/", "sam", PASSWORD, address="203.0.113.50") == 429
    assert not _signed_in(client)


def test_an_address_guessing_many_accounts_is_locked_out_for_every_account(settings):
    UserFactory(username="eva")
    for n in range(settings.AXES_FAILURE_LIMIT):
        _login(Client(), "/login/", f"guess{n}", "wrong", address="198.51.100.66")
    client = Client()
    assert _login(client, "/login/", "eva", PASSWORD, address="198.51.100.66") == 429
    assert _login(client, "/login/", "eva", PASSWORD, address="198.51.100.67") == 302  # eva herself, elsewhere


def test_an_admin_unlocks_the_account_and_its_address_and_the_right_password_works_again(settings):
    UserFactory(username="sam")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        _login(Client(), "/login/", "sam", "wrong")
    call_command("axes_reset_username", "sam")
    call_command("axes_reset_ip", "198.51.100.1")
    client = Client()
    assert _login(client, "/login/", "sam", PASSWORD) == 302
    assert _signed_in(client)


def test_fewer_failures_than_the_limit_do_not_lock_and_a_success_clears_them(settings):
    UserFactory(username="sam")
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        _login(client, "/login/", "sam", "wrong")
    assert _login(client, "/login/", "sam", PASSWORD) == 302
    client.logout()
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        _login(client, "/login/", "sam", "wrong")
    assert _login(client, "/login/", "sam", PASSWORD) == 302
