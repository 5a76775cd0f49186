import pytest
from simple_salesforce.exceptions import (
    SalesforceMalformedRequest,
    SalesforceMoreThanOneRecord,
    SalesforceResourceNotFound,
)


@pytest.fixture
def sf(salesforce_sandbox):
    return salesforce_sandbox.client()


@pytest.fixture
def api(salesforce_sandbox):
    return salesforce_sandbox.rest_session()


def _error(excinfo) -> dict:
    return excinfo.value.content[0]


def test_create_answers_201_with_id_and_get_returns_the_record(sf, salesforce_sandbox):
    created = sf.Account.create({"Name": "Acme BV", "Website": "acme.example"})

    assert created["success"] is True
    assert created["errors"] == []
    record = sf.Account.get(created["id"])
    assert record["Name"] == "Acme BV"
    assert record["attributes"] == {
        "type": "Account",
        "url": f"/services/data/v61.0/sobjects/Account/{created['id']}",
    }
    assert record["IsDeleted"] is False
    assert record["CreatedDate"].endswith("+0000")


def test_create_returns_a_location_header_and_limit_info(api, salesforce_sandbox):
    response = api.post(f"{salesforce_sandbox.data_url}/sobjects/Account/", json={"Name": "A"})

    assert response.status_code == 201
    assert response.headers["Location"].endswith(response.json()["id"])
    assert response.headers["Sforce-Limit-Info"] == "api-usage=1/15000"


def test_record_can_be_read_by_its_fifteen_character_id(sf):
    record_id = sf.Account.create({"Name": "Acme"})["id"]

    assert sf.Account.get(record_id[:15])["Id"] == record_id


def test_update_answers_204_and_changes_only_the_given_fields(sf):
    record_id = sf.Contact.create({"LastName": "Jansen", "Email": "j@acme.example"})["id"]

    status = sf.Contact.update(record_id, {"Title": "CTO"})

    assert status == 204
    record = sf.Contact.get(record_id)
    assert (record["Title"], record["Email"]) == ("CTO", "j@acme.example")


def test_delete_answers_204_and_the_record_is_gone(sf, salesforce_sandbox):
    record_id = sf.Lead.create({"LastName": "Smit", "Company": "Smit BV"})["id"]

    assert sf.Lead.delete(record_id) == 204

    with pytest.raises(SalesforceResourceNotFound):
        sf.Lead.get(record_id)
    assert salesforce_sandbox.records("Lead") == []


def test_lead_status_is_defaulted_on_create(sf):
    record_id = sf.Lead.create({"LastName": "Smit", "Company": "Smit BV"})["id"]

    assert sf.Lead.get(record_id)["Status"] == "Open - Not Contacted"


def test_upsert_creates_then_updates_by_external_id(api, salesforce_sandbox):
    url = f"{salesforce_sandbox.data_url}/sobjects/Account/Leadflow_Id__c/lead-42"

    first = api.patch(url, json={"Name": "Acme"})
    second = api.patch(url, json={"Name": "Acme Holding"})

    assert first.status_code == 201
    assert first.json() == {
        "id": first.json()["id"],
        "success": True,
        "errors": [],
        "created": True,
    }
    assert second.status_code == 200
    assert second.json()["created"] is False
    assert second.json()["id"] == first.json()["id"]
    [stored] = salesforce_sandbox.records("Account")
    assert (stored["Name"], stored["Leadflow_Id__c"]) == ("Acme Holding", "lead-42")


def test_upsert_external_id_value_is_url_decoded(api, salesforce_sandbox):
    url = f"{salesforce_sandbox.data_url}/sobjects/Contact/Leadflow_Id__c/a%2Fb%20c"

    api.patch(url, json={"LastName": "Jansen"})

    assert salesforce_sandbox.records("Contact")[0]["Leadflow_Id__c"] == "a/b c"


def test_upsert_through_simple_salesforce_returns_201_then_200(sf):
    assert sf.Contact.upsert("Leadflow_Id__c/c-1", {"LastName": "Jansen"}) == 201
    assert sf.Contact.upsert("Leadflow_Id__c/c-1", {"LastName": "Janssen"}) == 200


def test_upsert_matching_several_records_answers_300_with_their_urls(sf, salesforce_sandbox):
    salesforce_sandbox.configure(custom_fields=[{"sobject": "Account", "name": "Erp_Code__c", "external_id": True}])
    first = sf.Account.create({"Name": "A", "Erp_Code__c": "X1"})["id"]
    second = sf.Account.create({"Name": "B", "Erp_Code__c": "x1"})["id"]

    with pytest.raises(SalesforceMoreThanOneRecord) as excinfo:
        sf.Account.upsert("Erp_Code__c/X1", {"Name": "C"})

    assert excinfo.value.content == [
        f"/services/data/v61.0/sobjects/Account/{first}",
        f"/services/data/v61.0/sobjects/Account/{second}",
    ]


def test_get_by_external_id_returns_the_record(sf):
    sf.Opportunity.create(
        {
            "Name": "Deal",
            "StageName": "Prospecting",
            "CloseDate": "2026-12-31",
            "Leadflow_Id__c": "o-1",
        }
    )

    assert sf.Opportunity.get_by_custom_id("Leadflow_Id__c", "o-1")["Name"] == "Deal"


def test_missing_required_fields_are_reported_together(sf):
    with pytest.raises(SalesforceMalformedRequest) as excinfo:
        sf.Opportunity.create({"Name": "Deal"})

    assert excinfo.value.status == 400
    assert _error(excinfo) == {
        "message": "Required fields are missing: [StageName, CloseDate]",
        "errorCode": "REQUIRED_FIELD_MISSING",
        "fields": ["StageName", "CloseDate"],
    }


def test_clearing_a_required_field_on_update_is_refused(sf):
    record_id = sf.Contact.create({"LastName": "Jansen"})["id"]

    with pytest.raises(SalesforceMalformedRequest) as excinfo:
        sf.Contact.update(record_id, {"LastName": None})

    assert _error(excinfo)["errorCode"] == "REQUIRED_FIELD_MISSING"


def test_too_long_value_is_string_too_long(sf):
    with pytest.raises(SalesforceMalformedRequest) as excinfo:
        sf.Contact.create({"LastName": "x" * 81})

    assert _error(excinfo) == {
        "message": f"Last Name: data value too large: {'x' * 81} (max length=80)",
        "errorCode": "STRING_TOO_LONG",
        "fields": ["LastName"],
    }


def test_unknown_field_is_invalid_field(sf):
    with pytest.raises(SalesforceMalformedRequest) as excinfo:
        sf.Account.create({"Name": "Acme", "Colour__c": "red"})

    assert _error(excinfo) == {
        "message": "No such column 'Colour__c' on sobject of type Account",
        "errorCode": "INVALID_FIELD",
    }


def test_system_fields_cannot_be_written(sf):
    with pytest.raises(SalesforceMalformedRequest) as excinfo:
        sf.Account.create({"Name": "Acme", "CreatedDate": "2020-01-01T00:00:00.000+0000"})

    assert _error(excinfo)["errorCode"] == "INVALID_FIELD_FOR_INSERT_UPDATE"


def test_invalid_date_is_a_json_parser_error(sf):
    with pytest.raises(SalesforceMalformedRequest) as excinfo:
        sf.Opportunity.create({"Name": "Deal", "StageName": "New", "CloseDate": "31-12-2026"})

    assert _error(excinfo)["errorCode"] == "JSON_PARSER_ERROR"
    assert "31-12-2026" in _error(excinfo)["message"]


def test_non_numeric_amount_is_a_json_parser_error(sf):
    with pytest.raises(SalesforceMalformedRequest) as excinfo:
        sf.Opportunity.create(
            {
                "Name": "Deal",
                "StageName": "New",
                "CloseDate": "2026-12-31",
                "Amount": "lots",
            }
        )

    assert _error(excinfo)["errorCode"] == "JSON_PARSER_ERROR"


def test_invalid_email_is_refused(sf):
    with pytest.raises(SalesforceMalformedRequest) as excinfo:
        sf.Contact.create({"LastName": "Jansen", "Email": "not-an-email"})

    assert _error(excinfo)["errorCode"] == "INVALID_EMAIL_ADDRESS"


@pytest.mark.parametrize(
    ("account_id", "error_code"),
    [
        ("garbage", "MALFORMED_ID"),
        ("0035g0000000001AAA", "FIELD_INTEGRITY_EXCEPTION"),
        ("0015g00000000zzAAA", "INVALID_CROSS_REFERENCE_KEY"),
    ],
)
def test_bad_reference_ids_are_refused(sf, account_id, error_code):
    with pytest.raises(SalesforceMalformedRequest) as excinfo:
        sf.Contact.create({"LastName": "Jansen", "AccountId": account_id})

    assert _error(excinfo)["errorCode"] == error_code
    assert _error(excinfo)["fields"] == ["AccountId"]


def test_unique_external_id_cannot_be_used_twice(sf):
    sf.Account.create({"Name": "A", "Leadflow_Id__c": "dup"})

    with pytest.raises(SalesforceMalformedRequest) as excinfo:
        sf.Account.create({"Name": "B", "Leadflow_Id__c": "DUP"})

    assert _error(excinfo)["errorCode"] == "DUPLICATE_VALUE"


def test_unknown_record_is_not_found(sf):
    with pytest.raises(SalesforceResourceNotFound) as excinfo:
        sf.Account.get("0015g00000000zzAAA")

    assert _error(excinfo)["errorCode"] == "NOT_FOUND"


def test_unknown_sobject_is_not_found(api, salesforce_sandbox):
    response = api.post(f"{salesforce_sandbox.data_url}/sobjects/Widget/", json={"Name": "x"})

    assert response.status_code == 404
    assert response.json()[0]["errorCode"] == "NOT_FOUND"


def test_describe_tells_required_fields_lengths_and_external_ids(sf):
    fields = {field["name"]: field for field in sf.Contact.describe()["fields"]}

    assert fields["LastName"]["nillable"] is False
    assert fields["LastName"]["createable"] is True
    assert fields["LastName"]["length"] == 80
    assert fields["Email"]["type"] == "email"
    assert fields["AccountId"]["referenceTo"] == ["Account"]
    assert fields["Leadflow_Id__c"]["externalId"] is True
    assert fields["Leadflow_Id__c"]["unique"] is True
    assert fields["Id"]["defaultedOnCreate"] is True


def test_describe_lists_picklist_values_with_the_default(sf):
    fields = {field["name"]: field for field in sf.Lead.describe()["fields"]}
    stages = sf.Opportunity.describe()["fields"]

    statuses = fields["Status"]["picklistValues"]
    assert statuses[0] == {
        "active": True,
        "defaultValue": True,
        "label": "Open - Not Contacted",
        "validFor": None,
        "value": "Open - Not Contacted",
    }
    [stage_name] = [field for field in stages if field["name"] == "StageName"]
    assert "Closed Won" in [value["value"] for value in stage_name["picklistValues"]]


def test_any_api_version_is_served(api, salesforce_sandbox):
    url = f"{salesforce_sandbox.url}/services/data/v45.0/sobjects/Account/describe"

    assert api.get(url).json()["name"] == "Account"


def test_versions_resource_lists_api_versions(salesforce_sandbox):
    import requests

    versions = requests.get(f"{salesforce_sandbox.url}/services/data/").json()

    assert {
        "label": "Summer '24",
        "url": "/services/data/v61.0",
        "version": "61.0",
    } in versions


def test_empty_string_clears_a_field_like_null(sf):
    record_id = sf.Contact.create({"LastName": "Jansen", "Title": "CTO"})["id"]

    sf.Contact.update(record_id, {"Title": ""})

    assert sf.Contact.get(record_id)["Title"] is None


def test_empty_update_is_a_no_op(sf):
    record_id = sf.Account.create({"Name": "Acme"})["id"]

    assert sf.Account.update(record_id, {}) == 204


def test_invalid_json_body_is_a_json_parser_error(api, salesforce_sandbox):
    response = api.post(
        f"{salesforce_sandbox.data_url}/sobjects/Account/",
        data="{not json",
        headers={"Content-Type": "application/json"},
    )

    assert response.status_code == 400
    assert response.json()[0]["errorCode"] == "JSON_PARSER_ERROR"


def test_delete_by_external_id_removes_the_record(api, salesforce_sandbox):
    url = f"{salesforce_sandbox.data_url}/sobjects/Lead/Leadflow_Id__c/lead-9"
    api.patch(url, json={"LastName": "Smit", "Company": "Smit BV"})

    response = api.delete(url)

    assert response.status_code == 204
    assert salesforce_sandbox.records("Lead") == []
    assert api.get(url).status_code == 404
