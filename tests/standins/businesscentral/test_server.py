"""The Business Central stand-in is at least as strict as Microsoft's documentation (its README cites each rule)."""

import pytest
import requests

SCOPE = "https://api.businesscentral.dynamics.com/.default"


def token_answer(standin, **overrides):
    form = {
        "grant_type": "client_credentials",
        "client_id": standin.client_id,
        "client_secret": standin.client_secret,
        "scope": SCOPE,
    } | overrides
    return requests.post(f"{standin.url}/{standin.tenant}/oauth2/v2.0/token", data=form, timeout=5)


@pytest.fixture
def api(businesscentral_standin):
    standin = businesscentral_standin
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {token_answer(standin).json()['access_token']}"
    session.customers = (
        f"{standin.url}/v2.0/{standin.tenant}/{standin.environment}/api/v2.0/companies({standin.company_id})/customers"
    )
    return session


def error_code(response) -> str:
    return response.json()["error"]["code"]


def test_the_token_follows_the_client_credentials_grant(businesscentral_standin):
    good = token_answer(businesscentral_standin).json()
    assert (good["token_type"], good["expires_in"]) == ("Bearer", 3599)
    bad_secret = token_answer(businesscentral_standin, client_secret="nope")
    assert (bad_secret.status_code, bad_secret.json()["error"]) == (401, "invalid_client")
    assert token_answer(businesscentral_standin, scope="openid").json()["error"] == "invalid_scope"
    assert token_answer(businesscentral_standin, client_id="other").json()["error"] == "unauthorized_client"


def test_the_api_needs_a_valid_token(businesscentral_standin, api):
    anonymous = requests.get(api.customers, timeout=5)
    assert (anonymous.status_code, error_code(anonymous)) == (401, "Authentication_InvalidCredentials")
    businesscentral_standin.expire_tokens()
    assert api.get(api.customers, timeout=5).status_code == 401


def test_patch_needs_if_match_and_a_current_etag(api):
    created = api.post(api.customers, json={"displayName": "Jansen"}, timeout=5).json()
    url = f"{api.customers}({created['id']})"
    missing = api.patch(url, json={"city": "Delft"}, timeout=5)
    assert (missing.status_code, error_code(missing)) == (400, "BadRequest_InvalidToken")
    changed = api.patch(url, json={"city": "Delft"}, headers={"If-Match": created["@odata.etag"]}, timeout=5)
    assert changed.status_code == 200 and changed.json()["@odata.etag"] != created["@odata.etag"]
    stale = api.patch(url, json={"city": "Gouda"}, headers={"If-Match": created["@odata.etag"]}, timeout=5)
    assert (stale.status_code, error_code(stale)) == (409, "Request_EntityChanged")
    assert api.patch(url, json={"city": "Gouda"}, headers={"If-Match": "*"}, timeout=5).json()["city"] == "Gouda"


def test_field_rules_of_the_customer_table(api):
    too_long = api.post(api.customers, json={"displayName": "J", "city": "C" * 31}, timeout=5)
    assert (too_long.status_code, error_code(too_long)) == (400, "Application_StringExceededLength")
    assert "must be less than or equal to 30 characters" in too_long.json()["error"]["message"]
    assert error_code(api.post(api.customers, json={"displayName": "J", "shoeSize": 44}, timeout=5)) == "BadRequest"
    assert error_code(api.post(api.customers, json={"displayName": "J", "country": "XX"}, timeout=5)) == (
        "Internal_InvalidTableRelation"
    )
    assert error_code(api.post(api.customers, json={"displayName": ""}, timeout=5)) == (
        "BadRequest_RequiredParamNotProvided"
    )
    api.post(api.customers, json={"displayName": "J", "number": "LF1"}, timeout=5)
    duplicate = api.post(api.customers, json={"displayName": "J", "number": "LF1"}, timeout=5)
    assert (duplicate.status_code, error_code(duplicate)) == (409, "Internal_EntityWithSameKeyExists")


def test_filters_compare_as_stored_and_pages_link_on(businesscentral_standin, api):
    businesscentral_standin.page_size = 2
    for n in range(3):
        api.post(api.customers, json={"displayName": f"J{n}", "taxRegistrationNumber": "NL 1"}, timeout=5)
    assert api.get(api.customers, params={"$filter": "taxRegistrationNumber eq 'NL1'"}, timeout=5).json() == {
        "value": []
    }
    first = api.get(api.customers, params={"$select": "id,displayName"}, timeout=5).json()
    second = api.get(first["@odata.nextLink"], timeout=5).json()
    assert len(first["value"]) + len(second["value"]) == 3 and "@odata.nextLink" not in second
    wrong = api.get(api.customers, params={"$filter": "displayName like 'J'"}, timeout=5)
    assert (wrong.status_code, error_code(wrong)) == (400, "BadRequest_InvalidRequestUrl")


def test_requests_beyond_the_limit_get_429(businesscentral_standin, api):
    businesscentral_standin.calls_per_window = 2
    assert [api.get(api.customers, timeout=5).status_code for _ in range(3)] == [200, 200, 429]
