import pytest
import requests

from leadflow.integrations.salesforce.transport import salesforce_http_session


def test_https_urls_of_a_plain_http_sandbox_are_sent_over_http(salesforce_sandbox):
    session = salesforce_http_session(salesforce_sandbox.url, timeout=5)
    https_url = salesforce_sandbox.url.replace("http://", "https://")

    response = session.get(f"{https_url}/services/data/")

    assert response.status_code == 200
    assert response.url.startswith("http://")


def test_only_the_sandbox_host_and_port_are_rewritten():
    session = salesforce_http_session("http://127.0.0.1:8765", timeout=5)
    rewriting = session.get_adapter("https://127.0.0.1:8765/services/data/")

    for other in (
        "https://127.0.0.1:87650/services/data/",
        "https://127.0.0.1:8766/services/data/",
        "https://example.my.salesforce.com/services/data/",
    ):
        assert session.get_adapter(other) is not rewriting


def test_https_instance_urls_are_left_alone():
    session = salesforce_http_session("https://example.my.salesforce.com", timeout=5)

    assert session.get_adapter("https://example.my.salesforce.com/") is session.get_adapter("https://other.example/")


def test_requests_time_out_after_the_default_timeout(salesforce_sandbox):
    salesforce_sandbox.fail_next("timeout_after_commit", seconds=1, path_contains="/limits")
    session = salesforce_http_session(salesforce_sandbox.url, timeout=0.2)
    session.headers["Authorization"] = f"Bearer {salesforce_sandbox.token()}"

    with pytest.raises(requests.exceptions.ReadTimeout):
        session.get(f"{salesforce_sandbox.data_url}/limits")


def test_an_explicit_timeout_wins_over_the_default(salesforce_sandbox):
    salesforce_sandbox.fail_next("slow_response", seconds=0.3, path_contains="/limits")
    session = salesforce_http_session(salesforce_sandbox.url, timeout=0.1)
    session.headers["Authorization"] = f"Bearer {salesforce_sandbox.token()}"

    response = session.get(f"{salesforce_sandbox.data_url}/limits", timeout=5)

    assert response.status_code == 200
