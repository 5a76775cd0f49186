"""Project-wide system checks. Every check in Leadflow reports with ids `leadflow.E<nnn>` / `leadflow.W<nnn>`:

- E001 to E003: plug-in settings (leadflow.core.plugins): a path that cannot be imported, does not keep the
  contract, or has no (or the wrong) `name`.
- E010 to E012: deploy checks: production must not talk to a local stand-in or use its secrets.
- E020, W020: intake's rate limits (leadflow.intake.checks).
- E501 to E508: the Salesforce connection (leadflow.integrations.salesforce.checks).

Compose runs `check --deploy` before migrating, and web and workers start only after that succeeded, so a
production stack configured with a stand-in URL or secret refuses to start instead of silently sending leads nowhere.
"""

import ipaddress
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core import checks

from leadflow.core import plugins

# Secrets the local stand-ins accept; never valid anywhere real.
STAND_IN_SECRETS = {
    "SALESFORCE_CLIENT_SECRET": "leadflow-sandbox-secret",
    "EXACT_CLIENT_SECRET": "standin-secret",
}
STAND_IN_URLS = ("SALESFORCE_INSTANCE_URL", "SALESFORCE_TOKEN_URL", "EXACT_BASE_URL")


def is_local_url(url: str) -> bool:
    """A URL on this machine (localhost, 127.0.0.0/8, ::1): where the bundled stand-ins listen."""
    host = urlsplit(url).hostname or ""
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@checks.register()
def plugin_paths_import(app_configs: Any, **kwargs: Any) -> list[checks.CheckMessage]:
    """Every dotted path in a declared plug-in setting imports and keeps its contract."""
    errors = []
    for spec in plugins.declared():
        for entry in plugins.entries(spec):
            check_id, problem = plugins.problem(spec, entry)
            if problem:
                errors.append(
                    checks.Error(
                        f"{entry.where} names {entry.path!r}, which {problem}.",
                        hint=f"Correct {spec.name} (see docs/plugins.md).",
                        id=check_id,
                    )
                )
    return errors


@checks.register(checks.Tags.security, deploy=True)
def no_stand_ins_in_production(app_configs: Any, **kwargs: Any) -> list[checks.CheckMessage]:
    if settings.DEBUG:
        return []
    errors: list[checks.CheckMessage] = [
        checks.Error(
            f"{name} points at this machine ({getattr(settings, name)}), where only the local stand-in listens.",
            hint=f"Set {name} to the real service's URL.",
            id="leadflow.E010",
        )
        for name in STAND_IN_URLS
        if getattr(settings, name, "") and is_local_url(getattr(settings, name))
    ]
    errors += [
        checks.Error(
            f"{name} is the local stand-in's secret.", hint=f"Set {name} to your app's secret.", id="leadflow.E011"
        )
        for name, secret in STAND_IN_SECRETS.items()
        if getattr(settings, name, "") == secret
    ]
    if settings.EMAIL_BACKEND in (
        "django.core.mail.backends.console.EmailBackend",
        "django.core.mail.backends.locmem.EmailBackend",
    ):
        errors.append(
            checks.Error(
                "EMAIL_URL is not set: alerts would be printed to the log instead of sent.",
                hint="Set EMAIL_URL, e.g. smtp+tls://user:password@smtp.example.com:587",
                id="leadflow.E012",
            )
        )
    return errors
