from django.apps import AppConfig


class PipedriveStandinConfig(AppConfig):
    """Installed only with LEADFLOW_DEV_TOOLS: gives `manage.py pipedrive_standin`."""

    name = "standins.pipedrive"
    label = "pipedrive_standin"
    verbose_name = "Pipedrive stand-in"
