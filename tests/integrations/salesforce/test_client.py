import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from leadflow.core.exceptions import ExternalServiceError
from leadflow.integrations.salesforce.client import SalesforceClient, api_budget, org_cache, soql_contains, soql_literal
from tests.plugins.salesforce_sandbox import running_salesforce_sandbox


def test_client_fetches_a_token_once_and_shares_it_through_the_cache(salesforce):
    SalesforceClient().queries({"accounts": "SELECT Id FROM Account"})
    SalesforceClient().queries({"accounts": "SELECT Id FROM Account"})

    assert salesforce.stats()["active_sessions"] == 1


def test_expired_session_is_renewed_once_and_the_request_succeeds(salesforce):
    client = SalesforceClient()
    client.queries({"accounts": "SELECT Id FROM Account"})
    salesforce.expire_sessions()

    assert client.queries({"accounts": "SELECT Id FROM Account"}) == {"accounts": []}
    assert salesforce.stats()["active_sessions"] == 1


def test_every_response_updates_the_remaining_api_budget(salesforce):
    salesforce.configure(api_limit=1000, api_used=400)

    SalesforceClient().queries({"accounts": "SELECT Id FROM Account"})

    budget = api_budget()
    assert (budget.used, budget.limit, budget.remaining) == (401, 1000, 599)


def test_client_counts_the_api_calls_it_makes(salesforce):
    client = SalesforceClient()
    client.queries({f"q{n}": "SELECT Id FROM Account" for n in range(7)})

    assert client.calls == 2 == salesforce.api_calls


def test_unavailable_org_is_a_transient_error(salesforce):
    salesforce.fail_next("unavailable")

    with pytest.raises(ExternalServiceError) as raised:
        SalesforceClient().queries({"accounts": "SELECT Id FROM Account"})

    assert not raised.value.permanent


def test_exhausted_quota_is_transient_and_remembered(salesforce):
    salesforce.fail_next("limit_exceeded")

    with pytest.raises(ExternalServiceError) as raised:
        SalesforceClient().queries({"accounts": "SELECT Id FROM Account"})

    assert not raised.value.permanent
    assert raised.value.extra["code"] == "REQUEST_LIMIT_EXCEEDED"
    assert api_budget().remaining == 0


def test_malformed_query_is_a_permanent_error_with_salesforces_message(salesforce):
    with pytest.raises(ExternalServiceError) as raised:
        SalesforceClient().queries({"accounts": "SELECT Id FROM Nothing"})

    assert raised.value.permanent
    assert "Nothing" in raised.value.message


def test_wrong_client_secret_is_a_permanent_error_naming_the_settings(salesforce, settings):
    settings.SALESFORCE_CLIENT_SECRET = "wrong"

    with pytest.raises(ExternalServiceError) as raised:
        SalesforceClient().queries({"accounts": "SELECT Id FROM Account"})

    assert raised.value.permanent
    assert "SALESFORCE_" in raised.value.message


def test_unreachable_org_is_a_transient_error_that_says_so(settings, db):
    settings.SALESFORCE_INSTANCE_URL = "http://127.0.0.1:9"
    settings.SALESFORCE_TOKEN_URL = "http://127.0.0.1:9/services/oauth2/token"
    org_cache().clear()

    with pytest.raises(ExternalServiceError) as raised:
        SalesforceClient().queries({"accounts": "SELECT Id FROM Account"})

    assert not raised.value.permanent
    assert raised.value.message.startswith("Salesforce cannot be reached at 127.0.0.1:9: no connection could be made")


def test_quotes_and_wildcards_in_values_cannot_escape_a_soql_string(salesforce):
    """The point of this test is building SOQL from hostile text: the escaping must hold."""
    sandbox_client = salesforce.client()
    sandbox_client.Account.create({"Name": "O'Brien % Sons"})
    sandbox_client.Account.create({"Name": "Other"})
    client = SalesforceClient()

    name, attack = "O'Brien % Sons", "x' OR Name != 'y"

    exact = client.queries({"a": f"SELECT Name FROM Account WHERE Name = {soql_literal(name)}"})["a"]
    injected = client.queries({"a": f"SELECT Name FROM Account WHERE Name = {soql_literal(attack)}"})["a"]
    contains = client.queries({"a": f"SELECT Name FROM Account WHERE Name LIKE {soql_contains('%')}"})["a"]

    assert [r["Name"] for r in exact] == ["O'Brien % Sons"]
    assert injected == []
    assert [r["Name"] for r in contains] == ["O'Brien % Sons"]


def test_jwt_bearer_flow_signs_an_assertion_the_org_verifies(settings, tmp_path, db):
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    public_pem = (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    key_file = tmp_path / "salesforce.key"
    key_file.write_text(private_pem)
    with running_salesforce_sandbox(str(tmp_path / "org.sqlite3"), jwt_public_key=public_pem) as org:
        settings.SALESFORCE_INSTANCE_URL = org.url
        settings.SALESFORCE_TOKEN_URL = f"{org.url}/services/oauth2/token"
        settings.SALESFORCE_AUTH_FLOW = "jwt_bearer"
        settings.SALESFORCE_CLIENT_ID = org.client_id
        settings.SALESFORCE_CLIENT_SECRET = ""
        settings.SALESFORCE_USERNAME = "integration@acme.example"
        settings.SALESFORCE_PRIVATE_KEY_FILE = str(key_file)
        org_cache().clear()

        assert SalesforceClient().queries({"a": "SELECT Id FROM Account"}) == {"a": []}
