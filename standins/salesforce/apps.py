from django.apps import AppConfig


class SalesforceStandinConfig(AppConfig):
    """Installed only with LEADFLOW_DEV_TOOLS: gives `manage.py salesforce_sandbox`."""

    name = "standins.salesforce"
    label = "salesforce_standin"
    verbose_name = "Salesforce sandbox (local stand-in)"
