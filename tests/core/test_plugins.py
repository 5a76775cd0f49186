"""One loader and one registry for every plug-in setting, checked when the project starts."""

import pytest
from django.core.management import call_command
from django.core.management.base import SystemCheckError

from leadflow.core import plugins
from leadflow.quality.remote import remote_directory
from leadflow.sync.targets import TargetError, kind_choices, target_for_kind


def check_output() -> str:
    with pytest.raises(SystemCheckError) as failed:
        call_command("check")
    return str(failed.value)


def test_shipped_plugin_settings_pass_manage_py_check():
    call_command("check")


def test_misspelt_validator_path_fails_manage_py_check_naming_the_setting(settings):
    settings.LEADFLOW_VALIDATORS = [*settings.LEADFLOW_VALIDATORS, "leadflow.quality.validators.EmailValidatr"]

    output = check_output()

    assert "leadflow.E001" in output
    assert "LEADFLOW_VALIDATORS names 'leadflow.quality.validators.EmailValidatr', which cannot be imported" in output


def test_misspelt_sync_target_path_names_its_kind(settings):
    settings.SYNC_TARGET_KINDS = {"snelstart": "leadflow.integrations.snelstart.Nope"}

    assert "SYNC_TARGET_KINDS['snelstart'] names 'leadflow.integrations.snelstart.Nope'" in check_output()


def test_gate_path_naming_a_module_of_another_kind_is_refused(settings):
    settings.LEADFLOW_GATES = {**settings.LEADFLOW_GATES, "qualify": ["leadflow.quality.validators.EmailValidator"]}

    output = check_output()

    assert "leadflow.E002" in output
    assert "LEADFLOW_GATES['qualify'] names 'leadflow.quality.validators.EmailValidator', which is not a " in output
    assert "subclass of leadflow.leads.gates.Gate" in output


def test_remote_directory_must_be_a_remote_directory(settings):
    settings.LEADFLOW_REMOTE_DIRECTORY = "leadflow.nowhere.Directory"
    assert "LEADFLOW_REMOTE_DIRECTORY names 'leadflow.nowhere.Directory', which cannot be imported" in check_output()

    settings.LEADFLOW_REMOTE_DIRECTORY = "leadflow.sync.targets.Target"
    assert "is not a subclass of leadflow.quality.remote.RemoteDirectory" in check_output()


def test_hook_that_is_not_callable_is_refused(settings):
    settings.LEADFLOW_CONVERSION_HOOKS = ["leadflow.sync.targets.CUSTOMER_CONVERTED"]

    assert "LEADFLOW_CONVERSION_HOOKS names 'leadflow.sync.targets.CUSTOMER_CONVERTED', which is not callable" in (
        check_output()
    )


def test_changing_a_setting_clears_the_one_plugin_cache(settings):
    settings.LEADFLOW_REMOTE_DIRECTORY = ""
    assert remote_directory() is None

    settings.LEADFLOW_REMOTE_DIRECTORY = "tests.quality.conftest.InMemoryDirectory"
    assert type(remote_directory()).__name__ == "InMemoryDirectory"

    settings.SYNC_TARGET_KINDS = {"hook": "leadflow.integrations.webhook.target.WebhookTarget"}
    assert type(target_for_kind("hook")).__name__ == "WebhookTarget"


def test_plugins_are_created_once_and_shared(settings):
    assert plugins.load_objects("LEADFLOW_VALIDATORS")[0] is plugins.load_objects("LEADFLOW_VALIDATORS")[0]


def test_unknown_target_kind_is_a_permanent_target_error():
    with pytest.raises(TargetError, match="No sync target of kind 'fax' is installed") as raised:
        target_for_kind("fax")
    assert raised.value.permanent


def test_reading_an_undeclared_setting_is_refused():
    with pytest.raises(Exception, match="LEADFLOW_NOTHING is not a declared plug-in setting"):
        plugins.load_objects("LEADFLOW_NOTHING")


def test_sync_target_listed_under_another_key_than_its_name_is_refused(settings):
    settings.SYNC_TARGET_KINDS = {"snelstart": "leadflow.integrations.exact.target.ExactTarget"}

    output = check_output()

    assert "leadflow.E003" in output
    assert "SYNC_TARGET_KINDS['snelstart'] names 'leadflow.integrations.exact.target.ExactTarget', which is named " in (
        output
    )


def test_plugin_without_a_name_is_refused(settings):
    settings.LEADFLOW_MATCHERS = ["leadflow.quality.matching.base.Matcher"]

    assert "LEADFLOW_MATCHERS names 'leadflow.quality.matching.base.Matcher', which sets no `name`." in check_output()


def test_an_installed_integration_offers_its_target_so_its_app_is_its_one_settings_line(settings):
    assert settings.SYNC_TARGET_KINDS == {}  # nothing listed by hand in the shipped settings
    assert [kind for kind, _label in kind_choices()] == ["webhook", "exact", "snelstart", "businesscentral"]
    assert type(target_for_kind("snelstart")).__name__ == "SnelStartTarget"
    assert set(plugins.configured("LEADFLOW_CRM_TARGETS")) == {"salesforce", "pipedrive"}


def test_a_site_switches_an_installed_target_off_with_an_empty_path(settings):
    settings.SYNC_TARGET_KINDS = {"snelstart": ""}

    assert "snelstart" not in dict(kind_choices())
    with pytest.raises(TargetError, match="No sync target of kind 'snelstart' is installed"):
        target_for_kind("snelstart")
    call_command("check")  # an empty path is a choice, not a typo
