"""Faults armed through the control API, and the rest of the control API."""

import time

import pytest
import requests

TIMEOUT = 5


@pytest.fixture
def api(exact_standin):
    return exact_standin.api_session()


def me(standin, api):
    return api.get(f"{standin.url}/api/v1/current/Me", timeout=TIMEOUT)


def test_unavailable_answers_503_once_then_recovers(exact_standin, api):
    exact_standin.fail_next("unavailable")

    assert me(exact_standin, api).status_code == 503
    assert me(exact_standin, api).status_code == 200


def test_a_fault_can_repeat(exact_standin, api):
    exact_standin.fail_next("unavailable", times=2)

    statuses = [me(exact_standin, api).status_code for _ in range(3)]

    assert statuses == [503, 503, 200]


def test_server_error_answers_500_with_an_odata_error(exact_standin, api):
    exact_standin.fail_next("server_error")

    answer = api.post(exact_standin.accounts_url, json={"Name": "Acme"}, timeout=TIMEOUT)

    assert answer.status_code == 500
    assert answer.json()["error"]["message"]["value"]
    assert exact_standin.accounts() == []


def test_a_fault_can_target_the_token_endpoint(exact_standin):
    tokens = exact_standin.obtain_tokens()
    exact_standin.expire_access_tokens()
    exact_standin.fail_next("unavailable", path="/api/oauth2/token")

    failed = exact_standin.refresh(tokens["refresh_token"])
    retried = exact_standin.refresh(tokens["refresh_token"])

    assert failed.status_code == 503
    assert retried.status_code == 200


def test_timeout_after_commit_stores_the_account_but_answers_too_late(exact_standin, api):
    exact_standin.fail_next("timeout_after_commit", seconds=1)

    with pytest.raises(requests.ReadTimeout):
        api.post(exact_standin.accounts_url, json={"Name": "Acme"}, timeout=0.3)

    assert [a["Name"] for a in exact_standin.accounts()] == ["Acme"]
    assert exact_standin.stats()["creates"] == 1
    time.sleep(0.8)  # let the held-back answer go out before the server stops


def test_timeout_after_commit_leaves_reads_alone(exact_standin, api):
    exact_standin.fail_next("timeout_after_commit", seconds=5)

    started = time.monotonic()
    me(exact_standin, api)

    # The armed fault would hold an answer back 5 s; a read must not wait for it (any busy machine answers sooner).
    assert time.monotonic() - started < 5
    assert exact_standin.stats()["calls_by_endpoint"]["GET current/Me"] == 1


def test_unknown_fault_kind_is_refused(exact_standin):
    with pytest.raises(requests.HTTPError):
        exact_standin.fail_next("meteor")


def test_calls_record_each_request_to_exact(exact_standin, api):
    api.post(exact_standin.accounts_url, json={"Name": "Acme"}, timeout=TIMEOUT)

    calls = [(c["method"], c["endpoint"], c["status"]) for c in exact_standin.calls]

    assert ("POST", "crm/Accounts", 201) in calls
    assert ("POST", "oauth2/token", 200) in calls


def test_stats_count_calls_per_endpoint_and_creates(exact_standin, api):
    api.post(exact_standin.accounts_url, json={"Name": "Acme"}, timeout=TIMEOUT)
    api.post(exact_standin.accounts_url, json={}, timeout=TIMEOUT)
    api.get(exact_standin.accounts_url, timeout=TIMEOUT)

    stats = exact_standin.stats()

    assert stats["calls_by_endpoint"]["POST crm/Accounts"] == 2
    assert stats["calls_by_endpoint"]["GET crm/Accounts"] == 1
    assert stats["creates"] == 1
    assert stats["accounts"] == 1


def test_reset_forgets_accounts_tokens_calls_and_settings(exact_standin, api):
    api.post(exact_standin.accounts_url, json={"Name": "Acme"}, timeout=TIMEOUT)
    exact_standin.set_limits(minutely=5)

    requests.post(f"{exact_standin.url}/_standin/reset", timeout=TIMEOUT)

    assert exact_standin.accounts() == []
    assert exact_standin.calls == []
    assert me(exact_standin, api).status_code == 401
    config = requests.get(f"{exact_standin.url}/_standin/config", timeout=TIMEOUT)
    assert config.json()["minutely_limit"] == 60


def test_config_refuses_unknown_settings(exact_standin):
    answer = requests.post(f"{exact_standin.url}/_standin/config", json={"speed": 9}, timeout=TIMEOUT)

    assert answer.status_code == 400
    assert "speed" in answer.json()["error"]


def test_clock_only_moves_forward(exact_standin):
    answer = requests.post(
        f"{exact_standin.url}/_standin/clock",
        json={"advance_seconds": -5},
        timeout=TIMEOUT,
    )

    assert answer.status_code == 400


def test_clock_can_run_on_in_real_time_after_being_frozen(exact_standin):
    frozen_at = exact_standin.now()
    exact_standin.freeze_clock(False)
    time.sleep(0.05)

    assert exact_standin.now() > frozen_at


def test_handle_reset_leaves_the_clock_frozen(exact_standin):
    exact_standin.reset()
    before = exact_standin.now()
    time.sleep(0.05)

    assert exact_standin.now() == before
