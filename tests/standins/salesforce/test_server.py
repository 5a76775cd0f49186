import requests

from tests.plugins.salesforce_sandbox import running_salesforce_sandbox


def test_records_survive_a_restart_but_sessions_do_not(tmp_path):
    db_path = str(tmp_path / "org.sqlite3")
    with running_salesforce_sandbox(db_path) as sandbox:
        old_token = sandbox.token()
        record_id = sandbox.client().Account.create({"Name": "Acme"})["id"]

    with running_salesforce_sandbox(db_path) as sandbox:
        stale = requests.get(
            f"{sandbox.data_url}/limits",
            headers={"Authorization": f"Bearer {old_token}"},
        )
        new_id = sandbox.client().Account.create({"Name": "Beta"})["id"]

        assert stale.status_code == 401
        assert [record["Id"] for record in sandbox.records("Account")] == [
            record_id,
            new_id,
        ]


def test_unsupported_method_is_405(salesforce_sandbox):
    api = salesforce_sandbox.rest_session()

    response = api.put(f"{salesforce_sandbox.data_url}/sobjects/Account/", json={})

    assert response.status_code == 405
    assert response.json()[0]["errorCode"] == "METHOD_NOT_ALLOWED"


def test_unknown_resource_is_404(salesforce_sandbox):
    api = salesforce_sandbox.rest_session()

    response = api.get(f"{salesforce_sandbox.data_url}/wave/datasets")

    assert response.status_code == 404
    assert response.json() == [{"message": "The requested resource does not exist", "errorCode": "NOT_FOUND"}]


def test_session_scoped_sandbox_can_be_reset_between_uses(salesforce_sandbox_session):
    salesforce_sandbox_session.client().Lead.create({"LastName": "Smit", "Company": "S"})

    salesforce_sandbox_session.reset()

    assert salesforce_sandbox_session.records("Lead") == []
