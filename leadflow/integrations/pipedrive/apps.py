from django.apps import AppConfig


class PipedriveConfig(AppConfig):
    name = "leadflow.integrations.pipedrive"
    label = "pipedrive"
    verbose_name = "Pipedrive"

    def ready(self) -> None:
        from leadflow.integrations.pipedrive import checks  # noqa: F401 (registers the system checks)
