from django.apps import AppConfig
from django.db.models.signals import post_migrate


class CoreConfig(AppConfig):
    name = "leadflow.core"

    def ready(self) -> None:
        from leadflow.core import checks  # noqa: F401 (registers the deploy checks)
        from leadflow.core.seeding import seeded_data_restore

        post_migrate.connect(seeded_data_restore, sender=self, dispatch_uid="leadflow.core.seeded_data_restore")
