from django.apps import AppConfig


class PipedriveConfig(AppConfig):
    name = "leadflow.integrations.pipedrive"
    label = "pipedrive"
    verbose_name = "Pipedrive"

    def ready(self) -> None:
        from leadflow.core import plugins
        from leadflow.integrations.pipedrive import checks  # noqa: F401 (registers the system checks)

        plugins.offer("LEADFLOW_CRM_TARGETS", "pipedrive", "leadflow.integrations.pipedrive.target.PipedriveTarget")
