from django.apps import AppConfig


class CrmConfig(AppConfig):
    name = "leadflow.crm"
    verbose_name = "Conversions"

    def ready(self) -> None:
        from leadflow.crm import targets  # noqa: F401 (registers the system check)
