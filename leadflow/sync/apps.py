from django.apps import AppConfig


class SyncConfig(AppConfig):
    name = "leadflow.sync"
