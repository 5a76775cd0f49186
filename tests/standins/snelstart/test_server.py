"""The SnelStart stand-in is at least as strict as SnelStart's documentation (standins/snelstart/README.md)."""

import pytest
import requests


@pytest.fixture
def api(snelstart_standin):
    """A session authorised the way SnelStart documents: subscription key header plus a clientkey bearer token."""
    token = requests.post(
        f"{snelstart_standin.url}/b2b/token",
        data={"grant_type": "clientkey", "clientkey": snelstart_standin.client_key},
        timeout=5,
    ).json()
    session = requests.Session()
    session.headers.update(
        {
            "Ocp-Apim-Subscription-Key": snelstart_standin.subscription_key,
            "Authorization": f"Bearer {token['access_token']}",
        }
    )
    session.base = f"{snelstart_standin.url}/v2"
    return session


def post(api, **relatie):
    return api.post(f"{api.base}/relaties", json={"relatiesoort": ["Klant"], "naam": "Jansen", **relatie}, timeout=5)


def codes(response) -> list[str]:
    return [error["errorCode"] for error in response.json()]


def test_the_token_answers_as_documented_and_refuses_an_unknown_key(snelstart_standin):
    url = f"{snelstart_standin.url}/b2b/token"
    good = requests.post(url, data={"grant_type": "clientkey", "clientkey": snelstart_standin.client_key}, timeout=5)
    assert good.json()["token_type"] == "bearer" and good.json()["expires_in"] == 3599
    bad = requests.post(url, data={"grant_type": "clientkey", "clientkey": "nope"}, timeout=5)
    assert (bad.status_code, bad.json()) == (400, {"error": "invalid_grant"})
    other = requests.post(url, data={"grant_type": "password"}, timeout=5)
    assert other.json() == {"error": "unsupported_grant_type"}


def test_every_api_call_needs_the_subscription_key_and_a_token(snelstart_standin, api):
    url = f"{api.base}/relaties"
    missing = requests.get(url, headers={"Authorization": api.headers["Authorization"]}, timeout=5)
    assert missing.status_code == 401
    assert missing.json()["message"].startswith("Access denied due to missing subscription key")
    no_token = requests.get(url, headers={"Ocp-Apim-Subscription-Key": snelstart_standin.subscription_key}, timeout=5)
    assert no_token.status_code == 401
    snelstart_standin.expire_tokens()
    assert api.get(url, timeout=5).status_code == 401


def test_a_relatie_needs_a_name_and_a_relatiesoort(api):
    assert codes(api.post(f"{api.base}/relaties", json={"relatiesoort": ["Klant"]}, timeout=5)) == ["REL-0007"]
    assert codes(api.post(f"{api.base}/relaties", json={"naam": "Jansen"}, timeout=5)) == ["REL-0001"]
    assert codes(post(api, relatiesoort=["Klant", "Leverancier"])) == ["REL-0065"]


def test_field_rules_from_the_error_code_list(api):
    assert codes(post(api, btwNummer="NL6813.37.223.B01")) == ["REL-0059"]
    assert codes(post(api, kvkNummer="6808 5012")) == ["REL-0006"]
    assert codes(post(api, telefoon="0" * 26)) == ["REL-0013"]
    assert codes(post(api, email="info@jansen")) == ["REL-0061"]
    assert codes(post(api, websiteUrl="jansen")) == ["REL-0015"]
    assert codes(post(api, vestigingsAdres={"straat": "x" * 51, "postcode": "1", "plaats": "Utrecht"})) == ["REL-0020"]
    assert codes(post(api, vestigingsAdres={"straat": "Dorpsstraat 1"})) == ["REL-0060"]
    land = {"id": "00000000-0000-0000-0000-000000000000"}
    assert codes(post(api, vestigingsAdres={"straat": "a", "postcode": "b", "plaats": "c", "land": land})) == [
        "REL-0056"
    ]
    assert codes(post(api, id="00000000-0000-0000-0000-000000000001")) == ["REL-0063"]
    assert codes(post(api, schoenmaat=44)) == ["REL-0066"]


def test_relatiecodes_are_given_in_order_and_never_twice(api):
    first = post(api).json()
    assert (first["relatiecode"], post(api).json()["relatiecode"]) == (1, 2)
    assert codes(post(api, relatiecode=1)) == ["REL-0008"]


def test_put_replaces_the_relatie_and_may_not_change_its_soort(api):
    relatie = post(api, email="info@jansen.nl", telefoon="0201234567").json()
    url = f"{api.base}/relaties/{relatie['id']}"
    replaced = api.put(url, json={"relatiesoort": ["Klant"], "naam": "Jansen B.V."}, timeout=5).json()
    assert (replaced["naam"], replaced.get("email")) == ("Jansen B.V.", None)
    assert codes(api.put(url, json={"relatiesoort": ["Leverancier"], "naam": "J"}, timeout=5)) == ["REL-0064"]
    other = {"relatiesoort": ["Klant"], "naam": "J", "id": "00000000-0000-0000-0000-000000000001"}
    assert codes(api.put(url, json=other, timeout=5)) == ["REL-0047"]
    missing = api.get(f"{api.base}/relaties/00000000-0000-0000-0000-000000000009", timeout=5)
    assert (missing.status_code, codes(missing)) == (404, ["REL-0005"])


def test_odata_filters_as_documented_and_refuses_the_rest(api):
    post(api, kvkNummer="68085012")
    post(api, naam="Pieters")
    found = api.get(f"{api.base}/relaties", params={"$filter": "KvkNummer eq '68085012'"}, timeout=5).json()
    assert [r["naam"] for r in found] == ["Jansen"]
    # Text is compared as stored: a formatted KvK number finds nothing.
    assert api.get(f"{api.base}/relaties", params={"$filter": "KvkNummer eq '6808 5012'"}, timeout=5).json() == []
    since = api.get(
        f"{api.base}/relaties", params={"$filter": "ModifiedOn ge datetime'2000-01-01T00:00:00'"}, timeout=5
    )
    assert len(since.json()) == 2
    for bad in ({"$filter": "kvkNummer eq '1'"}, {"$filter": "Memo eq 'x'"}, {"$top": "501"}):
        refused = api.get(f"{api.base}/relaties", params=bad, timeout=5)
        assert (refused.status_code, codes(refused)) == (400, ["ALG-0104"])


def test_calls_beyond_the_rate_limit_get_429_with_retry_after(snelstart_standin, api):
    snelstart_standin.calls_per_period = 2
    assert [api.get(f"{api.base}/landen", timeout=5).status_code for _ in range(3)] == [200, 200, 429]
    refused = api.get(f"{api.base}/landen", timeout=5)
    assert int(refused.headers["Retry-After"]) >= 1
    assert refused.json()["message"].startswith("Rate limit is exceeded. Try again in")
