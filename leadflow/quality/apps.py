from django.apps import AppConfig


class QualityConfig(AppConfig):
    name = "leadflow.quality"
