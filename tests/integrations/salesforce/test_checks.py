from leadflow.integrations.salesforce.checks import salesforce_settings_check


def error_ids():
    return {error.id for error in salesforce_settings_check(None)}


def test_local_sandbox_defaults_pass_the_checks():
    assert error_ids() == set()


def test_instance_url_without_client_id_is_reported(settings):
    settings.SALESFORCE_CLIENT_ID = ""

    assert "leadflow.E503" in error_ids()


def test_unknown_auth_flow_and_bad_url_are_reported(settings):
    settings.SALESFORCE_AUTH_FLOW = "password"
    settings.SALESFORCE_INSTANCE_URL = "acme.my.salesforce.com"

    assert {"leadflow.E501", "leadflow.E502"} <= error_ids()


def test_jwt_flow_needs_a_run_as_user_and_a_readable_key(settings, tmp_path):
    settings.SALESFORCE_AUTH_FLOW = "jwt_bearer"
    settings.SALESFORCE_PRIVATE_KEY_FILE = str(tmp_path / "missing.key")

    assert {"leadflow.E506", "leadflow.E507"} <= error_ids()


def test_external_id_field_must_be_an_api_name(settings):
    settings.SALESFORCE_EXTERNAL_ID_FIELD = "Leadflow Id; DROP"

    assert "leadflow.E508" in error_ids()


def test_checks_are_off_when_salesforce_is_not_configured(settings):
    settings.SALESFORCE_INSTANCE_URL = ""
    settings.SALESFORCE_CLIENT_ID = ""

    assert error_ids() == set()
