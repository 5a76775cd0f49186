"""N converted customers to the SnelStart and Business Central stand-ins with W worker threads: duplicates, 429s
and calls per customer.

    DATABASE_URL=postgres://…/<own database> .venv/bin/python bench/sync_accounting.py [--customers 1000]
        [--workers 4] [--existing 0.2]

The database is flushed first (use a database of your own). Each target gets a fresh stand-in over real HTTP;
`--existing` of the customers are already in the accounting system with their KvK/VAT number written differently
(`6808 5012`, `NL 6813.37.223.B01`), and must be matched, not created again. The call budget is set to the
stand-in's limit, so any 429 means workers overshot it. Workers are threads in this process, each with its own
database connection, claiming due jobs exactly as Celery workers do (`sync_job_deliver`).
"""

import argparse
import os
import sys
import threading
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "leadflow.settings")
os.environ.update(CELERY_BROKER_URL="memory://localhost/", LOG_LEVEL="WARNING")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.utils import timezone  # noqa: E402

from leadflow.core.normalize import identifier_key  # noqa: E402
from leadflow.crm.models import Conversion, ConversionStatus  # noqa: E402
from leadflow.leads.models import Lead, LeadState  # noqa: E402
from leadflow.sync import services  # noqa: E402
from leadflow.sync.models import JobState, SyncJob, SyncTarget  # noqa: E402
from leadflow.sync.selectors import sync_due_job_ids  # noqa: E402
from standins.businesscentral import make_server as businesscentral_server  # noqa: E402
from standins.snelstart import make_server as snelstart_server  # noqa: E402

LIMIT = 6000  # calls per window, on both sides: the stand-in's limit and Leadflow's budget


def kvk(n: int) -> str:
    return f"{60000000 + n:08d}"


def vat(n: int) -> str:
    return f"NL{800000000 + n:09d}B01"


def accounting_target(kind: str, **settings: object) -> SyncTarget:
    """The target of that kind, Leadflow leading contact and company data and the accounting system the address."""
    leading = {"leading_contact": "leadflow", "leading_company": "leadflow", "leading_address": "target"}
    return SyncTarget.objects.create(name=kind, kind=kind, settings=settings | leading)


def snelstart(existing: list[int]) -> tuple[SyncTarget, object, object]:
    server = snelstart_server("127.0.0.1", 0, calls_per_period=LIMIT, renewal_period=60.0)
    standin = server.standin
    url = f"http://127.0.0.1:{server.server_address[1]}"
    for n in existing:
        standin.add_relatie(naam=f"Bestaand {n}", kvkNummer=kvk(n))
    target = accounting_target(
        "snelstart",
        api_url=f"{url}/v2",
        auth_url=f"{url}/b2b/token",
        subscription_key=standin.subscription_key,
        client_key=standin.client_key,
        calls_per_minute=LIMIT,
    )
    created = lambda: list(standin.relaties.values())  # noqa: E731
    return target, server, (standin, created, lambda r: identifier_key(r.get("kvkNummer") or ""))


def businesscentral(existing: list[int]) -> tuple[SyncTarget, object, object]:
    server = businesscentral_server("127.0.0.1", 0, calls_per_window=LIMIT, window_seconds=300.0)
    standin = server.standin
    for n in existing:
        formatted = f"NL {vat(n)[2:6]}.{vat(n)[6:8]}.{vat(n)[8:11]}.B01"
        standin.add_customer(displayName=f"Bestaand {n}", taxRegistrationNumber=formatted[:20])
    target = accounting_target(
        "businesscentral",
        login_url=standin.url,
        api_url=f"{standin.url}/v2.0",
        tenant_id=standin.tenant,
        environment=standin.environment,
        company_id=standin.company_id,
        client_id=standin.client_id,
        client_secret=standin.client_secret,
        number_prefix="LF",
        calls_per_five_minutes=LIMIT,
    )
    created = lambda: list(standin.customers.values())  # noqa: E731
    return target, server, (standin, created, lambda c: identifier_key(c.get("taxRegistrationNumber") or ""))


def convert_all(customers: int, existing: set[int]) -> None:
    """Converted leads; the existing ones carry their identifiers in another format than the accounting system."""
    for n in range(customers):
        formatted_kvk = f"{kvk(n)[:4]} {kvk(n)[4:]}" if n in existing else kvk(n)
        lead = Lead.objects.create(
            state=LeadState.CONVERTED,
            company=f"Klant {n} B.V.",
            first_name="Anna",
            last_name=f"Klant{n}",
            email=f"info{n}@klant.example",
            registration_number=formatted_kvk,
            vat_number=vat(n).lower() if n in existing else vat(n),
            street=f"Dorpsstraat {n}",
            postcode="1234 AB",
            city="Utrecht",
            country="NL",
        )
        conversion = Conversion.objects.create(
            lead=lead, status=ConversionStatus.DONE, account_id=f"001BB{n:013d}", contact_id="", opportunity_id=""
        )
        with transaction.atomic():
            services.outbox_enqueue_conversion(lead=lead, conversion=conversion)


def work(stop: threading.Event) -> None:
    try:
        while not stop.is_set():
            due = sync_due_job_ids(now=timezone.now(), limit=20)
            if not due:
                if not SyncJob.objects.filter(state__in=[JobState.PENDING, JobState.IN_FLIGHT]).exists():
                    return
                # A deferral pauses the target until a budget slot frees: the bench need not sit that out, and
                # any 429 it causes is counted below.
                SyncTarget.objects.update(paused_until=None)
                time.sleep(0.05)
            for job_id in due:
                services.sync_job_deliver(job_id=job_id)
    finally:
        connection.close()


def run(kind: str, make, customers: int, workers: int, share: float) -> None:
    call_command("flush", interactive=False, verbosity=0)
    existing = set(range(0, customers, max(1, round(1 / share)))) if share else set()
    target, server, (standin, stored, key) = make(sorted(existing))
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    convert_all(customers, existing)
    started = time.monotonic()
    stop = threading.Event()
    threads = [threading.Thread(target=work, args=(stop,)) for _ in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.monotonic() - started
    server.shutdown()
    states = Counter(SyncJob.objects.filter(target=target).values_list("state", flat=True))
    keys = Counter(key(record) for record in stored())
    duplicates = sum(count - 1 for k, count in keys.items() if k and count > 1)
    api_calls = [c for c in standin.calls if "token" not in c["path"]]
    refused = sum(1 for c in api_calls if c["status"] == 429)
    print(
        f"{kind}: {customers} customers ({len(existing)} already there, identifiers formatted differently), "
        f"{workers} workers: jobs {dict(states)}; records now {len(stored())} (expected {customers}); "
        f"duplicates {duplicates}; API calls {len(api_calls)} = {len(api_calls) / customers:.2f} per customer; "
        f"429s {refused}; token requests {len(standin.calls) - len(api_calls)}; wall {wall:.1f} s"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=1000)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--existing", type=float, default=0.2, help="share of customers already there")
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        sys.exit("Run with DATABASE_URL of a PostgreSQL database of your own: workers write at the same time.")
    call_command("migrate", verbosity=0)
    for kind, make in (("SnelStart", snelstart), ("Business Central", businesscentral)):
        run(kind, make, args.customers, args.workers, args.existing)


if __name__ == "__main__":
    main()
