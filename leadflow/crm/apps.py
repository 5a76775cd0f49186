from django.apps import AppConfig


class CrmConfig(AppConfig):
    name = "leadflow.crm"
    verbose_name = "Conversions"

    def ready(self) -> None:
        from leadflow.core import plugins

        plugins.declare("LEADFLOW_CONVERSION_HOOKS")
