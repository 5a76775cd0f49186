from django.apps import AppConfig


class DevtoolsConfig(AppConfig):
    """Installed only with LEADFLOW_DEV_TOOLS: gives `manage.py seed_demo` and `manage.py take_screenshots`."""

    name = "standins.devtools"
    label = "devtools"
    verbose_name = "Development tools"
