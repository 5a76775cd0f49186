"""The sandbox refuses what a real org refuses: Composite Graph limits, restricted picklists, upsert bodies
naming their own record, SOQL mixing AND and OR without parentheses, and a response lost after commit.

Each limit is cited in the sandbox README with the Salesforce page it comes from.
"""

import pytest
import requests
from simple_salesforce.exceptions import SalesforceMalformedRequest

V = "/services/data/v61.0"


@pytest.fixture
def sf(salesforce_sandbox):
    return salesforce_sandbox.client()


def _account_graph(graph_id, name="Acme BV", **fields):
    body = {"Name": name, **fields}
    node = {"method": "POST", "url": f"{V}/sobjects/Account", "referenceId": "account", "body": body}
    return {"graphId": graph_id, "compositeRequest": [node]}


def _graphs(sf, graphs):
    return sf.restful("composite/graph", method="POST", json={"graphs": graphs})


def _refused(call):
    with pytest.raises(SalesforceMalformedRequest) as refused:
        call()
    [error] = refused.value.content
    return error


def test_composite_graph_request_with_more_than_75_graphs_is_refused_whole(sf, salesforce_sandbox):
    graphs = [_account_graph(f"g{n}", f"Company {n}") for n in range(76)]

    error = _refused(lambda: _graphs(sf, graphs))

    assert error["errorCode"] == "LIMIT_EXCEEDED"
    assert "75" in error["message"]
    assert salesforce_sandbox.records("Account") == []


def test_composite_graph_request_with_75_graphs_is_accepted(sf, salesforce_sandbox):
    result = _graphs(sf, [_account_graph(f"g{n}", f"Company {n}") for n in range(75)])

    assert all(graph["isSuccessful"] for graph in result["graphs"])
    assert len(salesforce_sandbox.records("Account")) == 75


def test_composite_graph_payload_of_more_than_500_nodes_is_refused(sf):
    nodes = [
        {"method": "POST", "url": f"{V}/sobjects/Account", "referenceId": f"a{n}", "body": {"Name": f"C{n}"}}
        for n in range(501)
    ]

    error = _refused(lambda: _graphs(sf, [{"graphId": "big", "compositeRequest": nodes}]))

    assert error["errorCode"] == "LIMIT_EXCEEDED"


def test_composite_graph_payload_using_more_than_15_different_nodes_is_refused(sf):
    # Nodes differ by API version: sixteen versions of the same create are sixteen kinds.
    graphs = [
        {
            "graphId": f"g{n}",
            "compositeRequest": [
                {
                    "method": "POST",
                    "url": f"/services/data/v{40 + n}.0/sobjects/Account",
                    "referenceId": "a",
                    "body": {"Name": f"C{n}"},
                }
            ],
        }
        for n in range(16)
    ]

    error = _refused(lambda: _graphs(sf, graphs))

    assert error["errorCode"] == "LIMIT_EXCEEDED"
    assert "different nodes" in error["message"]


def test_graphs_after_the_fifteenth_failure_are_halted_not_processed(sf, salesforce_sandbox):
    failing = [_account_graph(f"bad{n}", name="") for n in range(15)]  # Name is required
    good = [_account_graph(f"good{n}", f"Company {n}") for n in range(5)]

    result = _graphs(sf, failing + good)

    answers = {graph["graphId"]: graph for graph in result["graphs"]}
    assert not any(answers[f"bad{n}"]["isSuccessful"] for n in range(15))
    for n in range(5):
        [node] = answers[f"good{n}"]["graphResponse"]["compositeResponse"]
        assert answers[f"good{n}"]["isSuccessful"] is False
        assert node["body"][0]["errorCode"] == "PROCESSING_HALTED"
    assert salesforce_sandbox.records("Account") == []


def test_fourteen_failed_graphs_do_not_halt_the_rest(sf, salesforce_sandbox):
    failing = [_account_graph(f"bad{n}", name="") for n in range(14)]

    result = _graphs(sf, failing + [_account_graph("good", "Survivor BV")])

    assert result["graphs"][-1]["isSuccessful"] is True
    assert [record["Name"] for record in salesforce_sandbox.records("Account")] == ["Survivor BV"]


def test_restricted_picklist_refuses_a_stage_the_org_does_not_have(sf, salesforce_sandbox):
    account = sf.Account.create({"Name": "Acme BV"})

    error = _refused(
        lambda: sf.Opportunity.create(
            {"Name": "Deal", "StageName": "Signed", "CloseDate": "2026-12-31", "AccountId": account["id"]}
        )
    )

    assert error["errorCode"] == "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST"
    assert error["fields"] == ["StageName"]
    assert salesforce_sandbox.records("Opportunity") == []


def test_describe_tells_which_picklists_are_restricted_and_their_values(sf):
    fields = {field["name"]: field for field in sf.Opportunity.describe()["fields"]}

    assert fields["StageName"]["restrictedPicklist"] is True
    assert "Prospecting" in [value["value"] for value in fields["StageName"]["picklistValues"]]
    assert fields["LeadSource"]["restrictedPicklist"] is False


def test_custom_restricted_picklist_is_enforced(sf, salesforce_sandbox):
    salesforce_sandbox.configure(
        custom_fields=[
            {
                "sobject": "Account",
                "name": "Tier__c",
                "type": "picklist",
                "picklist_values": ["Gold", "Silver"],
                "restricted": True,
            }
        ]
    )

    sf.Account.create({"Name": "Acme BV", "Tier__c": "Gold"})
    error = _refused(lambda: sf.Account.create({"Name": "Other BV", "Tier__c": "Platinum"}))

    assert error["errorCode"] == "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST"


def test_upsert_whose_body_names_another_external_id_is_refused(sf, salesforce_sandbox):
    api = salesforce_sandbox.rest_session()

    response = api.patch(
        f"{salesforce_sandbox.data_url}/sobjects/Account/Leadflow_Id__c/lf-1",
        json={"Name": "Acme BV", "Leadflow_Id__c": "lf-2"},
    )

    assert response.status_code == 400
    assert response.json()[0]["errorCode"] == "INVALID_FIELD"
    assert salesforce_sandbox.records("Account") == []


def test_upsert_body_carrying_an_id_is_refused(sf, salesforce_sandbox):
    existing = sf.Account.create({"Name": "Acme BV"})
    api = salesforce_sandbox.rest_session()

    response = api.patch(
        f"{salesforce_sandbox.data_url}/sobjects/Account/Leadflow_Id__c/lf-1",
        json={"Name": "Acme BV", "Id": existing["id"]},
    )

    assert response.status_code == 400
    assert len(salesforce_sandbox.records("Account")) == 1


def test_soql_mixing_and_with_or_without_parentheses_is_malformed(sf):
    with pytest.raises(SalesforceMalformedRequest) as refused:
        sf.query("SELECT Id FROM Account WHERE Name = 'A' AND Website = 'b' OR Phone = '1'")

    assert refused.value.content[0]["errorCode"] == "MALFORMED_QUERY"


def test_soql_with_parentheses_around_the_mix_is_accepted(sf):
    sf.Account.create({"Name": "A", "Phone": "1"})

    result = sf.query("SELECT Id FROM Account WHERE (Name = 'A' AND Website = 'b') OR Phone = '1'")

    assert result["totalSize"] == 1


def test_timeout_after_commit_drops_the_connection_after_storing_the_record(salesforce_sandbox):
    salesforce_sandbox.fail_next("timeout_after_commit", path_contains="/sobjects/Account")
    sf = salesforce_sandbox.client(timeout=10)

    with pytest.raises(requests.exceptions.ConnectionError):
        sf.Account.create({"Name": "Acme BV"})

    assert [record["Name"] for record in salesforce_sandbox.records("Account")] == ["Acme BV"]
