"""Webhook jobs delivered per second by 4 Celery worker processes, against one worker loop in this process.

    /work/main/.venv/bin/python bench/sync_webhook.py [--jobs 5000] [--concurrency 4]

Needs PostgreSQL and Redis (defaults: postgres://postgres@127.0.0.1:5432/lf_sync, redis://127.0.0.1:6379/8;
override with BENCH_DATABASE_URL / BENCH_BROKER_URL). The bench empties the sync tables of that database.
The receiver is a threaded HTTP server in this process answering 204 to every signed POST.
"""

import argparse
import os
import subprocess
import sys
import threading
import time
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
DATABASE_URL = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/lf_sync")
BROKER_URL = os.environ.get("BENCH_BROKER_URL", "redis://127.0.0.1:6379/8")
os.environ.update(
    DJANGO_SETTINGS_MODULE="leadflow.settings",
    DATABASE_URL=DATABASE_URL,
    CELERY_BROKER_URL=BROKER_URL,
    LOG_LEVEL="WARNING",
)

import django  # noqa: E402

django.setup()

import redis  # noqa: E402
from django.core.management import call_command  # noqa: E402

from leadflow.leads.models import Lead  # noqa: E402
from leadflow.sync import services  # noqa: E402
from leadflow.sync.events import CUSTOMER_CONVERTED, customer_payload  # noqa: E402
from leadflow.sync.models import DeliveryAttempt, JobState, SyncJob, SyncTarget  # noqa: E402
from leadflow.sync.tasks import deliver_sync_job  # noqa: E402
from tests.plugins.celery_worker import celery_worker_command  # noqa: E402

received: set[str] = set()
lock = threading.Lock()


class Receiver(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers["Content-Length"]))
        with lock:
            received.add(self.headers["X-Leadflow-Delivery"])
        self.send_response(204)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        pass


def make_jobs(target: SyncTarget, lead: Lead, count: int) -> list[int]:
    payload = customer_payload(lead=lead, conversion=None)
    jobs = SyncJob.objects.bulk_create(
        SyncJob(target=target, lead=lead, event=CUSTOMER_CONVERTED, payload=payload) for _ in range(count)
    )
    return [job.pk for job in jobs]


def wait_until_done(total: int) -> None:
    while SyncJob.objects.filter(state=JobState.DONE).count() < total:
        time.sleep(0.1)


def in_process(job_ids: list[int]) -> float:
    started = time.perf_counter()
    for job_id in job_ids:
        services.sync_job_deliver(job_id=job_id)
    return len(job_ids) / (time.perf_counter() - started)


def with_workers(job_ids: list[int], concurrency: int, already_done: int) -> float:
    """Jobs/s from the first attempt's start to the last one's end, so neither publishing the tasks nor the
    pool's start-up is counted."""
    for job_id in job_ids:
        deliver_sync_job.delay(job_id)
    worker = subprocess.Popen(
        celery_worker_command(hostname="bench", pool="prefork", loglevel="WARNING", concurrency=concurrency),
        cwd=ROOT,
        env=os.environ.copy(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_until_done(already_done + len(job_ids))
    finally:
        worker.terminate()
        worker.wait(timeout=30)
    attempts = DeliveryAttempt.objects.filter(job_id__in=job_ids).values_list("started_at", "duration_ms")
    first = min(started for started, _ in attempts)
    last = max(started + timedelta(milliseconds=duration) for started, duration in attempts)
    return len(job_ids) / (last - first).total_seconds()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--jobs", type=int, default=5000)
    parser.add_argument("--concurrency", type=int, default=4)
    args = parser.parse_args()

    call_command("migrate", verbosity=0)
    redis.Redis.from_url(BROKER_URL).flushdb()
    SyncJob.objects.all().delete()
    SyncTarget.objects.all().delete()
    server = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    target = SyncTarget.objects.create(
        name="bench-webhook",
        kind="webhook",
        settings={
            "url": f"http://127.0.0.1:{server.server_address[1]}/hook",
            "secret": "bench",
            "events": [CUSTOMER_CONVERTED],
            "timeout_seconds": 10,
        },
    )
    lead = Lead.objects.create(company="Bench B.V.", source="bench")

    baseline_jobs = make_jobs(target, lead, max(args.jobs // 10, 100))
    baseline = in_process(baseline_jobs)
    worker_jobs = make_jobs(target, lead, args.jobs)
    workers = with_workers(worker_jobs, args.concurrency, len(baseline_jobs))

    total = len(baseline_jobs) + len(worker_jobs)
    print(f"one loop in this process: {baseline:.0f} jobs/s ({len(baseline_jobs)} jobs)")
    print(
        f"{args.concurrency} worker processes: {workers:.0f} jobs/s ({len(worker_jobs)} jobs) = "
        f"{workers / baseline:.2f}x"
    )
    print(
        f"distinct deliveries received: {len(received)} of {total} jobs; "
        f"attempts recorded: {target.delivery_attempts.count()}"
    )
    lead.delete()
    target.delete()


if __name__ == "__main__":
    main()
