"""The stand-in's OAuth2: Exact's authorization-code flow and refresh rules."""

import threading
from urllib.parse import parse_qs, urlsplit

import requests

TIMEOUT = 5


def test_consent_page_shows_a_form_that_posts_back_the_request(exact_standin):
    page = requests.get(
        exact_standin.auth_url,
        params=exact_standin.authorization_params(state="abc"),
        timeout=TIMEOUT,
    )

    assert page.status_code == 200
    assert page.headers["Content-Type"].startswith("text/html")
    assert 'action="/api/oauth2/auth"' in page.text
    assert 'name="state" value="abc"' in page.text


def test_consent_page_refuses_a_redirect_uri_that_is_not_registered(exact_standin):
    page = requests.get(
        exact_standin.auth_url,
        params=exact_standin.authorization_params(redirect_uri="http://evil.example/callback"),
        allow_redirects=False,
        timeout=TIMEOUT,
    )

    assert page.status_code == 400
    assert "Location" not in page.headers


def test_approving_redirects_to_the_app_with_a_code_and_the_state(exact_standin):
    answer = exact_standin.decide("approve", state="s1")

    assert answer.status_code == 302
    location = urlsplit(answer.headers["Location"])
    assert answer.headers["Location"].startswith(exact_standin.redirect_uri)
    query = parse_qs(location.query)
    assert query["state"] == ["s1"]
    assert query["code"][0]


def test_denying_redirects_with_access_denied(exact_standin):
    answer = exact_standin.decide("deny")

    query = parse_qs(urlsplit(answer.headers["Location"]).query)
    assert query["error"] == ["access_denied"]
    assert "code" not in query


def test_authorization_code_grant_returns_bearer_tokens_with_expires_in_as_string(
    exact_standin,
):
    answer = exact_standin.exchange_code(exact_standin.authorization_code())

    assert answer.status_code == 200
    tokens = answer.json()
    assert set(tokens) == {"access_token", "token_type", "expires_in", "refresh_token"}
    assert tokens["token_type"] == "bearer"
    assert tokens["expires_in"] == "600"


def test_authorization_code_can_be_used_only_once(exact_standin):
    code = exact_standin.authorization_code()
    exact_standin.exchange_code(code)

    again = exact_standin.exchange_code(code)

    assert again.status_code == 400
    assert again.json()["error"] == "invalid_grant"


def test_authorization_code_expires_after_three_minutes(exact_standin):
    code = exact_standin.authorization_code()
    exact_standin.advance_clock(181)

    answer = exact_standin.exchange_code(code)

    assert answer.status_code == 400
    assert answer.json()["error"] == "invalid_grant"


def test_token_request_with_a_wrong_secret_is_refused_as_invalid_client(exact_standin):
    answer = exact_standin.exchange_code(exact_standin.authorization_code(), client_secret="wrong")

    assert answer.status_code == 400
    assert answer.json()["error"] == "invalid_client"


def test_token_request_with_a_different_redirect_uri_is_refused(exact_standin):
    answer = exact_standin.exchange_code(
        exact_standin.authorization_code(),
        redirect_uri="http://127.0.0.1:9/other",
    )

    assert answer.status_code == 400
    assert answer.json()["error"] == "invalid_grant"


def test_access_token_opens_the_api(exact_standin):
    session = exact_standin.api_session()

    me = session.get(f"{exact_standin.url}/api/v1/current/Me", timeout=TIMEOUT)

    assert me.status_code == 200
    user = me.json()["d"]["results"][0]
    assert user["CurrentDivision"] == exact_standin.division
    assert user["UserID"]
    assert user["FullName"]


def test_refresh_returns_new_tokens_570_seconds_after_the_last_access_token(
    exact_standin,
):
    tokens = exact_standin.obtain_tokens()
    exact_standin.advance_clock(571)

    answer = exact_standin.refresh(tokens["refresh_token"])

    assert answer.status_code == 200
    fresh = answer.json()
    assert fresh["expires_in"] == "600"
    assert fresh["access_token"] != tokens["access_token"]
    assert fresh["refresh_token"] != tokens["refresh_token"]


def test_once_the_new_tokens_are_used_the_old_refresh_token_is_refused(exact_standin):
    tokens = exact_standin.obtain_tokens()
    exact_standin.advance_clock(600)
    fresh = exact_standin.refresh(tokens["refresh_token"]).json()
    exact_standin.api_session(fresh["access_token"]).get(f"{exact_standin.url}/api/v1/current/Me", timeout=TIMEOUT)
    exact_standin.advance_clock(600)

    reused = exact_standin.refresh(tokens["refresh_token"])

    assert reused.status_code == 400
    assert reused.json()["error"] == "invalid_grant"
    assert exact_standin.refresh(fresh["refresh_token"]).status_code == 200


def test_old_refresh_token_still_works_while_the_new_tokens_were_never_used(exact_standin):
    """A refresh whose answer was lost: the client never saw the new pair and repeats with the old token."""
    tokens = exact_standin.obtain_tokens()
    exact_standin.advance_clock(600)
    lost = exact_standin.refresh(tokens["refresh_token"]).json()
    exact_standin.advance_clock(570)

    repeated = exact_standin.refresh(tokens["refresh_token"])

    assert repeated.status_code == 200
    session = exact_standin.api_session(repeated.json()["access_token"])
    assert session.get(f"{exact_standin.url}/api/v1/current/Me", timeout=TIMEOUT).status_code == 200
    exact_standin.advance_clock(570)
    assert exact_standin.refresh(lost["refresh_token"]).json()["error"] == "invalid_grant"  # Superseded.


def test_a_new_access_token_within_570_seconds_of_the_last_is_refused(exact_standin):
    tokens = exact_standin.obtain_tokens()
    exact_standin.advance_clock(600)
    fresh = exact_standin.refresh(tokens["refresh_token"]).json()
    exact_standin.advance_clock(560)

    too_early = exact_standin.refresh(fresh["refresh_token"])

    assert too_early.status_code == 400
    assert too_early.json()["error"] == "invalid_request"
    assert "too early" in too_early.json()["error_description"]


def test_refused_early_refresh_leaves_the_refresh_token_usable(exact_standin):
    tokens = exact_standin.obtain_tokens()
    exact_standin.refresh(tokens["refresh_token"])
    exact_standin.advance_clock(600)

    assert exact_standin.refresh(tokens["refresh_token"]).status_code == 200


def test_refresh_interval_is_configurable(exact_standin):
    exact_standin.configure(refresh_interval=0)
    tokens = exact_standin.obtain_tokens()

    assert exact_standin.refresh(tokens["refresh_token"]).status_code == 200


def test_expired_access_token_gets_401_with_a_bearer_challenge(exact_standin):
    session = exact_standin.api_session()
    exact_standin.advance_clock(600)

    me = session.get(f"{exact_standin.url}/api/v1/current/Me", timeout=TIMEOUT)

    assert me.status_code == 401
    assert me.headers["WWW-Authenticate"].startswith("Bearer")
    assert me.json()["error"]["message"]["value"]


def test_control_api_expires_every_access_token_at_once(exact_standin):
    first = exact_standin.api_session()
    second = exact_standin.api_session()

    exact_standin.expire_access_tokens()

    for session in (first, second):
        me = session.get(f"{exact_standin.url}/api/v1/current/Me", timeout=TIMEOUT)
        assert me.status_code == 401


def test_expired_tokens_can_be_refreshed_at_once(exact_standin):
    tokens = exact_standin.obtain_tokens()
    exact_standin.expire_access_tokens()

    assert exact_standin.refresh(tokens["refresh_token"]).status_code == 200


def test_missing_bearer_token_gets_401(exact_standin):
    me = requests.get(f"{exact_standin.url}/api/v1/current/Me", timeout=TIMEOUT)

    assert me.status_code == 401


def test_access_token_lifetime_is_configurable(exact_standin):
    exact_standin.configure(access_token_lifetime=60)
    tokens = exact_standin.obtain_tokens()
    session = exact_standin.api_session(tokens["access_token"])
    exact_standin.advance_clock(61)

    me = session.get(f"{exact_standin.url}/api/v1/current/Me", timeout=TIMEOUT)

    assert tokens["expires_in"] == "60"
    assert me.status_code == 401


def test_two_concurrent_refreshes_with_the_same_token_have_exactly_one_winner(
    exact_standin,
):
    tokens = exact_standin.obtain_tokens()
    exact_standin.expire_access_tokens()
    start = threading.Barrier(2)
    statuses = []

    def refresh():
        start.wait()
        statuses.append(exact_standin.refresh(tokens["refresh_token"]).status_code)

    workers = [threading.Thread(target=refresh) for _ in range(2)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=10)

    assert sorted(statuses) == [200, 400]
