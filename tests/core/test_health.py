"""`/health/` for load balancers and Compose: database, cache, broker and periodic work, each named when failing."""

import socket
from datetime import timedelta

import pytest
from django.utils import timezone

from leadflow import celery_app
from leadflow.core.models import Heartbeat
from leadflow.core.tasks import beat_heartbeat

# The checks run in worker threads with their own connections: they see only committed rows.
pytestmark = pytest.mark.django_db(transaction=True)


def _health(client):
    response = client.get("/health/", {"format": "json"})
    # Keys are the checks' reprs: "Database(alias='default')", "Broker()", ...
    return response.status_code, {name.partition("(")[0]: result for name, result in response.json().items()}


def test_healthy_when_the_heartbeat_task_ran_recently(client):
    beat_heartbeat()  # what the beat schedule has a worker run every 30 s
    status, checks = _health(client)
    assert status == 200
    assert set(checks) == {"Database", "Cache", "Broker", "Beat"}
    assert all(result == "OK" for result in checks.values())


def test_unhealthy_and_says_why_when_no_periodic_task_has_run_lately(client, settings):
    Heartbeat.objects.create(
        name="beat", at=timezone.now() - timedelta(seconds=settings.LEADFLOW_BEAT_STALE_SECONDS + 60)
    )
    status, checks = _health(client)
    assert status == 500
    assert "is celery beat (and a worker) running?" in checks["Beat"]


def test_unhealthy_when_the_broker_cannot_be_reached(client):
    beat_heartbeat()
    previous = celery_app.conf.broker_url
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        unreachable = f"redis://127.0.0.1:{closed.getsockname()[1]}/0"  # nothing listens there
    celery_app.conf.update(broker_url=unreachable)
    try:
        status, checks = _health(client)
    finally:
        celery_app.conf.update(broker_url=previous)
    assert status == 500
    assert checks["Broker"] == "Unavailable: The Celery broker cannot be reached."


def test_the_web_probe_checks_only_what_serving_pages_needs(client):
    response = client.get("/health/web/", {"format": "json"})  # no heartbeat yet: beat is not its concern
    assert response.status_code == 200
    assert {name.partition("(")[0] for name in response.json()} == {"Database", "Cache"}


def test_the_probe_over_plain_http_is_not_redirected_to_https(client, settings):
    settings.SECURE_SSL_REDIRECT = True
    beat_heartbeat()
    assert client.get("/health/").status_code == 200
    assert client.get("/health/web/").status_code == 200
    assert client.get("/login/").status_code == 301  # everything else still is
