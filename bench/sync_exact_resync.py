"""Full re-sync of N converted customers to the Exact Online stand-in, within 60 calls/minute and 5000/day.

    /work/main/.venv/bin/python bench/sync_exact_resync.py [--customers 10000]

Leadflow's delivery loop runs in this process against a fresh SQLite database; the stand-in runs on a free port.
Waiting for Exact's limits would take days of wall time, so when every job is deferred the bench moves two clocks
forward by the same amount: the stand-in's (its control API) and Django's `timezone.now` (the one seam patched
here). Nothing else is simulated: every call is real HTTP, rate-limit headers decide the pauses, access tokens
expire after 10 simulated minutes and are refreshed.
Prints simulated and wall time, calls per customer and how many calls Exact refused (429): none means every
call fitted in the stand-in's 60-a-minute and 5000-a-day windows.
Wall time grows with the square of N: the stand-in decodes every stored account for each look-up and create.
"""

import argparse
import os
import sys
import tempfile
import threading
import time
from datetime import timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
WORKDIR = Path(tempfile.mkdtemp(prefix="lf-bench-exact-"))
os.environ.update(
    DJANGO_SETTINGS_MODULE="leadflow.settings",
    DATABASE_URL=f"sqlite:///{WORKDIR / 'bench.sqlite3'}",
    LEADFLOW_DATA_DIR=str(WORKDIR),
    CELERY_BROKER_URL="memory://localhost/",  # This loop is the worker; task messages are not needed.
    LOG_LEVEL="WARNING",
)

import django  # noqa: E402

django.setup()

import requests  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db.models import Max, Min  # noqa: E402
from django.utils import timezone  # noqa: E402
from tqdm import tqdm  # noqa: E402

from leadflow.crm.models import Conversion, ConversionStatus  # noqa: E402
from leadflow.integrations.exact.models import ExactConnection  # noqa: E402
from leadflow.integrations.exact.target import DEFAULT_FIELD_MAPPING  # noqa: E402
from leadflow.leads.models import Lead, LeadState  # noqa: E402
from leadflow.sync import services  # noqa: E402
from leadflow.sync.models import JobState, SyncJob, SyncTarget  # noqa: E402
from leadflow.sync.selectors import sync_due_job_ids  # noqa: E402
from standins.exact import make_server  # noqa: E402

real_now = timezone.now
skipped = timedelta()


def simulated_now():
    return real_now() + skipped


def start_standin():
    server = make_server("127.0.0.1", 0, WORKDIR / "standin.sqlite3")
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return f"http://127.0.0.1:{server.server_address[1]}", server.standin.config


def connect(url: str, config, target: SyncTarget) -> None:
    """The OAuth code flow, as an admin clicking "Allow" would run it."""
    consent = requests.post(
        f"{url}/api/oauth2/auth",
        data={
            "client_id": config.client_id,
            "redirect_uri": config.redirect_uri,
            "response_type": "code",
            "state": "bench",
            "decision": "approve",
        },
        allow_redirects=False,
        timeout=5,
    )
    code = parse_qs(urlsplit(consent.headers["Location"]).query)["code"][0]
    tokens = requests.post(
        f"{url}/api/oauth2/token",
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": config.redirect_uri,
            "client_id": config.client_id,
            "client_secret": config.client_secret,
        },
        timeout=5,
    ).json()
    ExactConnection.objects.create(
        target=target,
        access_token=tokens["access_token"],
        refresh_token=tokens["refresh_token"],
        access_expires_at=timezone.now() + timedelta(seconds=int(tokens["expires_in"])),
        connected_at=timezone.now(),
    )


def make_customers(count: int) -> None:
    leads = Lead.objects.bulk_create(
        Lead(
            company=f"Klant {n} B.V.",
            registration_number=f"{10_000_000 + n}",
            vat_number=f"NL{n:09d}B01",
            email=f"info@klant{n}.nl",
            city="Utrecht",
            country="NL",
            source="bench",
        )
        for n in range(count)
    )
    Lead.objects.update(state=LeadState.CONVERTED)
    Conversion.objects.bulk_create(
        Conversion(lead=lead, status=ConversionStatus.DONE, account_id=f"001{lead.pk:015d}") for lead in leads
    )


def standin_now(url: str) -> float:
    return requests.get(f"{url}/_standin/clock", timeout=5).json()["now"]


def skip_ahead(url: str) -> float:
    """Every job waits: move both clocks to the moment the first one is due again."""
    global skipped
    due = SyncJob.objects.filter(state=JobState.PENDING).aggregate(first=Min("next_attempt_at"))["first"]
    paused_until = SyncTarget.objects.aggregate(last=Max("paused_until"))["last"]
    wake = max(due, paused_until) if paused_until else due
    seconds = max((wake - simulated_now()).total_seconds(), 0) + 0.01
    requests.post(f"{url}/_standin/clock", json={"advance_seconds": seconds}, timeout=5).raise_for_status()
    skipped += timedelta(seconds=seconds)
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--customers", type=int, default=10_000)
    customers = parser.parse_args().customers

    call_command("migrate", verbosity=0)
    timezone.now = simulated_now  # The one seam: Leadflow's clock moves with the stand-in's.
    url, config = start_standin()
    os.environ["EXACT_BASE_URL"] = url
    from django.conf import settings

    settings.EXACT_BASE_URL = url
    target = SyncTarget.objects.create(
        name="exact-bench", kind="exact", settings={"division": config.division, "field_mapping": DEFAULT_FIELD_MAPPING}
    )
    connect(url, config, target)
    make_customers(customers)

    wall, started = time.monotonic(), standin_now(url)
    services.sync_target_resync(target=target)
    with tqdm(total=customers, unit="customer", desc="Delivering") as bar:
        done = 0
        while done < customers:
            # What the beat sweeper would hand to the workers now.
            for job_id in sync_due_job_ids(now=simulated_now(), limit=200):
                services.sync_job_deliver(job_id=job_id)
            finished = SyncJob.objects.exclude(state__in=[JobState.PENDING, JobState.IN_FLIGHT]).count()
            bar.update(finished - done)
            done = finished
            if done < customers and not sync_due_job_ids(now=simulated_now(), limit=1):
                skip_ahead(url)
    wall = time.monotonic() - wall
    simulated_minutes = (standin_now(url) - started) / 60

    stats = requests.get(f"{url}/_standin/stats", timeout=5).json()
    calls = requests.get(f"{url}/_standin/calls", timeout=5).json()["calls"]
    api_calls = [c for c in calls if c["path"].startswith("/api/v1/")]
    refused = sum(1 for c in api_calls if c["status"] == 429)
    expired = sum(1 for c in api_calls if c["status"] == 401)
    print(f"customers: {customers}, jobs done: {SyncJob.objects.filter(state=JobState.DONE).count()}")
    print(f"debtors in Exact: {stats['accounts']} (creates {stats['creates']})")
    print(f"API calls: {len(api_calls)} = {len(api_calls) / customers:.2f} per customer ({stats['calls_by_endpoint']})")
    print(
        f"token refreshes: {stats['calls_by_endpoint'].get('POST oauth2/token', 0) - 1}, "
        f"calls refused (429): {refused}, with an expired token (401): {expired}"
    )
    print(
        f"simulated time: {simulated_minutes / 60:.1f} h = {simulated_minutes / 1440:.2f} days "
        f"({len(api_calls) / simulated_minutes:.1f} calls per minute on average); wall time: {wall:.0f} s"
    )


if __name__ == "__main__":
    main()
