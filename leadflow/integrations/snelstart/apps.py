from django.apps import AppConfig


class SnelStartConfig(AppConfig):
    name = "leadflow.integrations.snelstart"
    label = "snelstart"
    verbose_name = "SnelStart"
