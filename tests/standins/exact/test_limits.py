"""The stand-in's API limits: daily and minutely counts and the error ban."""

import pytest
import requests

TIMEOUT = 5


@pytest.fixture
def api(exact_standin):
    # These tests move the clock by hours and days; keep the token alive.
    exact_standin.configure(access_token_lifetime=7 * 86_400)
    return exact_standin.api_session()


def me(standin, api):
    return api.get(f"{standin.url}/api/v1/current/Me", timeout=TIMEOUT)


def bad_filter(standin, api):
    return api.get(standin.accounts_url, params={"$filter": "Nope eq 1"}, timeout=TIMEOUT)


def test_every_api_answer_carries_daily_and_minutely_limit_headers(exact_standin, api):
    answer = me(exact_standin, api)

    assert answer.headers["X-RateLimit-Limit"] == "5000"
    assert answer.headers["X-RateLimit-Remaining"] == "4999"
    assert answer.headers["X-RateLimit-Minutely-Limit"] == "60"
    assert answer.headers["X-RateLimit-Minutely-Remaining"] == "59"


def test_remaining_counts_down_with_each_call(exact_standin, api):
    remaining = [
        (
            answer.headers["X-RateLimit-Remaining"],
            answer.headers["X-RateLimit-Minutely-Remaining"],
        )
        for answer in (me(exact_standin, api) for _ in range(3))
    ]

    assert remaining == [("4999", "59"), ("4998", "58"), ("4997", "57")]


def test_errors_count_as_calls_too(exact_standin, api):
    bad_filter(exact_standin, api)

    assert me(exact_standin, api).headers["X-RateLimit-Minutely-Remaining"] == "58"


def test_reset_headers_are_the_next_minute_and_midnight_in_epoch_milliseconds(exact_standin, api):
    now_ms = exact_standin.now() * 1000
    answer = me(exact_standin, api)

    minutely_reset = int(answer.headers["X-RateLimit-Minutely-Reset"])
    daily_reset = int(answer.headers["X-RateLimit-Reset"])
    assert minutely_reset % 60_000 == 0
    assert now_ms < minutely_reset <= now_ms + 60_000
    assert daily_reset % 86_400_000 == 0
    assert now_ms < daily_reset <= now_ms + 86_400_000


def test_token_endpoint_answers_without_limit_headers(exact_standin):
    answer = requests.post(exact_standin.token_url, data={}, timeout=TIMEOUT)

    assert "X-RateLimit-Remaining" not in answer.headers


def test_minutely_limit_answers_429_with_headers_until_the_next_minute(exact_standin, api):
    exact_standin.set_limits(minutely=3)
    for _ in range(3):
        assert me(exact_standin, api).status_code == 200

    refused = me(exact_standin, api)
    exact_standin.advance_clock(60)
    recovered = me(exact_standin, api)

    assert refused.status_code == 429
    assert refused.headers["X-RateLimit-Minutely-Remaining"] == "0"
    assert refused.json()["error"]["message"]["value"]
    assert recovered.status_code == 200
    assert recovered.headers["X-RateLimit-Minutely-Remaining"] == "2"


def test_refused_calls_do_not_use_up_the_daily_limit(exact_standin, api):
    exact_standin.set_limits(minutely=1)
    me(exact_standin, api)
    me(exact_standin, api)
    exact_standin.advance_clock(60)

    assert me(exact_standin, api).headers["X-RateLimit-Remaining"] == "4998"


def test_daily_limit_answers_429_until_midnight(exact_standin, api):
    exact_standin.set_limits(daily=2)
    me(exact_standin, api)
    me(exact_standin, api)

    refused = me(exact_standin, api)
    exact_standin.advance_clock(60)
    still_refused = me(exact_standin, api)
    exact_standin.advance_clock(86_400)
    recovered = me(exact_standin, api)

    assert refused.status_code == 429
    assert refused.headers["X-RateLimit-Remaining"] == "0"
    assert still_refused.status_code == 429
    assert recovered.status_code == 200


def test_more_than_ten_client_errors_on_an_endpoint_block_it_for_an_hour(exact_standin, api):
    exact_standin.set_limits(minutely=1000)
    statuses = [bad_filter(exact_standin, api).status_code for _ in range(11)]

    blocked = api.get(exact_standin.accounts_url, timeout=TIMEOUT)

    assert statuses == [400] * 11
    assert blocked.status_code == 429
    assert "blocked" in blocked.json()["error"]["message"]["value"]
    assert "X-RateLimit-Remaining" in blocked.headers


def test_ten_client_errors_in_an_hour_do_not_block(exact_standin, api):
    exact_standin.set_limits(minutely=1000)
    for _ in range(10):
        bad_filter(exact_standin, api)

    assert api.get(exact_standin.accounts_url, timeout=TIMEOUT).status_code == 200


def test_the_error_ban_blocks_only_the_failing_endpoint(exact_standin, api):
    exact_standin.set_limits(minutely=1000, error_ban_threshold=2)
    for _ in range(3):
        bad_filter(exact_standin, api)

    assert api.get(exact_standin.accounts_url, timeout=TIMEOUT).status_code == 429
    assert me(exact_standin, api).status_code == 200


def test_the_error_ban_lifts_after_an_hour(exact_standin, api):
    exact_standin.set_limits(error_ban_threshold=2)
    for _ in range(3):
        bad_filter(exact_standin, api)
    exact_standin.advance_clock(3600)

    assert api.get(exact_standin.accounts_url, timeout=TIMEOUT).status_code == 200


def test_errors_older_than_an_hour_no_longer_count(exact_standin, api):
    exact_standin.set_limits(error_ban_threshold=2)
    bad_filter(exact_standin, api)
    bad_filter(exact_standin, api)
    exact_standin.advance_clock(3600)
    bad_filter(exact_standin, api)

    assert api.get(exact_standin.accounts_url, timeout=TIMEOUT).status_code == 200


def test_a_client_retrying_a_rejected_create_blindly_gets_blocked(exact_standin, api):
    exact_standin.set_limits(minutely=1000)
    invalid = {"Name": "Acme", "Country": "Netherlands"}

    statuses = [api.post(exact_standin.accounts_url, json=invalid, timeout=TIMEOUT).status_code for _ in range(12)]

    assert statuses == [400] * 11 + [429]


def test_a_client_that_keeps_sending_an_expired_token_gets_blocked(exact_standin, api):
    exact_standin.set_limits(error_ban_threshold=2)
    exact_standin.expire_access_tokens()
    statuses = [me(exact_standin, api).status_code for _ in range(3)]

    fresh = exact_standin.api_session()

    assert statuses == [401, 401, 401]
    assert me(exact_standin, fresh).status_code == 429
