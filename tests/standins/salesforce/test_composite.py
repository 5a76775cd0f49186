import pytest

V = "/services/data/v61.0"
ROLLED_BACK = {
    "errorCode": "PROCESSING_HALTED",
    "message": "The transaction was rolled back since another operation in the same transaction failed.",
}


@pytest.fixture
def sf(salesforce_sandbox):
    return salesforce_sandbox.client()


def _create(sobject, reference_id, body):
    return {
        "method": "POST",
        "url": f"{V}/sobjects/{sobject}",
        "referenceId": reference_id,
        "body": body,
    }


def _account(reference_id="refAccount", **fields):
    return _create("Account", reference_id, {"Name": "Acme BV", **fields})


def _contact(reference_id="refContact", **fields):
    body = {"LastName": "Jansen", "AccountId": "@{refAccount.id}", **fields}
    return _create("Contact", reference_id, body)


def _opportunity(reference_id="refOpportunity", **fields):
    body = {
        "Name": "Acme deal",
        "StageName": "Prospecting",
        "CloseDate": "2026-12-31",
        "AccountId": "@{refAccount.id}",
        "ContactId": "@{refContact.id}",
        **fields,
    }
    return _create("Opportunity", reference_id, body)


def _composite(sf, *subrequests, all_or_none=True):
    body = {"allOrNone": all_or_none, "compositeRequest": list(subrequests)}
    return sf.restful("composite", method="POST", json=body)["compositeResponse"]


def test_composite_creates_account_contact_and_opportunity_with_references(sf, salesforce_sandbox):
    results = _composite(sf, _account(), _contact(), _opportunity())

    assert [result["httpStatusCode"] for result in results] == [201, 201, 201]
    assert [result["referenceId"] for result in results] == [
        "refAccount",
        "refContact",
        "refOpportunity",
    ]
    account_id = results[0]["body"]["id"]
    assert results[0]["httpHeaders"] == {"Location": f"{V}/sobjects/Account/{account_id}"}
    [contact] = salesforce_sandbox.records("Contact")
    [opportunity] = salesforce_sandbox.records("Opportunity")
    assert contact["AccountId"] == account_id
    assert (opportunity["AccountId"], opportunity["ContactId"]) == (
        account_id,
        contact["Id"],
    )


def test_composite_counts_as_one_api_call(sf, salesforce_sandbox):
    _composite(sf, _account(), _contact(), _opportunity())

    assert salesforce_sandbox.stats()["calls_by_endpoint"] == {"POST /composite": 1}


def test_composite_with_all_or_none_rolls_back_every_subrequest(sf, salesforce_sandbox):
    results = _composite(sf, _account(), _contact(), _opportunity(StageName=None))

    assert [result["httpStatusCode"] for result in results] == [400, 400, 400]
    assert results[0]["body"] == [ROLLED_BACK]
    assert results[1]["body"] == [ROLLED_BACK]
    assert results[2]["body"][0]["errorCode"] == "REQUIRED_FIELD_MISSING"
    for sobject in ("Account", "Contact", "Opportunity"):
        assert salesforce_sandbox.records(sobject) == []


def test_all_or_none_failure_halts_the_subrequests_after_it(sf, salesforce_sandbox):
    results = _composite(sf, _account(Name=None), _contact(), _opportunity())

    assert results[0]["body"][0]["errorCode"] == "REQUIRED_FIELD_MISSING"
    assert results[1]["body"] == [ROLLED_BACK]
    assert results[2]["body"] == [ROLLED_BACK]


def test_composite_outer_status_is_200_even_when_subrequests_fail(salesforce_sandbox):
    api = salesforce_sandbox.rest_session()

    response = api.post(
        f"{salesforce_sandbox.data_url}/composite",
        json={"allOrNone": True, "compositeRequest": [_account(Name=None)]},
    )

    assert response.status_code == 200


def test_without_all_or_none_successes_stay_and_dependants_of_a_failure_halt(sf, salesforce_sandbox):
    results = _composite(
        sf,
        _account(),
        _contact(LastName=None),
        _opportunity(ContactId="@{refContact.id}"),
        all_or_none=False,
    )

    assert [result["httpStatusCode"] for result in results] == [201, 400, 400]
    assert results[1]["body"][0]["errorCode"] == "REQUIRED_FIELD_MISSING"
    assert results[2]["body"][0]["errorCode"] == "PROCESSING_HALTED"
    assert results[2]["body"][0]["message"] == (
        "Invalid reference specified. No value for refContact.id found in refContact"
    )
    assert len(salesforce_sandbox.records("Account")) == 1


def test_composite_runs_queries_and_references_their_records(sf, salesforce_sandbox):
    sf.Account.create({"Name": "Existing", "Leadflow_Id__c": "acc-1"})
    query = {
        "method": "GET",
        "url": f"{V}/query?q=SELECT+Id+FROM+Account+WHERE+Leadflow_Id__c+=+'acc-1'",
        "referenceId": "refLookup",
    }
    contact = _contact(AccountId="@{refLookup.records[0].Id}")

    results = _composite(sf, query, contact)

    assert results[0]["body"]["totalSize"] == 1
    assert results[1]["httpStatusCode"] == 201
    existing_id = results[0]["body"]["records"][0]["Id"]
    assert salesforce_sandbox.records("Contact")[0]["AccountId"] == existing_id


def test_composite_upsert_reports_created_then_updated(sf, salesforce_sandbox):
    upsert = {
        "method": "PATCH",
        "url": f"{V}/sobjects/Account/Leadflow_Id__c/lead-7",
        "referenceId": "refAccount",
        "body": {"Name": "Acme"},
    }

    first = _composite(sf, upsert, _contact(Leadflow_Id__c="lead-7"))
    contact_upsert = {
        "method": "PATCH",
        "url": f"{V}/sobjects/Contact/Leadflow_Id__c/lead-7",
        "referenceId": "refContact",
        "body": {"LastName": "Jansen", "AccountId": "@{refAccount.id}"},
    }
    second = _composite(sf, upsert, contact_upsert)

    assert (first[0]["httpStatusCode"], first[0]["body"]["created"]) == (201, True)
    assert (second[0]["httpStatusCode"], second[0]["body"]["created"]) == (200, False)
    assert second[1]["body"]["created"] is False
    assert len(salesforce_sandbox.records("Account")) == 1
    assert len(salesforce_sandbox.records("Contact")) == 1


def test_composite_refuses_more_than_25_subrequests(salesforce_sandbox):
    api = salesforce_sandbox.rest_session()
    subrequests = [_account(f"ref{n}") for n in range(26)]

    response = api.post(
        f"{salesforce_sandbox.data_url}/composite",
        json={"compositeRequest": subrequests},
    )

    assert response.status_code == 400
    assert salesforce_sandbox.records("Account") == []


def test_collection_create_reports_each_record_without_all_or_none(sf, salesforce_sandbox):
    records = [
        {"attributes": {"type": "Account"}, "Name": "A"},
        {"attributes": {"type": "Account"}},
    ]

    results = sf.restful("composite/sobjects", method="POST", json={"records": records})

    assert results[0]["success"] is True
    assert results[1] == {
        "success": False,
        "errors": [
            {
                "statusCode": "REQUIRED_FIELD_MISSING",
                "message": "Required fields are missing: [Name]",
                "fields": ["Name"],
            }
        ],
    }
    assert [record["Name"] for record in salesforce_sandbox.records("Account")] == ["A"]


def test_collection_with_all_or_none_rolls_back_valid_records(sf, salesforce_sandbox):
    records = [
        {"attributes": {"type": "Account"}, "Name": "A"},
        {"attributes": {"type": "Account"}},
    ]

    results = sf.restful(
        "composite/sobjects",
        method="POST",
        json={"allOrNone": True, "records": records},
    )

    assert results[0]["errors"][0]["statusCode"] == "ALL_OR_NONE_OPERATION_ROLLED_BACK"
    assert results[1]["errors"][0]["statusCode"] == "REQUIRED_FIELD_MISSING"
    assert salesforce_sandbox.records("Account") == []


def test_collection_update_upsert_and_delete(sf, salesforce_sandbox):
    created = sf.restful(
        "composite/sobjects",
        method="POST",
        json={"records": [{"attributes": {"type": "Account"}, "Name": "A"}]},
    )
    record_id = created[0]["id"]

    updated = sf.restful(
        "composite/sobjects",
        method="PATCH",
        json={"records": [{"attributes": {"type": "Account"}, "id": record_id, "Name": "B"}]},
    )
    upserted = sf.restful(
        "composite/sobjects/Contact/Leadflow_Id__c",
        method="PATCH",
        json={
            "records": [
                {
                    "attributes": {"type": "Contact"},
                    "Leadflow_Id__c": "c-1",
                    "LastName": "X",
                }
            ]
        },
    )
    deleted = sf.restful("composite/sobjects", method="DELETE", params={"ids": record_id})

    assert updated == [{"id": record_id, "success": True, "errors": []}]
    assert upserted[0]["created"] is True
    assert deleted == [{"id": record_id, "success": True, "errors": []}]
    assert salesforce_sandbox.records("Account") == []


def test_collection_refuses_more_than_200_records(salesforce_sandbox):
    api = salesforce_sandbox.rest_session()
    records = [{"attributes": {"type": "Account"}, "Name": "A"}] * 201

    response = api.post(f"{salesforce_sandbox.data_url}/composite/sobjects", json={"records": records})

    assert response.status_code == 400
    assert response.json()[0]["errorCode"] == "EXCEEDED_ID_LIMIT"


def test_composite_graph_commits_good_graphs_and_rolls_back_bad_ones(sf, salesforce_sandbox):
    good = {"graphId": "good", "compositeRequest": [_account(), _contact()]}
    bad = {
        "graphId": "bad",
        "compositeRequest": [_account(Name="Other"), _contact(LastName=None)],
    }

    result = sf.restful("composite/graph", method="POST", json={"graphs": [good, bad]})

    outcomes = {graph["graphId"]: graph["isSuccessful"] for graph in result["graphs"]}
    assert outcomes == {"good": True, "bad": False}
    bad_responses = result["graphs"][1]["graphResponse"]["compositeResponse"]
    assert bad_responses[0]["body"] == [ROLLED_BACK]
    assert [record["Name"] for record in salesforce_sandbox.records("Account")] == ["Acme BV"]


def test_all_or_none_collection_inside_a_composite_rolls_back_on_its_own(sf, salesforce_sandbox):
    collection = {
        "method": "POST",
        "url": f"{V}/composite/sobjects",
        "referenceId": "refCollection",
        "body": {
            "allOrNone": True,
            "records": [
                {"attributes": {"type": "Account"}, "Name": "In collection"},
                {"attributes": {"type": "Account"}},
            ],
        },
    }

    results = _composite(sf, _account(), collection, all_or_none=False)

    assert results[0]["httpStatusCode"] == 201
    assert results[1]["body"][0]["errors"][0]["statusCode"] == "ALL_OR_NONE_OPERATION_ROLLED_BACK"
    assert [record["Name"] for record in salesforce_sandbox.records("Account")] == ["Acme BV"]
