import pytest
from simple_salesforce.exceptions import SalesforceMalformedRequest

ALLOW_SAVE = {"Sforce-Duplicate-Rule-Header": "allowSave=true"}


@pytest.fixture
def sf(salesforce_sandbox):
    return salesforce_sandbox.client()


def _contact_rule(salesforce_sandbox, action):
    salesforce_sandbox.configure(duplicate_rules=[{"sobject": "Contact", "fields": ["Email"], "action": action}])


def test_blocking_duplicate_rule_refuses_a_matching_create(sf, salesforce_sandbox):
    _contact_rule(salesforce_sandbox, "block")
    existing = sf.Contact.create({"LastName": "Jansen", "Email": "j@acme.example"})["id"]

    with pytest.raises(SalesforceMalformedRequest) as excinfo:
        sf.Contact.create({"LastName": "Jansen", "Email": "J@ACME.example"})

    [error] = excinfo.value.content
    assert error["errorCode"] == "DUPLICATES_DETECTED"
    assert error["message"] == "Use one of these records?"
    result = error["duplicateResult"]
    assert result["allowSave"] is False
    assert result["duplicateRuleEntityType"] == "Contact"
    [match] = result["matchResults"]
    assert match["size"] == 1
    assert match["matchRecords"][0]["record"]["Id"] == existing


def test_include_record_details_returns_the_fields_of_the_duplicates(sf, salesforce_sandbox):
    _contact_rule(salesforce_sandbox, "block")
    sf.Contact.create({"LastName": "Jansen", "Email": "j@acme.example"})
    header = {"Sforce-Duplicate-Rule-Header": "allowSave=false; includeRecordDetails=true"}

    with pytest.raises(SalesforceMalformedRequest) as excinfo:
        sf.Contact.create({"LastName": "Jansen", "Email": "j@acme.example"}, headers=header)

    result = excinfo.value.content[0]["duplicateResult"]
    record = result["matchResults"][0]["matchRecords"][0]["record"]
    assert record["LastName"] == "Jansen"


def test_blocking_rule_ignores_the_allow_save_header(sf, salesforce_sandbox):
    _contact_rule(salesforce_sandbox, "block")
    sf.Contact.create({"LastName": "Jansen", "Email": "j@acme.example"})

    with pytest.raises(SalesforceMalformedRequest):
        sf.Contact.create({"LastName": "Jansen", "Email": "j@acme.example"}, headers=ALLOW_SAVE)


def test_alert_rule_refuses_without_header_and_saves_with_allow_save(sf, salesforce_sandbox):
    _contact_rule(salesforce_sandbox, "alert")
    sf.Contact.create({"LastName": "Jansen", "Email": "j@acme.example"})

    with pytest.raises(SalesforceMalformedRequest) as excinfo:
        sf.Contact.create({"LastName": "Jansen", "Email": "j@acme.example"})
    sf.Contact.create({"LastName": "Jansen", "Email": "j@acme.example"}, headers=ALLOW_SAVE)

    assert excinfo.value.content[0]["duplicateResult"]["allowSave"] is True
    assert len(salesforce_sandbox.records("Contact")) == 2


def test_allow_save_header_on_a_composite_request_applies_to_its_subrequests(sf, salesforce_sandbox):
    salesforce_sandbox.configure(duplicate_rules=[{"sobject": "Account", "fields": ["Name"], "action": "alert"}])
    sf.Account.create({"Name": "Acme BV"})
    subrequest = {
        "method": "POST",
        "url": "/services/data/v61.0/sobjects/Account",
        "referenceId": "refAccount",
        "body": {"Name": "ACME BV"},
    }
    body = {"allOrNone": True, "compositeRequest": [subrequest]}

    refused = sf.restful("composite", method="POST", json=body)["compositeResponse"]
    saved = sf.restful("composite", method="POST", json=body, headers=ALLOW_SAVE)

    assert refused[0]["body"][0]["errorCode"] == "DUPLICATES_DETECTED"
    assert saved["compositeResponse"][0]["httpStatusCode"] == 201


def test_duplicate_rules_do_not_match_blank_values(sf, salesforce_sandbox):
    _contact_rule(salesforce_sandbox, "block")
    sf.Contact.create({"LastName": "Jansen"})

    sf.Contact.create({"LastName": "Jansen"})

    assert len(salesforce_sandbox.records("Contact")) == 2


def test_required_custom_field_shows_in_describe_and_is_enforced(sf, salesforce_sandbox):
    salesforce_sandbox.configure(
        custom_fields=[{"sobject": "Account", "name": "Region__c", "length": 40, "required": True}]
    )

    fields = {field["name"]: field for field in sf.Account.describe()["fields"]}
    with pytest.raises(SalesforceMalformedRequest) as excinfo:
        sf.Account.create({"Name": "Acme"})
    sf.Account.create({"Name": "Acme", "Region__c": "Noord"})

    assert fields["Region__c"]["nillable"] is False
    assert fields["Region__c"]["custom"] is True
    assert excinfo.value.content[0]["fields"] == ["Region__c"]
    assert excinfo.value.content[0]["errorCode"] == "REQUIRED_FIELD_MISSING"


def test_validation_rule_on_custom_field_is_a_custom_validation_exception(sf, salesforce_sandbox):
    salesforce_sandbox.configure(
        custom_fields=[
            {
                "sobject": "Account",
                "name": "Region__c",
                "validation_message": "Region is required for Dutch accounts",
            }
        ]
    )

    with pytest.raises(SalesforceMalformedRequest) as excinfo:
        sf.Account.create({"Name": "Acme"})

    assert excinfo.value.content == [
        {
            "message": "Region is required for Dutch accounts",
            "errorCode": "FIELD_CUSTOM_VALIDATION_EXCEPTION",
            "fields": ["Region__c"],
        }
    ]


def test_config_reports_current_settings(salesforce_sandbox):
    config = salesforce_sandbox.configure(api_limit=100, api_used=40)

    assert config["api_limit"] == 100
    assert config["api_used"] == 40
    assert config["duplicate_rules"] == []
