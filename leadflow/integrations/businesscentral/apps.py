from django.apps import AppConfig


class BusinessCentralConfig(AppConfig):
    name = "leadflow.integrations.businesscentral"
    label = "businesscentral"
    verbose_name = "Dynamics 365 Business Central"

    def ready(self) -> None:
        from leadflow.core import plugins

        plugins.offer(
            "SYNC_TARGET_KINDS", "businesscentral", "leadflow.integrations.businesscentral.target.BusinessCentralTarget"
        )
