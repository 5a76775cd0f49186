from django.apps import AppConfig


class ExactConfig(AppConfig):
    name = "leadflow.integrations.exact"
    label = "exact"
    verbose_name = "Exact Online"
