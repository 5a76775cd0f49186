"""The Pipedrive stand-in is as strict as Pipedrive's documentation (standins/pipedrive/README.md)."""

import pytest
import requests

from standins.pipedrive import CUSTOM_FIELDS, PipedriveStandin


@pytest.fixture
def account():
    standin = PipedriveStandin(requests_per_window=3).start()
    yield standin
    standin.stop()


def api(account, method="GET", path="/api/v2/organizations", *, token=None, **kwargs):
    headers = {"x-api-token": account.api_token if token is None else token}
    return requests.request(method, account.url + path, headers=headers, timeout=5, **kwargs)


def assert_pipedrive_error(response, status, error):
    assert response.status_code == status
    assert response.json() == {
        "success": False,
        "error": error,
        "error_info": "Please check developers.pipedrive.com for more information about Pipedrive API.",
        "data": None,
        "additional_data": None,
    }


def test_a_request_without_or_with_a_wrong_token_is_a_401(account):
    assert_pipedrive_error(
        requests.get(account.url + "/api/v2/deals", timeout=5), 401, "You need to be authorized to make this request."
    )
    assert_pipedrive_error(api(account, token="wrong"), 401, "unauthorized access")
    bearer = {"Authorization": "Bearer nope"}
    assert requests.get(account.url + "/api/v2/deals", headers=bearer, timeout=5).status_code == 401


def test_the_api_token_may_come_as_a_parameter_and_oauth_as_a_bearer(account):
    as_parameter = requests.get(account.url + "/api/v2/deals", params={"api_token": account.api_token}, timeout=5)
    bearer = {"Authorization": f"Bearer {account.access_token}"}

    assert as_parameter.status_code == 200
    assert requests.get(account.url + "/api/v2/deals", headers=bearer, timeout=5).status_code == 200


def test_unknown_routes_and_records_are_404_in_pipedrives_error_shape(account):
    assert_pipedrive_error(api(account, path="/api/v2/nothing"), 404, "Not found")
    assert_pipedrive_error(api(account, path="/api/v2/deals/99"), 404, "Deal not found")


@pytest.mark.parametrize(
    ("path", "body", "error"),
    [
        ("/api/v2/organizations", {}, "Validation failed: name: Required"),
        ("/api/v2/deals", {"title": "X", "currency": "euro"}, "Validation failed: currency: Invalid currency 'euro'"),
        (
            "/api/v2/deals",
            {"title": "X", "expected_close_date": "1/2/2026"},
            "Validation failed: expected_close_date: Expected a date (YYYY-MM-DD)",
        ),
        ("/api/v2/persons", {"name": "A", "org_id": 7}, "Validation failed: org_id: Organization 7 not found"),
        ("/api/v2/persons", {"name": "A", "custom_fields": {"f" * 40: "x"}}, f"Custom field(s) not found: {'f' * 40}"),
    ],
)
def test_invalid_records_are_refused_with_400(account, path, body, error):
    assert_pipedrive_error(api(account, "POST", path, json=body), 400, error)
    assert account.all("organization") == account.all("person") == account.all("deal") == []


def test_every_answer_carries_the_window_and_a_request_over_it_is_a_429_with_retry_after(account):
    answers = [api(account) for _ in range(4)]

    assert [a.headers["x-ratelimit-remaining"] for a in answers[:3]] == ["2", "1", "0"]
    assert all(a.headers["x-ratelimit-limit"] == "3" for a in answers)
    assert_pipedrive_error(answers[3], 429, "Request over limit")
    assert 1 <= int(answers[3].headers["Retry-After"]) <= 3


def test_search_has_its_own_window_of_ten_requests(account):
    account.requests_per_window = 100
    answers = [api(account, path="/api/v2/persons/search", params={"term": "anna"}) for _ in range(11)]

    assert [a.status_code for a in answers] == [200] * 10 + [429]


def test_lists_page_with_cursors_and_refuse_a_limit_over_500(account):
    account.requests_per_window = 100
    for n in range(5):
        account.add("deal", title=f"Deal {n}")

    first = api(account, path="/api/v2/deals", params={"limit": 2}).json()
    second = api(account, path="/api/v2/deals", params={"limit": 2, "cursor": first["additional_data"]["next_cursor"]})
    last = api(
        account, path="/api/v2/deals", params={"limit": 2, "cursor": second.json()["additional_data"]["next_cursor"]}
    )

    assert [d["title"] for d in first["data"]] == ["Deal 0", "Deal 1"]
    assert [d["title"] for d in last.json()["data"]] == ["Deal 4"]
    assert last.json()["additional_data"]["next_cursor"] is None
    assert_pipedrive_error(
        api(account, path="/api/v2/deals", params={"limit": 501}),
        400,
        "Validation failed: limit: Must be between 1 and 500",
    )


def test_search_finds_custom_field_values_exactly_or_in_part(account):
    key = CUSTOM_FIELDS["organization"]["leadflow_id"]
    account.add("organization", name="Acme", custom={"leadflow_id": "lf-1"})

    exact = api(
        account,
        path="/api/v2/organizations/search",
        params={"term": "lf-1", "fields": "custom_fields", "exact_match": "true"},
    )
    partial = api(account, path="/api/v2/organizations/search", params={"term": "lf", "fields": "custom_fields"})
    too_short = api(account, path="/api/v2/organizations/search", params={"term": "l"})

    assert [i["item"]["custom_fields"] for i in exact.json()["data"]["items"]] == [["lf-1"]]
    assert len(partial.json()["data"]["items"]) == 1
    assert too_short.status_code == 400
    assert key in account.all("organization")[0]["custom_fields"]


def test_a_won_deal_is_sent_to_v2_webhooks_with_their_basic_auth(account, receiver):
    deal = account.add("deal", title="Big one", value=100, currency="EUR", status="open")
    webhook = account.add_webhook(
        subscription_url=receiver.url,
        event_action="change",
        event_object="deal",
        http_auth_user="u",
        http_auth_password="p",
    )

    account.win_deal(deal["id"])

    [delivery] = receiver.received
    assert delivery.headers["Authorization"] == "Basic dTpw"
    assert delivery.json["meta"]["action"] == "change"
    assert delivery.json["meta"]["entity"] == "deal"
    assert delivery.json["meta"]["version"] == "2.0"
    assert (delivery.json["data"]["status"], delivery.json["previous"]) == ("won", {"status": "open"})
    assert webhook.deliveries == [204]
