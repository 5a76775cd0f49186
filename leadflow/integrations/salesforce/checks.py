"""System checks: a Salesforce connection that cannot work is reported at start-up, not at first conversion."""

from pathlib import Path
from urllib.parse import urlsplit

from django.conf import settings
from django.core.checks import Error, register

from leadflow.integrations.salesforce.client import AUTH_FLOWS, JWT_BEARER
from leadflow.integrations.salesforce.models import SALESFORCE_NAME


@register()
def salesforce_settings_check(app_configs, **kwargs) -> list[Error]:
    if not settings.SALESFORCE_INSTANCE_URL:
        return []
    errors = []
    if urlsplit(settings.SALESFORCE_INSTANCE_URL).scheme not in ("http", "https"):
        errors.append(
            Error(
                "SALESFORCE_INSTANCE_URL must be a full http(s) URL, e.g. https://acme.my.salesforce.com.",
                id="leadflow.E501",
            )
        )
    if settings.SALESFORCE_AUTH_FLOW not in AUTH_FLOWS:
        errors.append(Error(f"SALESFORCE_AUTH_FLOW must be one of {', '.join(AUTH_FLOWS)}.", id="leadflow.E502"))
    if not settings.SALESFORCE_CLIENT_ID:
        errors.append(Error("SALESFORCE_INSTANCE_URL is set but SALESFORCE_CLIENT_ID is empty.", id="leadflow.E503"))
    if settings.SALESFORCE_AUTH_FLOW == JWT_BEARER:
        errors.extend(_jwt_errors())
    elif not settings.SALESFORCE_CLIENT_SECRET:
        errors.append(Error("The client-credentials flow needs SALESFORCE_CLIENT_SECRET.", id="leadflow.E504"))
    if not SALESFORCE_NAME.match(settings.SALESFORCE_EXTERNAL_ID_FIELD):
        errors.append(
            Error(
                "SALESFORCE_EXTERNAL_ID_FIELD must be a Salesforce field API name, e.g. Leadflow_Id__c.",
                id="leadflow.E508",
            )
        )
    if settings.SALESFORCE_TIMEOUT <= 0:
        errors.append(Error("SALESFORCE_TIMEOUT must be a positive number of seconds.", id="leadflow.E505"))
    return errors


def _jwt_errors() -> list[Error]:
    errors = []
    if not settings.SALESFORCE_USERNAME:
        errors.append(Error("The JWT bearer flow needs SALESFORCE_USERNAME (the run-as user).", id="leadflow.E506"))
    key_file = settings.SALESFORCE_PRIVATE_KEY_FILE
    if not settings.SALESFORCE_PRIVATE_KEY and not (key_file and Path(key_file).is_file()):
        errors.append(
            Error(
                "The JWT bearer flow needs SALESFORCE_PRIVATE_KEY or a readable SALESFORCE_PRIVATE_KEY_FILE.",
                id="leadflow.E507",
            )
        )
    return errors
