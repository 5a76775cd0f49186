from django.apps import AppConfig
from django.db.models.signals import post_migrate


class CoreConfig(AppConfig):
    name = "leadflow.core"

    def ready(self) -> None:
        from django.conf import settings

        from leadflow.core import checks  # noqa: F401 (registers the plug-in and deploy checks)
        from leadflow.core.seeding import seeded_data_restore

        # The embedded default's runtime files (SQLite database, broker folders, beat schedule) live here: made
        # when the project starts, so reading the settings (a tool, an import) never writes to disk.
        settings.DATA_DIR.mkdir(parents=True, exist_ok=True)
        post_migrate.connect(seeded_data_restore, sender=self, dispatch_uid="leadflow.core.seeded_data_restore")
