"""The stand-in's crm/Accounts: Exact's payloads, OData queries and errors."""

import pytest
import requests

TIMEOUT = 5


@pytest.fixture
def api(exact_standin):
    return exact_standin.api_session()


def post(standin, api, fields):
    return api.post(standin.accounts_url, json=fields, timeout=TIMEOUT)


def query(standin, api, **params):
    return api.get(standin.accounts_url, params=params, timeout=TIMEOUT)


def create(standin, api, **fields):
    answer = post(standin, api, fields)
    assert answer.status_code == 201, answer.text
    return answer.json()["d"]


def find(standin, api, **params):
    answer = query(standin, api, **params)
    assert answer.status_code == 200, answer.text
    return answer.json()["d"]["results"]


def error_message(answer):
    return answer.json()["error"]["message"]["value"]


def test_create_answers_201_with_the_stored_account_and_odata_metadata(exact_standin, api):
    answer = post(
        exact_standin,
        api,
        {
            "Name": "Bakkerij De Vries B.V.",
            "Status": "C",
            "IsSales": True,
            "ChamberOfCommerce": "12345678",
            "VATNumber": "NL001234567B01",
            "Email": "info@devries.example",
            "Country": "NL",
        },
    )

    assert answer.status_code == 201
    account = answer.json()["d"]
    assert account["Name"] == "Bakkerij De Vries B.V."
    assert account["Status"] == "C"
    assert account["IsSales"] is True
    assert account["Division"] == exact_standin.division
    assert account["Created"].startswith("/Date(")
    assert account["__metadata"] == {
        "uri": f"{exact_standin.accounts_url}(guid'{account['ID']}')",
        "type": "Exact.Web.Api.Models.Account",
    }
    assert answer.headers["Location"] == account["__metadata"]["uri"]
    assert [stored["ID"] for stored in exact_standin.accounts()] == [account["ID"]]


def test_numeric_code_is_stored_left_padded_to_18_characters(exact_standin, api):
    account = create(exact_standin, api, Name="Acme", Code="4711")

    assert account["Code"] == " " * 14 + "4711"
    assert exact_standin.accounts()[0]["Code"] == account["Code"]


def test_alphanumeric_code_is_stored_as_given(exact_standin, api):
    assert create(exact_standin, api, Name="Acme", Code="ACME01")["Code"] == "ACME01"


def test_missing_code_gets_the_next_number_padded(exact_standin, api):
    create(exact_standin, api, Name="First", Code="41")

    account = create(exact_standin, api, Name="Second")

    assert account["Code"] == "42".rjust(18)


def test_filter_on_code_must_include_the_padding_or_use_trim(exact_standin, api):
    account = create(exact_standin, api, Name="Acme", Code="4711")

    assert find(exact_standin, api, **{"$filter": "Code eq '4711'"}) == []
    padded = find(exact_standin, api, **{"$filter": f"Code eq '{'4711':>18}'"})
    trimmed = find(exact_standin, api, **{"$filter": "trim(Code) eq '4711'"})
    assert [a["ID"] for a in padded] == [account["ID"]]
    assert [a["ID"] for a in trimmed] == [account["ID"]]


def test_lookup_by_chamber_of_commerce(exact_standin, api):
    wanted = create(exact_standin, api, Name="Wanted", ChamberOfCommerce="12345678")
    create(exact_standin, api, Name="Other", ChamberOfCommerce="87654321")

    found = find(exact_standin, api, **{"$filter": "ChamberOfCommerce eq '12345678'"})

    assert [a["ID"] for a in found] == [wanted["ID"]]


def test_lookup_by_vat_number_ignores_case(exact_standin, api):
    wanted = create(exact_standin, api, Name="Wanted", VATNumber="NL001234567B01")
    create(exact_standin, api, Name="Other", VATNumber="NL009999999B01")

    found = find(exact_standin, api, **{"$filter": "VATNumber eq 'nl001234567b01'"})

    assert [a["ID"] for a in found] == [wanted["ID"]]


def test_filter_combines_and_or_and_parentheses(exact_standin, api):
    create(exact_standin, api, Name="A", City="Utrecht", Status="C")
    create(exact_standin, api, Name="B", City="Utrecht", Status="P")
    create(exact_standin, api, Name="C", City="Zwolle", Status="C")

    found = find(
        exact_standin,
        api,
        **{"$filter": "Status eq 'C' and (City eq 'Utrecht' or Name eq 'C')"},
    )
    not_c = find(exact_standin, api, **{"$filter": "Status ne 'C'"})

    assert sorted(a["Name"] for a in found) == ["A", "C"]
    assert [a["Name"] for a in not_c] == ["B"]


def test_string_literal_with_doubled_quote_matches_an_apostrophe(exact_standin, api):
    create(exact_standin, api, Name="Café 't Hoekje")

    found = find(exact_standin, api, **{"$filter": "Name eq 'Café ''t Hoekje'"})

    assert [a["Name"] for a in found] == ["Café 't Hoekje"]


def test_filter_on_id_with_a_guid_literal(exact_standin, api):
    account = create(exact_standin, api, Name="Acme")

    found = find(exact_standin, api, **{"$filter": f"ID eq guid'{account['ID']}'"})

    assert [a["ID"] for a in found] == [account["ID"]]


def test_substringof_and_startswith(exact_standin, api):
    create(exact_standin, api, Name="Bakkerij De Vries")
    create(exact_standin, api, Name="Slagerij Jansen")

    contains = find(exact_standin, api, **{"$filter": "substringof('vries', Name)"})
    starts = find(exact_standin, api, **{"$filter": "startswith(Name, 'Slager')"})

    assert [a["Name"] for a in contains] == ["Bakkerij De Vries"]
    assert [a["Name"] for a in starts] == ["Slagerij Jansen"]


def test_select_returns_only_the_named_properties_and_metadata(exact_standin, api):
    create(exact_standin, api, Name="Acme", Code="1")

    (account,) = find(exact_standin, api, **{"$select": "ID,Code"})

    assert set(account) == {"__metadata", "ID", "Code"}


def test_top_and_orderby(exact_standin, api):
    for name in ("Charlie", "alpha", "Bravo"):
        create(exact_standin, api, Name=name)

    found = find(exact_standin, api, **{"$orderby": "Name desc", "$top": "2"})

    assert [a["Name"] for a in found] == ["Charlie", "Bravo"]


def test_long_lists_are_paged_with_a_next_link(exact_standin, api):
    exact_standin.configure(page_size=2)
    for number in range(3):
        create(exact_standin, api, Name=f"Account {number}")

    first = api.get(exact_standin.accounts_url, timeout=TIMEOUT).json()["d"]
    rest = api.get(first["__next"], timeout=TIMEOUT).json()["d"]

    assert len(first["results"]) == 2
    assert [a["Name"] for a in rest["results"]] == ["Account 2"]
    assert "__next" not in rest


def test_get_by_key_returns_the_single_account(exact_standin, api):
    account = create(exact_standin, api, Name="Acme")

    answer = api.get(account["__metadata"]["uri"], timeout=TIMEOUT)

    assert answer.status_code == 200
    assert answer.json()["d"]["ID"] == account["ID"]


def test_get_by_unknown_key_is_404(exact_standin, api):
    answer = api.get(
        f"{exact_standin.accounts_url}(guid'00000000-0000-0000-0000-000000000000')",
        timeout=TIMEOUT,
    )

    assert answer.status_code == 404
    assert error_message(answer)


def test_put_updates_and_answers_204_without_a_body(exact_standin, api):
    account = create(exact_standin, api, Name="Acme", City="Utrecht")

    answer = api.put(account["__metadata"]["uri"], json={"City": "Zwolle"}, timeout=TIMEOUT)

    assert answer.status_code == 204
    assert answer.content == b""
    (stored,) = exact_standin.accounts()
    assert (stored["Name"], stored["City"]) == ("Acme", "Zwolle")


def test_unknown_property_is_refused_with_400(exact_standin, api):
    answer = post(exact_standin, api, {"Name": "Acme", "KvkNumber": "12345678"})

    assert answer.status_code == 400
    assert "'KvkNumber'" in error_message(answer)
    assert "is not valid" in error_message(answer)
    assert exact_standin.accounts() == []


def test_missing_name_is_refused_as_mandatory(exact_standin, api):
    answer = post(exact_standin, api, {"Code": "1"})

    assert answer.status_code == 400
    assert "Mandatory: Name" in error_message(answer)


def test_code_longer_than_18_characters_is_refused(exact_standin, api):
    answer = post(exact_standin, api, {"Name": "Acme", "Code": "1" * 19})

    assert answer.status_code == 400


def test_duplicate_code_is_refused(exact_standin, api):
    create(exact_standin, api, Name="First", Code="7")

    answer = post(exact_standin, api, {"Name": "Second", "Code": "7"})

    assert answer.status_code == 400
    assert "already exists" in error_message(answer)


def test_value_of_the_wrong_type_is_refused(exact_standin, api):
    answer = post(exact_standin, api, {"Name": "Acme", "IsSales": "yes"})

    assert answer.status_code == 400
    assert "'IsSales'" in error_message(answer)


def test_filter_on_an_unknown_property_is_refused(exact_standin, api):
    answer = query(exact_standin, api, **{"$filter": "KvK eq '1'"})

    assert answer.status_code == 400
    assert "No property 'KvK'" in error_message(answer)


def test_malformed_filter_is_a_query_syntax_error(exact_standin, api):
    answer = query(exact_standin, api, **{"$filter": "Name eq 'unterminated"})

    assert answer.status_code == 400
    assert error_message(answer) == "Bad Request - Error in query syntax."


def test_other_division_is_forbidden(exact_standin, api):
    other = exact_standin.accounts_url.replace(f"/{exact_standin.division}/", f"/{exact_standin.division + 1}/")

    answer = api.get(other, timeout=TIMEOUT)

    assert answer.status_code == 403


def test_accounts_without_a_token_get_401(exact_standin):
    answer = requests.get(exact_standin.accounts_url, timeout=TIMEOUT)

    assert answer.status_code == 401


def test_get_by_key_honours_select(exact_standin, api):
    account = create(exact_standin, api, Name="Acme")

    answer = api.get(account["__metadata"]["uri"], params={"$select": "Name"}, timeout=TIMEOUT)

    assert set(answer.json()["d"]) == {"__metadata", "Name"}


def test_put_with_an_unknown_property_is_refused_and_changes_nothing(exact_standin, api):
    account = create(exact_standin, api, Name="Acme")

    answer = api.put(
        account["__metadata"]["uri"],
        json={"Name": "Renamed", "Colour": "red"},
        timeout=TIMEOUT,
    )

    assert answer.status_code == 400
    assert exact_standin.accounts()[0]["Name"] == "Acme"


def test_put_to_another_accounts_code_is_refused(exact_standin, api):
    create(exact_standin, api, Name="First", Code="1")
    second = create(exact_standin, api, Name="Second", Code="2")

    answer = api.put(second["__metadata"]["uri"], json={"Code": "1"}, timeout=TIMEOUT)

    assert answer.status_code == 400


def test_paths_match_case_insensitively_as_at_exact(exact_standin, api):
    answer = api.get(f"{exact_standin.url}/api/v1/current/me", timeout=TIMEOUT)

    assert answer.status_code == 200


def test_unknown_endpoint_is_404(exact_standin, api):
    answer = api.get(
        f"{exact_standin.url}/api/v1/{exact_standin.division}/crm/Contacts",
        timeout=TIMEOUT,
    )

    assert answer.status_code == 404


def test_request_without_accept_json_is_refused_because_exact_would_send_xml(exact_standin, api):
    del api.headers["Accept"]

    answer = query(exact_standin, api)

    assert answer.status_code == 406
    assert "application/json" in error_message(answer)


@pytest.mark.parametrize(("name", "limit"), [("Name", 50), ("City", 30), ("AddressLine1", 80), ("Code", 18)])
def test_text_longer_than_exact_stores_is_refused_naming_the_property(exact_standin, api, name, limit):
    answer = post(exact_standin, api, {"Name": "Jansen", name: "x" * (limit + 1)})

    assert answer.status_code == 400
    assert f"{name}: maximum length is {limit}" in answer.json()["error"]["message"]["value"]
    assert exact_standin.accounts() == []
