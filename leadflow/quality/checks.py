"""System checks: a misconfigured CRM directory is reported at start-up, not at the first lead."""

from typing import Any

from django.conf import settings
from django.core.checks import Error, register
from django.utils.module_loading import import_string

from leadflow.quality.remote import RemoteDirectory


@register()
def check_remote_directory(app_configs: Any = None, **kwargs: Any) -> list[Error]:
    path = getattr(settings, "LEADFLOW_REMOTE_DIRECTORY", "")
    if not path:
        return []
    try:
        directory = import_string(path)
    except ImportError as exc:
        return [Error(f"LEADFLOW_REMOTE_DIRECTORY cannot be imported: {exc}", id="leadflow.quality.E001")]
    if not (isinstance(directory, type) and issubclass(directory, RemoteDirectory)):
        return [
            Error(
                "LEADFLOW_REMOTE_DIRECTORY must name a subclass of leadflow.quality.remote.RemoteDirectory.",
                id="leadflow.quality.E002",
            )
        ]
    return []
