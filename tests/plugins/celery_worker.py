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
from tests.helpers import wait_for

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
    previous = celery_app.conf.broker_url
    publish_to(REDIS_URL, eager=False)
    worker = start_celery_worker(tmp_path / "worker.log")
    try:
        yield worker
    finally:
        stop_celery_worker(worker)
        publish_to(previous, eager=True)


@pytest.fixture
def publish_tasks_to():
    """Point this test's publishing at a broker URL of its choice (tasks no longer run in-process; nobody consumes
    them unless the test starts a worker); in-process again afterwards."""
    previous = celery_app.conf.broker_url
    yield lambda url: publish_to(url, eager=False)
    publish_to(previous, eager=True)


def celery_worker_command(
    *, hostname: str, pool: str = "solo", loglevel: str = "INFO", concurrency: int | None = None
) -> list[str]:
    """`celery worker` as tests and benchmarks start it: alone, so without gossip, mingle or heartbeat."""
    command = [sys.executable, "-m", "celery", "-A", "leadflow", "worker", f"--pool={pool}", f"--loglevel={loglevel}"]
    command += [f"--hostname={hostname}-{os.getpid()}-{time.monotonic_ns()}@%h"]
    command += ["--without-gossip", "--without-mingle", "--without-heartbeat"]
    return command + ([f"--concurrency={concurrency}"] if concurrency else [])


def start_celery_worker(
    log: Path, *, broker_url: str = REDIS_URL, env: dict[str, str] | None = None
) -> subprocess.Popen:
    """A worker process on this test's database and `broker_url`, ready to consume (another may follow a kill);
    `env` adds settings for the worker only."""
    env = {**os.environ, **(env or {}), "DATABASE_URL": test_database_url(), "CELERY_BROKER_URL": broker_url}
    command = celery_worker_command(hostname="test")
    worker = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT)
    wait_until_ready(worker, log)
    return worker


def stop_celery_worker(worker: subprocess.Popen) -> None:
    if worker.poll() is None:
        worker.terminate()
        worker.wait(timeout=20)


def publish_to(broker_url: str, *, eager: bool) -> None:
    """Publish this process's tasks to `broker_url` (`eager`: run them in-process instead)."""
    celery_app.conf.update(broker_url=broker_url, task_always_eager=eager)
    # Producer pools are bound to the broker URL on first use; this is Celery's own reset after a fork.
    celery_app._after_fork()


def wait_until_ready(worker: subprocess.Popen, log: Path, timeout: float = 120) -> None:
    """Until the worker logs "ready."; its log is in the error when it exits or never gets there."""
    if not wait_for(lambda: worker.poll() is not None or "ready." in log.read_text(), timeout=timeout, interval=0.2):
        raise RuntimeError(f"Celery worker not ready after {timeout}s:\n{log.read_text()}")
    if worker.poll() is not None:
        raise RuntimeError(f"Celery worker exited early:\n{log.read_text()}")
