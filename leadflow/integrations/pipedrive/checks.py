"""System checks: a Pipedrive connection that cannot work is reported at start-up, not at the first conversion."""

import re
from urllib.parse import urlsplit

from django.conf import settings
from django.core.checks import Error, register

FIELD_KEY = re.compile(r"^[0-9a-f]{40}$")
KEY_SETTINGS = ("PIPEDRIVE_ORGANIZATION_KEY_FIELD", "PIPEDRIVE_PERSON_KEY_FIELD", "PIPEDRIVE_DEAL_KEY_FIELD")


@register()
def pipedrive_settings_check(app_configs, **kwargs) -> list[Error]:
    uses = {settings.LEADFLOW_CRM_DEFAULT, *settings.LEADFLOW_CRM_BY_SOURCE.values()}
    if "pipedrive" not in uses:
        return []
    errors = []
    if urlsplit(settings.PIPEDRIVE_API_URL).scheme not in ("http", "https"):
        errors.append(Error("PIPEDRIVE_API_URL must be a full http(s) URL.", id="leadflow.E531"))
    if not (settings.PIPEDRIVE_API_TOKEN or settings.PIPEDRIVE_ACCESS_TOKEN):
        errors.append(Error("Pipedrive needs PIPEDRIVE_API_TOKEN or PIPEDRIVE_ACCESS_TOKEN.", id="leadflow.E532"))
    for name in KEY_SETTINGS:
        if not FIELD_KEY.match(getattr(settings, name)):
            errors.append(
                Error(f"{name} must be a Pipedrive custom field key (40 hexadecimal characters).", id="leadflow.E533")
            )
    for name in ("PIPEDRIVE_KVK_FIELD", "PIPEDRIVE_DOMAIN_FIELD"):
        if getattr(settings, name) and not FIELD_KEY.match(getattr(settings, name)):
            errors.append(Error(f"{name} must be empty or a 40-character custom field key.", id="leadflow.E534"))
    return errors
