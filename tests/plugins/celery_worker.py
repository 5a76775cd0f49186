"""A real Celery worker process for tests, consuming from the Redis at 127.0.0.1:6379 and using the test database."""

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
import redis
from django.db import connection

from leadflow import celery_app

# One Redis database per pytest-xdist worker, so parallel test processes never consume each other's tasks.
# LEADFLOW_TEST_REDIS_SERVER points a whole run at another Redis server (e.g. two checkouts tested at once).
_XDIST_INDEX = int(os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw") or 0)
REDIS_SERVER = os.environ.get("LEADFLOW_TEST_REDIS_SERVER", "redis://127.0.0.1:6379")
REDIS_URL = os.environ.get("LEADFLOW_TEST_REDIS_URL", f"{REDIS_SERVER}/{15 - _XDIST_INDEX % 8}")
ROOT = Path(__file__).resolve().parents[2]


def test_database_url() -> str:
    """The URL of the database this test runs against, for another process to open."""
    s = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{s['NAME']}"
    return f"postgres://{s['USER'] or 'postgres'}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


@pytest.fixture
def celery_worker_process(transactional_db, tmp_path):
    """Start `celery worker` against Redis; tasks queued in the test are published there, not run in-process."""
    redis.Redis.from_url(REDIS_URL).flushdb()
    env = {**os.environ, "DATABASE_URL": test_database_url(), "CELERY_BROKER_URL": REDIS_URL}
    log = tmp_path / "worker.log"
    worker = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "leadflow",
            "worker",
            "--pool=solo",
            "--loglevel=INFO",
            f"--hostname=test-{os.getpid()}@%h",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
        ],
        cwd=ROOT,
        env=env,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
    )
    previous = celery_app.conf.broker_url
    _publish_to(REDIS_URL, eager=False)
    try:
        _wait_until_ready(worker, log)
        yield worker
    finally:
        worker.terminate()
        worker.wait(timeout=20)
        _publish_to(previous, eager=True)


def _publish_to(broker_url: str, *, eager: bool) -> None:
    celery_app.conf.update(broker_url=broker_url, task_always_eager=eager)
    # Producer pools are bound to the broker URL on first use; this is Celery's own reset after a fork.
    celery_app._after_fork()


def _wait_until_ready(worker: subprocess.Popen, log: Path, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if worker.poll() is not None:
            raise RuntimeError(f"Celery worker exited early:\n{log.read_text()}")
        if "ready." in log.read_text():
            return
        time.sleep(0.2)
    raise RuntimeError(f"Celery worker not ready after {timeout}s:\n{log.read_text()}")
