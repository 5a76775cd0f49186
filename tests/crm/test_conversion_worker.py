"""End to end through a real Celery worker process: web request → broker → worker → sandbox → database."""

import os
import subprocess
import sys
import time

import pytest
import redis
from django.db import connection

from leadflow import celery_app
from leadflow.crm import services
from leadflow.crm.models import Conversion, ConversionStatus
from leadflow.leads.models import Lead, LeadState

BROKER_URL = "redis://127.0.0.1:6379/4"

pytestmark = [pytest.mark.postgres, pytest.mark.redis]


@pytest.fixture
def celery_worker_process(transactional_db, salesforce, tmp_path):
    """`celery -A leadflow worker` on the test database and a Redis broker; tasks published for real."""
    if connection.vendor != "postgresql":
        pytest.skip("the worker process needs a database it can share: run with DATABASE_URL=postgres://...")
    redis.Redis.from_url(BROKER_URL).flushdb()
    db = connection.settings_dict
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://{db['USER']}:{db['PASSWORD']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "CELERY_BROKER_URL": BROKER_URL,
        "SALESFORCE_INSTANCE_URL": salesforce.url,
        "SALESFORCE_CLIENT_ID": salesforce.client_id,
        "SALESFORCE_CLIENT_SECRET": salesforce.client_secret,
        "LEADFLOW_DATA_DIR": str(tmp_path),
    }
    log = open(tmp_path / "worker.log", "w+")  # noqa: SIM115 (closed below, after the worker stops)
    worker = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "leadflow",
            "worker",
            "--pool=solo",
            "--without-mingle",
            "--without-gossip",
            "--without-heartbeat",
            "-l",
            "info",
        ],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    eager, broker = celery_app.conf.task_always_eager, celery_app.conf.broker_url
    celery_app.conf.update(task_always_eager=False, broker_url=BROKER_URL)
    try:
        yield worker
    finally:
        celery_app.conf.update(task_always_eager=eager, broker_url=broker)
        worker.terminate()
        worker.wait(timeout=20)
        log.seek(0)
        print(log.read()[-4000:])
        log.close()


def wait_for(condition, timeout=45):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.2)
    return False


def test_worker_converts_a_qualified_lead_into_exactly_one_account_contact_and_opportunity(
    celery_worker_process, salesforce, qualified_lead
):
    services.lead_convert_request(lead=qualified_lead, actor="tests")

    assert wait_for(lambda: Lead.objects.get(pk=qualified_lead.pk).state == LeadState.CONVERTED)
    conversion = Conversion.objects.get(lead=qualified_lead)
    [account] = salesforce.records("Account")
    [contact] = salesforce.records("Contact")
    [opportunity] = salesforce.records("Opportunity")
    assert conversion.status == ConversionStatus.DONE
    assert (conversion.account_id, conversion.contact_id, conversion.opportunity_id) == (
        account["Id"],
        contact["Id"],
        opportunity["Id"],
    )
    assert (account["Name"], account["VAT_Number__c"]) == ("Acme Trading B.V.", "NL123456789B01")
    assert (contact["LastName"], contact["Email"], contact["AccountId"]) == (
        "de Vries",
        "anna@acme-trading.nl",
        account["Id"],
    )
    assert opportunity["AccountId"] == account["Id"]
