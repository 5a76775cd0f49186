"""Operations for migrations that move a model to another app without touching its table."""

from django.db import migrations


def content_types_move(*, old_label: str, new_label: str, models: list[str]) -> migrations.RunPython:
    """Relabel the moved models' content types, so their permissions (and the groups holding them) carry over
    instead of new ones being created beside stale rows. A fresh database has none yet: nothing to do."""

    def forwards(apps, schema_editor):
        ContentType = apps.get_model("contenttypes", "ContentType")
        for model in models:
            if not ContentType.objects.filter(app_label=new_label, model=model).exists():
                ContentType.objects.filter(app_label=old_label, model=model).update(app_label=new_label)

    def backwards(apps, schema_editor):
        ContentType = apps.get_model("contenttypes", "ContentType")
        ContentType.objects.filter(app_label=new_label, model__in=models).update(app_label=old_label)

    return migrations.RunPython(forwards, backwards)
