from django.apps import AppConfig


class CrmConfig(AppConfig):
    name = "leadflow.crm"
    verbose_name = "Conversions"

    def ready(self) -> None:
        from leadflow.core import plugins
        from leadflow.crm.targets import CrmTarget  # also registers the CRM system check

        plugins.declare("LEADFLOW_CONVERSION_HOOKS")
        plugins.declare("LEADFLOW_CRM_TARGETS", base=CrmTarget)
