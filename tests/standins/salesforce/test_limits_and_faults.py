import threading

import pytest
import requests
from simple_salesforce.exceptions import (
    SalesforceExpiredSession,
    SalesforceGeneralError,
    SalesforceMalformedRequest,
    SalesforceRefusedRequest,
)

from tests.helpers import wait_for


@pytest.fixture
def sf(salesforce_sandbox):
    return salesforce_sandbox.client()


def test_every_data_response_reports_api_usage(salesforce_sandbox):
    api = salesforce_sandbox.rest_session()

    first = api.get(f"{salesforce_sandbox.data_url}/limits")
    second = api.get(f"{salesforce_sandbox.data_url}/sobjects/Account/describe")

    assert first.headers["Sforce-Limit-Info"] == "api-usage=1/15000"
    assert second.headers["Sforce-Limit-Info"] == "api-usage=2/15000"


def test_simple_salesforce_reads_the_usage_header(sf):
    sf.query("SELECT Id FROM Account")

    assert sf.api_usage["api-usage"].used == 1
    assert sf.api_usage["api-usage"].total == 15000


def test_limits_resource_reports_daily_api_requests(sf):
    limits = sf.limits()

    assert limits["DailyApiRequests"] == {"Max": 15000, "Remaining": 14999}


def test_token_and_control_calls_are_not_counted(salesforce_sandbox):
    salesforce_sandbox.token()
    salesforce_sandbox.records("Account")

    assert salesforce_sandbox.api_calls == 0


def test_calls_over_the_limit_are_refused_with_request_limit_exceeded(sf, salesforce_sandbox):
    salesforce_sandbox.configure(api_limit=2)
    sf.query("SELECT Id FROM Account")
    sf.query("SELECT Id FROM Account")

    with pytest.raises(SalesforceRefusedRequest) as excinfo:
        sf.query("SELECT Id FROM Account")

    assert excinfo.value.status == 403
    assert excinfo.value.content == [
        {
            "message": "TotalRequests Limit exceeded.",
            "errorCode": "REQUEST_LIMIT_EXCEEDED",
        }
    ]


def test_limit_exceeded_fault_uses_up_the_quota(sf, salesforce_sandbox):
    salesforce_sandbox.fail_next("limit_exceeded")

    with pytest.raises(SalesforceRefusedRequest):
        sf.Account.create({"Name": "Acme"})
    assert salesforce_sandbox.records("Account") == []


def test_unavailable_fault_answers_503_for_matching_paths_only(sf, salesforce_sandbox):
    salesforce_sandbox.fail_next("unavailable", times=2, path_contains="/composite")

    sf.query("SELECT Id FROM Account")
    for _ in range(2):
        with pytest.raises(SalesforceGeneralError) as excinfo:
            sf.restful("composite", method="POST", json={"compositeRequest": []})
        assert excinfo.value.status == 503
        assert excinfo.value.content[0]["errorCode"] == "SERVER_UNAVAILABLE"
    with pytest.raises(SalesforceMalformedRequest):  # third call reaches the real handler
        sf.restful("composite", method="POST", json={"compositeRequest": []})


def test_expire_sessions_fault_invalidates_issued_tokens(sf, salesforce_sandbox):
    salesforce_sandbox.fail_next("expire_sessions")

    with pytest.raises(SalesforceExpiredSession):
        sf.Account.create({"Name": "Acme"})


def test_timeout_after_commit_loses_the_response_but_keeps_the_data(salesforce_sandbox):
    salesforce_sandbox.fail_next("timeout_after_commit", seconds=1.5, path_contains="/sobjects")
    impatient = salesforce_sandbox.client(timeout=0.3)

    with pytest.raises(requests.exceptions.ReadTimeout):
        impatient.Account.create({"Name": "Acme"})

    assert [record["Name"] for record in salesforce_sandbox.records("Account")] == ["Acme"]


def test_unable_to_lock_row_fault_fails_the_next_write_once(sf, salesforce_sandbox):
    salesforce_sandbox.fail_next("unable_to_lock_row")

    with pytest.raises(SalesforceMalformedRequest) as excinfo:
        sf.Account.create({"Name": "Acme"})
    sf.Account.create({"Name": "Acme"})

    assert excinfo.value.content[0]["errorCode"] == "UNABLE_TO_LOCK_ROW"
    assert len(salesforce_sandbox.records("Account")) == 1


def test_unable_to_lock_row_inside_composite_rolls_everything_back(sf, salesforce_sandbox):
    salesforce_sandbox.fail_next("unable_to_lock_row", path_contains="/sobjects/Contact")
    v = "/services/data/v61.0"
    subrequests = [
        {
            "method": "POST",
            "url": f"{v}/sobjects/Account",
            "referenceId": "a",
            "body": {"Name": "A"},
        },
        {
            "method": "POST",
            "url": f"{v}/sobjects/Contact",
            "referenceId": "c",
            "body": {"LastName": "C"},
        },
    ]

    results = sf.restful(
        "composite",
        method="POST",
        json={"allOrNone": True, "compositeRequest": subrequests},
    )["compositeResponse"]

    assert results[1]["body"][0]["errorCode"] == "UNABLE_TO_LOCK_ROW"
    assert salesforce_sandbox.records("Account") == []


def test_duplicates_detected_fault_refuses_the_next_create(sf, salesforce_sandbox):
    salesforce_sandbox.fail_next("duplicates_detected")

    with pytest.raises(SalesforceMalformedRequest) as excinfo:
        sf.Contact.create({"LastName": "Jansen"})

    assert excinfo.value.content[0]["errorCode"] == "DUPLICATES_DETECTED"


def test_unknown_fault_kind_is_refused(salesforce_sandbox):
    response = requests.post(f"{salesforce_sandbox.url}/_sandbox/faults", json={"kind": "gremlins"})

    assert response.status_code == 400


def test_reset_clears_records_faults_and_usage(sf, salesforce_sandbox):
    sf.Account.create({"Name": "Acme"})
    salesforce_sandbox.fail_next("unavailable")

    salesforce_sandbox.reset()

    assert salesforce_sandbox.records("Account") == []
    assert salesforce_sandbox.api_calls == 0
    assert sf.query("SELECT Id FROM Account")["totalSize"] == 0


def test_stats_count_calls_per_endpoint(sf, salesforce_sandbox):
    record_id = sf.Account.create({"Name": "Acme"})["id"]
    sf.Account.update(record_id, {"Phone": "+31 20 123 4567"})
    sf.Contact.upsert("Leadflow_Id__c/c-1", {"LastName": "Jansen"})

    assert salesforce_sandbox.stats()["calls_by_endpoint"] == {
        "POST /sobjects/Account": 1,
        "PATCH /sobjects/Account/{record_id}": 1,
        "PATCH /sobjects/Contact/{field}/{value}": 1,
    }


def test_concurrent_upserts_of_one_external_id_create_one_record(salesforce_sandbox):
    url = f"{salesforce_sandbox.data_url}/sobjects/Account/Leadflow_Id__c/same"
    token = salesforce_sandbox.token()
    statuses = []

    def upsert():
        response = requests.patch(url, json={"Name": "Acme"}, headers={"Authorization": f"Bearer {token}"})
        statuses.append(response.status_code)

    threads = [threading.Thread(target=upsert) for _ in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(statuses) == [200] * 9 + [201]
    assert len(salesforce_sandbox.records("Account")) == 1


def test_slow_response_does_not_block_other_clients(salesforce_sandbox):
    salesforce_sandbox.fail_next("slow_response", seconds=30, path_contains="/limits")
    api = salesforce_sandbox.rest_session()
    slow = threading.Thread(target=api.get, args=(f"{salesforce_sandbox.data_url}/limits",), daemon=True)
    slow.start()
    wait_for(lambda: not salesforce_sandbox.armed_faults())  # the slow request holds its answer now

    salesforce_sandbox.client().query("SELECT Id FROM Account")

    assert slow.is_alive()  # answered while the slow one still waits
