import time

import jwt
import pytest
import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from simple_salesforce.exceptions import SalesforceExpiredSession

from tests.plugins.salesforce_sandbox import running_salesforce_sandbox

JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer"


def _token_request(sandbox, **form):
    return requests.post(f"{sandbox.url}/services/oauth2/token", data=form)


# Without a configured public key the sandbox does not check signatures, so any key will do.
UNVERIFIED_KEY = "unverified-signing-key-of-32-bytes!"


def _assertion(sandbox, private_key=UNVERIFIED_KEY, algorithm="HS256", **claims):
    payload = {
        "iss": sandbox.client_id,
        "sub": "integration@leadflow.example",
        "aud": "https://login.salesforce.com",
        "exp": int(time.time()) + 180,
        **claims,
    }
    return jwt.encode(payload, private_key, algorithm=algorithm)


def test_client_credentials_grant_returns_a_salesforce_token_response(
    salesforce_sandbox,
):
    response = _token_request(
        salesforce_sandbox,
        grant_type="client_credentials",
        client_id=salesforce_sandbox.client_id,
        client_secret=salesforce_sandbox.client_secret,
    )

    assert response.status_code == 200
    body = response.json()
    assert body["token_type"] == "Bearer"
    assert body["instance_url"] == salesforce_sandbox.url
    assert body["access_token"]
    assert body["id"].startswith(f"{salesforce_sandbox.url}/id/00D")
    assert body["issued_at"].isdigit()
    assert {"signature", "scope"} <= set(body)


def test_client_credentials_grant_with_wrong_secret_is_an_invalid_client(
    salesforce_sandbox,
):
    response = _token_request(
        salesforce_sandbox,
        grant_type="client_credentials",
        client_id=salesforce_sandbox.client_id,
        client_secret="wrong",
    )

    assert response.status_code == 400
    assert response.json() == {
        "error": "invalid_client",
        "error_description": "invalid client credentials",
    }


def test_client_credentials_grant_with_unknown_client_id_is_refused(salesforce_sandbox):
    response = _token_request(
        salesforce_sandbox,
        grant_type="client_credentials",
        client_id="x",
        client_secret="y",
    )

    assert response.status_code == 400
    assert response.json()["error"] == "invalid_client_id"


def test_unsupported_grant_type_is_refused(salesforce_sandbox):
    response = _token_request(salesforce_sandbox, grant_type="password")

    assert response.status_code == 400
    assert response.json()["error"] == "unsupported_grant_type"


def test_jwt_bearer_grant_with_valid_claims_returns_a_token(salesforce_sandbox):
    response = _token_request(
        salesforce_sandbox,
        grant_type=JWT_BEARER,
        assertion=_assertion(salesforce_sandbox),
    )

    assert response.status_code == 200
    assert response.json()["access_token"]


@pytest.mark.parametrize(
    ("claims", "error"),
    [
        ({"iss": "someone-else"}, "invalid_client_id"),
        ({"aud": "https://example.com"}, "invalid_grant"),
        ({"exp": int(time.time()) - 10}, "invalid_grant"),
    ],
)
def test_jwt_bearer_grant_with_bad_claims_is_refused(salesforce_sandbox, claims, error):
    assertion = _assertion(salesforce_sandbox, **claims)

    response = _token_request(salesforce_sandbox, grant_type=JWT_BEARER, assertion=assertion)

    assert response.status_code == 400
    assert response.json()["error"] == error


def test_jwt_bearer_grant_with_garbage_assertion_is_an_invalid_grant(
    salesforce_sandbox,
):
    response = _token_request(salesforce_sandbox, grant_type=JWT_BEARER, assertion="garbage")

    assert response.status_code == 400
    assert response.json() == {
        "error": "invalid_grant",
        "error_description": "invalid assertion",
    }


def test_jwt_signature_is_verified_when_a_public_key_is_configured(tmp_path):
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    other_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    public_pem = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    db_path = str(tmp_path / "db.sqlite3")

    with running_salesforce_sandbox(db_path, jwt_public_key=public_pem.decode()) as sandbox:

        def grant(signing_key):
            assertion = _assertion(sandbox, signing_key, "RS256")
            return _token_request(sandbox, grant_type=JWT_BEARER, assertion=assertion)

        assert grant(key).status_code == 200
        assert grant(other_key).json()["error"] == "invalid_grant"


def test_data_request_without_valid_token_is_an_invalid_session(salesforce_sandbox):
    response = requests.get(
        f"{salesforce_sandbox.data_url}/limits",
        headers={"Authorization": "Bearer nope"},
    )

    assert response.status_code == 401
    assert response.json() == [{"message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID"}]


def test_expired_sessions_make_simple_salesforce_raise_expired_session(
    salesforce_sandbox,
):
    sf = salesforce_sandbox.client()
    sf.query("SELECT Id FROM Account")

    salesforce_sandbox.expire_sessions()

    with pytest.raises(SalesforceExpiredSession):
        sf.query("SELECT Id FROM Account")
    assert salesforce_sandbox.client().query("SELECT Id FROM Account")["totalSize"] == 0


def test_instance_url_follows_the_host_the_client_used(salesforce_sandbox):
    port = salesforce_sandbox.url.rsplit(":", 1)[1]

    response = requests.post(
        f"http://localhost:{port}/services/oauth2/token",
        data={
            "grant_type": "client_credentials",
            "client_id": salesforce_sandbox.client_id,
            "client_secret": salesforce_sandbox.client_secret,
        },
    )

    assert response.json()["instance_url"] == f"http://localhost:{port}"
