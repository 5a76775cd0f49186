from django.apps import AppConfig


class QualityConfig(AppConfig):
    name = "leadflow.quality"

    def ready(self) -> None:
        from leadflow.quality import checks  # noqa: F401 (registers the system checks)
