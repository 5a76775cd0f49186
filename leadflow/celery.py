"""The Celery app. Configuration comes from Django settings (CELERY_* names)."""

import os

from celery import Celery

from leadflow.core import broker

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "leadflow.settings")

broker.register()
app = Celery("leadflow")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
