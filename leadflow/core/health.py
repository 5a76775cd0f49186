"""`/health/` (django-health-check): the database, the cache, the Celery broker and whether periodic work runs.

200 when all pass, 500 otherwise; `?format=json` or `Accept: application/json` for details. Each check names what
is wrong, never a secret. `/health/web/` checks only what serving pages needs (database, cache).
"""

import dataclasses
import datetime

from django.conf import settings
from django.utils import timezone
from health_check.base import HealthCheck
from health_check.exceptions import ServiceUnavailable
from health_check.views import HealthCheckView

from leadflow import celery_app
from leadflow.core.models import Heartbeat

BEAT = "beat"


@dataclasses.dataclass
class Broker(HealthCheck):
    """The Celery broker accepts a connection (Redis, RabbitMQ or the embedded file-system broker)."""

    timeout = datetime.timedelta(seconds=5)

    def run(self) -> None:
        try:
            with celery_app.connection_for_write() as connection:
                connection.ensure_connection(max_retries=1, timeout=3)
        except Exception as exc:
            raise ServiceUnavailable("The Celery broker cannot be reached.") from exc


@dataclasses.dataclass
class Beat(HealthCheck):
    """The beat heartbeat task ran recently: beat publishes it and a worker runs it, so both are alive."""

    def run(self) -> None:
        heartbeat = Heartbeat.objects.filter(name=BEAT).first()
        limit = datetime.timedelta(seconds=settings.LEADFLOW_BEAT_STALE_SECONDS)
        if heartbeat is None:
            raise ServiceUnavailable("No periodic task has run yet: start celery beat and a worker.")
        if timezone.now() - heartbeat.at > limit:
            age = int((timezone.now() - heartbeat.at).total_seconds())
            raise ServiceUnavailable(f"No periodic task has run for {age} s: is celery beat (and a worker) running?")


SERVING = ("health_check.checks.Database", "health_check.checks.Cache")
# Everything: for monitoring, alerting and Compose. A load balancer routes on `health_web` instead, so a stopped beat
# or broker (which delays background work) never takes every web node out of rotation.
health = HealthCheckView.as_view(checks=(*SERVING, Broker, Beat))
# Can this web process serve pages? For a load balancer's routing and the web container's HEALTHCHECK.
health_web = HealthCheckView.as_view(checks=SERVING)
