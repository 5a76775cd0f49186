"""Which CRM a lead converts into is a setting, and a CRM setting that cannot work fails `manage.py check`."""

import pytest

from leadflow.core.checks import plugin_paths_import
from leadflow.crm.targets import crm_name_for_source, crm_target, crm_targets_check
from leadflow.integrations.pipedrive.checks import pipedrive_settings_check
from leadflow.integrations.pipedrive.target import PipedriveTarget
from leadflow.integrations.salesforce.target import SalesforceTarget


def ids(errors):
    return [error.id for error in errors]


def test_the_first_matching_source_pattern_names_the_crm_and_others_take_the_default(settings):
    settings.LEADFLOW_CRM_BY_SOURCE = {"woocommerce:*": "pipedrive", "form:partners": "pipedrive"}
    settings.LEADFLOW_CRM_DEFAULT = "salesforce"

    assert crm_name_for_source("woocommerce:bakery") == "pipedrive"
    assert crm_name_for_source("form:partners") == "pipedrive"
    assert crm_name_for_source("form:contact") == "salesforce"
    assert crm_name_for_source("") == "salesforce"


def test_each_crm_name_is_its_target():
    assert isinstance(crm_target("salesforce"), SalesforceTarget)
    assert isinstance(crm_target("pipedrive"), PipedriveTarget)
    assert crm_target("pipedrive").record_name("opportunity") == "Deal"


def test_the_shipped_crm_settings_pass_the_checks():
    assert crm_targets_check(None) == []


def test_a_misspelt_target_path_fails_the_check(settings):
    settings.LEADFLOW_CRM_TARGETS = {"hubspot": "leadflow.integrations.hubspot.Nope"}

    assert ids(plugin_paths_import(None)) == ["leadflow.E001"]


def test_a_target_registered_under_another_name_fails_the_check(settings):
    settings.LEADFLOW_CRM_TARGETS = {"pipedrive": "leadflow.integrations.salesforce.target.SalesforceTarget"}
    settings.LEADFLOW_CRM_BY_SOURCE = {}

    assert ids(plugin_paths_import(None)) == ["leadflow.E003"]


def test_a_source_mapped_to_an_unknown_crm_fails_the_check(settings):
    settings.LEADFLOW_CRM_BY_SOURCE = {"woocommerce:*": "pipdrive"}

    errors = crm_targets_check(None)

    assert ids(errors) == ["leadflow.E522"]
    assert "'pipdrive'" in errors[0].msg


@pytest.mark.parametrize(
    ("setting", "value", "error"),
    [
        ("PIPEDRIVE_API_URL", "api.pipedrive.com", "leadflow.E531"),
        ("PIPEDRIVE_API_TOKEN", "", "leadflow.E532"),
        ("PIPEDRIVE_DEAL_KEY_FIELD", "Leadflow id", "leadflow.E533"),
        ("PIPEDRIVE_KVK_FIELD", "kvk", "leadflow.E534"),
    ],
)
def test_pipedrive_settings_that_cannot_work_fail_the_check_when_a_source_uses_pipedrive(
    settings, setting, value, error
):
    settings.LEADFLOW_CRM_BY_SOURCE = {"woocommerce:*": "pipedrive"}
    setattr(settings, setting, value)

    assert ids(pipedrive_settings_check(None)) == [error]


def test_pipedrive_settings_are_not_checked_when_no_source_uses_pipedrive(settings):
    settings.LEADFLOW_CRM_BY_SOURCE = {}
    settings.PIPEDRIVE_API_TOKEN = ""

    assert pipedrive_settings_check(None) == []
