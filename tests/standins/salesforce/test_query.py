import pytest
from simple_salesforce.exceptions import SalesforceMalformedRequest


@pytest.fixture
def sf(salesforce_sandbox):
    return salesforce_sandbox.client()


@pytest.fixture
def accounts(sf):
    names = ["Acme BV", "Beta Tools", "acme trading", "Gamma", "O'Brien & Sons"]
    employees = [50, 10, 200, None, 5]
    return [
        sf.Account.create({"Name": name, "NumberOfEmployees": count, "BillingCountry": "NL"})["id"]
        for name, count in zip(names, employees, strict=True)
    ]


def _names(result) -> list[str]:
    return [record["Name"] for record in result["records"]]


def test_query_returns_salesforce_shaped_records(sf, accounts):
    result = sf.query(f"SELECT Id, Name FROM Account WHERE Id = '{accounts[0]}'")

    assert result == {
        "totalSize": 1,
        "done": True,
        "records": [
            {
                "attributes": {
                    "type": "Account",
                    "url": f"/services/data/v61.0/sobjects/Account/{accounts[0]}",
                },
                "Id": accounts[0],
                "Name": "Acme BV",
            }
        ],
    }


def test_text_equality_is_case_insensitive(sf, accounts):
    assert _names(sf.query("SELECT Name FROM Account WHERE Name = 'GAMMA'")) == ["Gamma"]


def test_like_matches_wildcards_case_insensitively(sf, accounts):
    result = sf.query("SELECT Name FROM Account WHERE Name LIKE 'acme%' ORDER BY Name")

    assert _names(result) == ["Acme BV", "acme trading"]


def test_in_and_not_in_filter_on_lists(sf, accounts):
    inside = sf.query("SELECT Name FROM Account WHERE Name IN ('Gamma', 'Beta Tools') ORDER BY Name")
    outside = sf.query("SELECT Name FROM Account WHERE Name NOT IN ('Gamma', 'Beta Tools')")

    assert _names(inside) == ["Beta Tools", "Gamma"]
    assert outside["totalSize"] == 3


def test_and_or_parentheses_and_numbers_combine(sf, accounts):
    result = sf.query(
        "select Name from Account where (NumberOfEmployees >= 50 or Name = 'Gamma') "
        "and BillingCountry != null order by Name desc"
    )

    assert _names(result) == ["Gamma", "acme trading", "Acme BV"]


def test_null_comparison_finds_missing_values(sf, accounts):
    assert _names(sf.query("SELECT Name FROM Account WHERE NumberOfEmployees = null")) == ["Gamma"]


def test_escaped_quote_in_string_literal(sf, accounts):
    result = sf.query("SELECT Name FROM Account WHERE Name = 'O\\'Brien & Sons'")

    assert _names(result) == ["O'Brien & Sons"]


def test_order_by_puts_nulls_first_ascending_and_last_descending(sf, accounts):
    ascending = sf.query("SELECT Name FROM Account ORDER BY NumberOfEmployees")
    descending = sf.query("SELECT Name FROM Account ORDER BY NumberOfEmployees DESC")

    assert _names(ascending) == [
        "Gamma",
        "O'Brien & Sons",
        "Beta Tools",
        "Acme BV",
        "acme trading",
    ]
    assert _names(descending)[-1] == "Gamma"


def test_limit_and_offset_cut_the_result(sf, accounts):
    result = sf.query("SELECT Name FROM Account ORDER BY Name LIMIT 2 OFFSET 1")

    assert _names(result) == ["acme trading", "Beta Tools"]


def test_count_query_returns_only_the_total(sf, accounts):
    assert sf.query("SELECT COUNT() FROM Account WHERE Name LIKE '%a%'") == {
        "totalSize": 4,
        "done": True,
        "records": [],
    }


def test_parent_fields_are_nested_under_the_relationship(sf, accounts):
    sf.Contact.create({"LastName": "Jansen", "AccountId": accounts[0]})
    sf.Contact.create({"LastName": "Orphan"})

    result = sf.query("SELECT LastName, Account.Name FROM Contact ORDER BY LastName")

    jansen, orphan = result["records"]
    assert jansen["Account"]["Name"] == "Acme BV"
    assert jansen["Account"]["attributes"]["type"] == "Account"
    assert orphan["Account"] is None


def test_filter_on_parent_field(sf, accounts):
    sf.Contact.create({"LastName": "Jansen", "AccountId": accounts[1]})

    result = sf.query("SELECT LastName FROM Contact WHERE Account.Name = 'Beta Tools'")

    assert [record["LastName"] for record in result["records"]] == ["Jansen"]


def test_query_all_includes_deleted_records(sf, accounts):
    sf.Account.delete(accounts[3])

    assert sf.query("SELECT Id FROM Account")["totalSize"] == 4
    deleted = sf.query(
        "SELECT Name, IsDeleted FROM Account WHERE IsDeleted = true",
        include_deleted=True,
    )
    assert deleted["records"][0]["Name"] == "Gamma"


def test_large_results_are_paged_with_next_records_url(salesforce_sandbox):
    api = salesforce_sandbox.rest_session()
    for batch in range(3):
        records = [
            {
                "attributes": {"type": "Lead"},
                "LastName": f"L{batch}-{n}",
                "Company": "C",
            }
            for n in range(150)
        ]
        api.post(
            f"{salesforce_sandbox.data_url}/composite/sobjects",
            json={"records": records},
        )
    api.headers["Sforce-Query-Options"] = "batchSize=200"

    first = api.get(f"{salesforce_sandbox.data_url}/query", params={"q": "SELECT Id FROM Lead"})
    second = api.get(salesforce_sandbox.url + first.json()["nextRecordsUrl"])
    third = api.get(salesforce_sandbox.url + second.json()["nextRecordsUrl"])

    assert first.json()["done"] is False
    assert first.json()["totalSize"] == 450
    assert first.json()["nextRecordsUrl"].startswith("/services/data/v61.0/query/01g")
    assert [len(page.json()["records"]) for page in (first, second, third)] == [
        200,
        200,
        50,
    ]
    assert third.json()["done"] is True
    assert "nextRecordsUrl" not in third.json()


def test_simple_salesforce_query_all_follows_next_records_url(sf, salesforce_sandbox):
    api = salesforce_sandbox.rest_session()
    for _ in range(11):
        records = [{"attributes": {"type": "Lead"}, "LastName": "L", "Company": "C"} for _ in range(200)]
        api.post(
            f"{salesforce_sandbox.data_url}/composite/sobjects",
            json={"records": records},
        )

    result = sf.query_all("SELECT Id FROM Lead")

    assert result["totalSize"] == 2200
    assert len(result["records"]) == 2200


@pytest.mark.parametrize(
    ("soql", "error_code"),
    [
        ("SELECT FROM Account", "MALFORMED_QUERY"),
        ("SELECT Id Account", "MALFORMED_QUERY"),
        ("SELECT Id FROM Account WHERE Name = 'unterminated", "MALFORMED_QUERY"),
        ("SELECT Id FROM Account LIMIT many", "MALFORMED_QUERY"),
        ("SELECT Colour FROM Account", "INVALID_FIELD"),
        ("SELECT Id FROM Widget", "INVALID_TYPE"),
    ],
)
def test_bad_soql_is_a_400_with_the_salesforce_error_code(sf, soql, error_code):
    with pytest.raises(SalesforceMalformedRequest) as excinfo:
        sf.query(soql)

    assert excinfo.value.content[0]["errorCode"] == error_code


def test_unknown_query_locator_is_refused(salesforce_sandbox):
    api = salesforce_sandbox.rest_session()

    response = api.get(f"{salesforce_sandbox.data_url}/query/01g5g0000000999AAA-2000")

    assert response.status_code == 400
    assert response.json()[0]["errorCode"] == "INVALID_QUERY_LOCATOR"
