from django.apps import AppConfig


class CrmConfig(AppConfig):
    name = "leadflow.crm"
    verbose_name = "Salesforce"

    def ready(self) -> None:
        from leadflow.crm import checks  # noqa: F401 (registers the system checks)
