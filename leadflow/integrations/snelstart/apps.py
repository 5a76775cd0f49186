from django.apps import AppConfig


class SnelStartConfig(AppConfig):
    name = "leadflow.integrations.snelstart"
    label = "snelstart"
    verbose_name = "SnelStart"

    def ready(self) -> None:
        from leadflow.core import plugins

        plugins.offer("SYNC_TARGET_KINDS", "snelstart", "leadflow.integrations.snelstart.target.SnelStartTarget")
