from django.apps import AppConfig


class SyncConfig(AppConfig):
    name = "leadflow.sync"

    def ready(self) -> None:
        from leadflow.core import plugins
        from leadflow.sync.targets import Target

        plugins.declare("SYNC_TARGET_KINDS", base=Target)
