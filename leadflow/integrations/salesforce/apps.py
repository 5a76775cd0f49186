from django.apps import AppConfig


class SalesforceConfig(AppConfig):
    name = "leadflow.integrations.salesforce"
    label = "salesforce"
    verbose_name = "Salesforce"

    def ready(self) -> None:
        from leadflow.core import plugins
        from leadflow.integrations.salesforce import checks  # noqa: F401 (registers the system checks)

        plugins.offer("LEADFLOW_CRM_TARGETS", "salesforce", "leadflow.integrations.salesforce.target.SalesforceTarget")
