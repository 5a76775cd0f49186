from django.apps import AppConfig


class ExactConfig(AppConfig):
    name = "leadflow.integrations.exact"
    label = "exact"
    verbose_name = "Exact Online"

    def ready(self) -> None:
        from leadflow.core import plugins

        plugins.offer("SYNC_TARGET_KINDS", "exact", "leadflow.integrations.exact.target.ExactTarget")
