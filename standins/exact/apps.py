from django.apps import AppConfig


class ExactStandinConfig(AppConfig):
    """Installed only with LEADFLOW_DEV_TOOLS: gives `manage.py exact_standin`."""

    name = "standins.exact"
    label = "exact_standin"
    verbose_name = "Exact Online stand-in"
