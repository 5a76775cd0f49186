"""Shared set-up of the conversion benchmarks: Django on a throw-away SQLite database, a local sandbox org.

Not a benchmark itself; imported by bench/conversion_*.py.
"""

import os
import socket
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DATA_DIR = tempfile.mkdtemp(prefix="leadflow-bench-")
os.environ.setdefault("LEADFLOW_DATA_DIR", DATA_DIR)
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "leadflow.settings")
os.environ.setdefault("LOG_LEVEL", "WARNING")
os.environ["CELERY_TASK_ALWAYS_EAGER"] = "false"
# The benchmarks run the task bodies themselves; queued wake-ups go to an in-memory broker and are dropped (unless
# a benchmark that starts real workers chose their broker first).
os.environ.setdefault("CELERY_BROKER_URL", "memory://")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.core.cache import cache, caches  # noqa: E402
from django.core.management import call_command  # noqa: E402

from leadflow.leads.models import Lead, LeadState  # noqa: E402


@contextmanager
def sandbox_org(name: str = "sandbox"):
    """A fresh sandbox org in its own process (as a real org is remote), the app pointed at it; yields its URL.
    Each `name` is an org of its own (its own SQLite file)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url = f"http://127.0.0.1:{port}"
    command = [sys.executable, "manage.py", "salesforce_sandbox", "--port", str(port), "--api-limit", "1000000"]
    command += ["--db", str(Path(DATA_DIR) / f"{name}.sqlite3")]
    server = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    try:
        _wait_until_listening(url)
        settings.SALESFORCE_INSTANCE_URL = url
        settings.SALESFORCE_TOKEN_URL = f"{url}/services/oauth2/token"
        for each in (cache, caches["salesforce"]):
            each.clear()
        yield url
    finally:
        server.terminate()
        server.wait(timeout=20)


def _wait_until_listening(url: str, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            requests.get(f"{url}/_sandbox/stats", timeout=1)
            return
        except requests.ConnectionError:
            time.sleep(0.1)
    raise RuntimeError(f"The sandbox at {url} did not start")


def api_calls(url: str) -> int:
    return requests.get(f"{url}/_sandbox/stats", timeout=10).json()["api_calls_used"]


def endpoint_calls(url: str, endpoint: str) -> int:
    """API calls the org counted on one endpoint, e.g. "POST /composite/graph"."""
    return requests.get(f"{url}/_sandbox/stats", timeout=10).json()["calls_by_endpoint"].get(endpoint, 0)


def prepare_database() -> None:
    call_command("migrate", verbosity=0)


def qualified_leads(count: int, *, prefix: str) -> list[Lead]:
    """Qualified leads of distinct companies, as the pipeline leaves them."""
    return Lead.objects.bulk_create(
        Lead(
            first_name="Anna",
            last_name=f"Bakker {n}",
            email=f"anna@{prefix}-company{n}.nl",
            phone="+31201234567",
            company=f"{prefix.title()} Company {n} B.V.",
            website=f"https://www.{prefix}-company{n}.nl",
            vat_number=f"NL{n:09d}B01",
            city="Utrecht",
            country="NL",
            message="Interested in a demo.",
            state=LeadState.QUALIFIED,
        )
        for n in range(count)
    )
