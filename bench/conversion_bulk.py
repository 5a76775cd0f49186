"""Bulk conversion of 1,000 qualified leads against the local sandbox org, which enforces Salesforce's Composite
Graph limits (a request of more than 75 graphs is refused whole; after 14 failed graphs the rest are halted).

Run: .venv/bin/python bench/conversion_bulk.py [leads, default 1000]
  LEADFLOW_BENCH_DATABASE_URL=postgres://...   database for the run (default: a throw-away SQLite file); the
                                               "killed" run needs PostgreSQL (a worker process writes at once)
  LEADFLOW_BENCH_REDIS=redis://127.0.0.1:6379/14   broker of the "killed" run's workers (flushed first)

Runs, each in a fresh org:
  clean     every lead converts;
  refused   20 leads are blocked by a duplicate rule, all in the first batch, so Salesforce halts the rest of that
            request after the 15th failure: exactly those 20 must fail, the halted ones are retried;
  killed    a real Celery worker is killed with SIGKILL while it holds a claimed batch; a new worker starts and
            the sweeper (run here every second, as beat would) takes over: every lead converts exactly once.
Prints write calls (Composite Graph requests) per converted lead; lookups cost one Composite per batch on top.
"""

import os
import subprocess
import sys
import time
from pathlib import Path

if os.environ.get("LEADFLOW_BENCH_DATABASE_URL"):
    os.environ["DATABASE_URL"] = os.environ["LEADFLOW_BENCH_DATABASE_URL"]
# One broker for the whole run, chosen before Celery starts: a process that switches brokers after publishing
# keeps sending to the first one, so the "killed" run's workers would never see its conversions.
os.environ["CELERY_BROKER_URL"] = os.environ.get("LEADFLOW_BENCH_REDIS", "redis://127.0.0.1:6379/14")

from conversion_setup import ROOT, endpoint_calls, prepare_database, qualified_leads, sandbox_org  # noqa: I001

import redis
import requests
from django.conf import settings
from django.core.management import call_command

from leadflow import celery_app
from leadflow.crm import services
from leadflow.crm.models import Conversion, ConversionStatus
from leadflow.crm.tasks import sweep_conversions
from leadflow.leads.models import Lead, LeadState
from tests.plugins.celery_worker import celery_worker_command, wait_until_ready

COUNT = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
REDIS = os.environ["CELERY_BROKER_URL"]
REFUSED = 20
GRAPH_CALLS = "POST /composite/graph"


def leads_with_own_phones(prefix: str) -> list[Lead]:
    leads = qualified_leads(COUNT, prefix=prefix)
    for n, lead in enumerate(leads):
        lead.phone = f"+3130{n:07d}"
    Lead.objects.bulk_update(leads, ["phone"])
    return leads


def convert_in_process(leads: list[Lead]) -> None:
    """Request, run, and run again what is due (as the sweeper would) until nothing is pending."""
    services.leads_convert_request(leads=leads, actor="bench")
    services.leads_convert_run(lead_ids=[lead.pk for lead in leads])
    pending = Conversion.objects.filter(lead__in=leads, status=ConversionStatus.REQUESTED)
    while pending.exists():
        pending.update(next_attempt_at=None)
        services.leads_convert_run(lead_ids=list(pending.values_list("lead_id", flat=True)))


def report(name: str, org: str, leads: list[Lead], *, expected_failures: int = 0) -> None:
    statuses = dict(Conversion.objects.filter(lead__in=leads).values_list("lead_id", "status"))
    done = sum(status == ConversionStatus.DONE for status in statuses.values())
    failed = [lead for lead in leads if statuses.get(lead.pk) == ConversionStatus.FAILED]
    accounts = requests.get(f"{org}/_sandbox/records/Account", timeout=30).json()["records"]
    keys = [account["Leadflow_Id__c"] for account in accounts]
    retried = Conversion.objects.filter(lead__in=leads, attempts__gt=1).count()
    assert done == len(leads) - expected_failures, f"{name}: {done} of {len(leads)} converted"
    assert len(failed) == expected_failures, f"{name}: {len(failed)} failed"
    assert len(keys) == len(set(keys)) == done, f"{name}: {len(keys)} Accounts for {done} conversions"
    writes = endpoint_calls(org, GRAPH_CALLS)
    print(
        f"{name:<8} {done:>5} converted, {len(failed):>3} failed, {len(keys):>5} Accounts (one per conversion), "
        f"{writes:>3} graph requests = {writes / len(leads):.4f} write calls per lead; {retried} needed a 2nd attempt"
    )


def run_clean() -> None:
    with sandbox_org("clean") as org:
        leads = leads_with_own_phones("clean")
        convert_in_process(leads)
        report("clean", org, leads)


def run_refused() -> None:
    with sandbox_org("refused") as org:
        leads = leads_with_own_phones("refused")
        rule = {"sobject": "Contact", "fields": ["Phone"], "action": "block"}
        requests.post(f"{org}/_sandbox/config", json={"duplicate_rules": [rule]}, timeout=10)
        token = requests.post(
            f"{org}/services/oauth2/token",
            data={
                "grant_type": "client_credentials",
                "client_id": settings.SALESFORCE_CLIENT_ID,
                "client_secret": settings.SALESFORCE_CLIENT_SECRET,
            },
            timeout=10,
        ).json()["access_token"]
        for lead in leads[:REFUSED]:  # already in Salesforce under another email: the rule blocks these leads
            requests.post(
                f"{org}/services/data/v{settings.SALESFORCE_API_VERSION}/sobjects/Contact",
                json={"LastName": "Existing", "Phone": lead.phone},
                headers={"Authorization": f"Bearer {token}"},
                timeout=10,
            ).raise_for_status()
        convert_in_process(leads)
        codes = set(Conversion.objects.filter(lead__in=leads[:REFUSED]).values_list("error_code", flat=True))
        assert codes == {"DUPLICATES_DETECTED"}, codes
        report("refused", org, leads, expected_failures=REFUSED)


def start_worker(org: str, log: Path) -> subprocess.Popen:
    env = {
        **os.environ,
        "CELERY_BROKER_URL": REDIS,
        "DATABASE_URL": os.environ["DATABASE_URL"],
        "SALESFORCE_INSTANCE_URL": org,
        "LOG_LEVEL": "INFO",
    }
    command = celery_worker_command(hostname="bench")
    worker = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT)
    wait_until_ready(worker, log)
    return worker


def run_killed() -> None:
    if "postgres" not in os.environ.get("DATABASE_URL", ""):
        print("killed   skipped: set LEADFLOW_BENCH_DATABASE_URL to a PostgreSQL database")
        return
    redis.Redis.from_url(REDIS).flushdb()
    celery_app.conf.update(task_always_eager=False)
    log_dir = Path(os.environ["LEADFLOW_DATA_DIR"])
    with sandbox_org("killed") as org:
        leads = leads_with_own_phones("killed")
        worker = start_worker(org, log_dir / "worker-1.log")
        services.leads_convert_request(leads=leads, actor="bench")
        mine = Conversion.objects.filter(lead__in=leads)  # the earlier runs' conversions share the database
        while not mine.filter(status=ConversionStatus.DONE).exists():
            time.sleep(0.1)
        while not mine.filter(status=ConversionStatus.IN_PROGRESS).exists():
            time.sleep(0.05)
        worker.kill()  # SIGKILL mid-batch: some conversions in progress, maybe committed in Salesforce
        worker.wait()
        in_progress = mine.filter(status=ConversionStatus.IN_PROGRESS).count()
        done_before = mine.filter(status=ConversionStatus.DONE).count()
        worker = start_worker(org, log_dir / "worker-2.log")
        settings.LEADFLOW_CONVERSION_STUCK_AFTER_SECONDS = 0  # the dead worker's claims are taken over at once
        try:
            while Lead.objects.filter(pk__in=[lead.pk for lead in leads], state=LeadState.CONVERTED).count() < COUNT:
                sweep_conversions()
                time.sleep(1)
        finally:
            worker.terminate()
            worker.wait()
        print(f"killed   worker killed with {done_before} done and {in_progress} in progress; restarted:")
        report("killed", org, leads)


def main() -> None:
    # The sandbox answers a 75-graph request in seconds, but slower on a busy machine; a real org needs no more.
    settings.SALESFORCE_TIMEOUT = 300
    os.environ["SALESFORCE_TIMEOUT"] = "300"  # for the workers of the "killed" run
    prepare_database()
    call_command("flush", interactive=False, verbosity=0)
    run_clean()
    run_refused()
    run_killed()


if __name__ == "__main__":
    main()
