from django.apps import AppConfig


class IntakeConfig(AppConfig):
    name = "leadflow.intake"

    def ready(self) -> None:
        from leadflow.intake import checks, signals  # noqa: F401 (registers the system check and CORS handler)
