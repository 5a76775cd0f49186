import os
import signal
import subprocess
import sys

import pytest
from django.utils import timezone

from leadflow.integrations.woocommerce.models import BackfillState, WooBackfill, WooBuyer, WooOrder
from leadflow.integrations.woocommerce.services import backfill_run, backfill_start, store_connection_test
from leadflow.leads.models import Lead, LeadEvent
from tests.helpers import wait_for
from tests.integrations.woocommerce.conftest import billing
from tests.plugins import celery_worker as worker_plugin
from tests.sync.factories import converted_lead

pytestmark = pytest.mark.django_db(transaction=True)


def fill_shop(shop, *, buyers: int, orders_each: int) -> None:
    """Registered customers, each with some orders, created before Leadflow listens (no webhooks)."""
    for n in range(buyers):
        customer = shop.data.add_customer(email=f"anna{n}@jansen{n}.nl", billing=billing(n))
        for _ in range(orders_each):
            shop.data.add_order(billing=billing(n), customer_id=customer["id"])


def run_all(store) -> list[WooBackfill]:
    return [backfill_run(backfill_id=b.pk) for b in backfill_start(store=store, in_worker=False)]


def test_backfill_reads_every_page_of_customers_and_orders_and_reports_progress(woocommerce_standin, store):
    fill_shop(woocommerce_standin, buyers=13, orders_each=2)
    seen = []

    customers, orders = backfill_start(store=store, in_worker=False)
    backfill_run(backfill_id=customers.pk, progress=lambda b: seen.append((b.processed, b.total)))
    orders = backfill_run(backfill_id=orders.pk)

    assert seen == [(10, 13), (13, 13)]
    assert orders.state == BackfillState.DONE and orders.processed == orders.total == 26
    assert Lead.objects.filter(source="woocommerce:bakery").count() == 13
    assert WooOrder.objects.count() == 26
    pages = [(c["collection"], c["page"], c["per_page"]) for c in woocommerce_standin.calls]
    assert pages == [
        ("customers", 1, 10),
        ("customers", 2, 10),
        ("orders", 1, 10),
        ("orders", 2, 10),
        ("orders", 3, 10),
    ]


def test_backfill_recognises_existing_customers_and_running_it_again_adds_nothing(woocommerce_standin, store):
    fill_shop(woocommerce_standin, buyers=6, orders_each=3)
    existing, _ = converted_lead(email="anna0@jansen0.nl")

    run_all(store)
    run_all(store)

    assert Lead.objects.count() == 6  # 5 new + the customer
    assert WooOrder.objects.count() == 18
    assert existing.events.filter(kind=LeadEvent.Kind.NOTE, data__has_key="order_id").count() == 3


def test_backfill_with_refused_keys_fails_with_words_for_the_admin(woocommerce_standin, store):
    store.consumer_secret = "cs_wrong"
    store.save()

    [customers, _] = run_all(store)

    assert customers.state == BackfillState.FAILED
    assert "refused the API keys" in customers.error


def test_backfill_against_a_shop_that_is_down_waits_for_the_sweeper(woocommerce_standin, store):
    woocommerce_standin.stop()

    [customers, _] = run_all(store)

    assert customers.state == BackfillState.RUNNING
    assert customers.error == "Could not connect to the shop."
    assert customers.next_page == 1


def test_connection_test_says_how_many_customers_or_why_not(woocommerce_standin, store):
    fill_shop(woocommerce_standin, buyers=3, orders_each=0)
    assert store_connection_test(store=store).check_message == "Connected: the shop has 3 customers."

    store.consumer_key = "ck_unknown"
    store.save()
    tested = store_connection_test(store=store)
    assert tested.check_ok is False
    assert "Consumer key is invalid" in tested.check_message


def test_worker_killed_mid_backfill_resumes_without_gaps_or_doubles(woocommerce_standin, store, tmp_path):
    fill_shop(woocommerce_standin, buyers=25, orders_each=0)
    woocommerce_standin.hold_page = ("customers", 3)
    env = {
        **os.environ,
        "DATABASE_URL": worker_plugin.test_database_url(),
        "LEADFLOW_DATA_DIR": str(tmp_path),  # its own broker folder: the wake-ups it publishes stay there
        "WOOCOMMERCE_BACKFILL_LEASE_SECONDS": "1",
        "WOOCOMMERCE_PAGE_SIZE": "10",
    }
    command = [sys.executable, "manage.py", "woocommerce_backfill", store.name]
    log = (tmp_path / "backfill.log").open("wb")
    worker = subprocess.Popen(command, cwd=worker_plugin.ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)

    assert woocommerce_standin.page_requested.wait(timeout=120), (tmp_path / "backfill.log").read_text()
    worker.send_signal(signal.SIGKILL)
    worker.wait(timeout=30)
    woocommerce_standin.hold_page = None
    woocommerce_standin.release.set()
    interrupted = WooBackfill.objects.get(collection="customers")
    assert (interrupted.state, interrupted.processed, interrupted.next_page) == (BackfillState.RUNNING, 20, 3)
    # The dead worker's lease runs out (1 s here), then another may take over.
    assert wait_for(
        lambda: not WooBackfill.objects.filter(collection="customers", lease_until__gte=timezone.now()).exists()
    )

    finished = subprocess.run(command, cwd=worker_plugin.ROOT, env=env, capture_output=True, text=True, timeout=300)

    assert finished.returncode == 0, finished.stdout + finished.stderr
    resumed = WooBackfill.objects.get(collection="customers")
    assert (resumed.state, resumed.processed, resumed.total) == (BackfillState.DONE, 25, 25)
    assert WooBuyer.objects.count() == Lead.objects.count() == 25
    external_ids = set(Lead.objects.values_list("external_id", flat=True))
    assert external_ids == {str(c) for c in woocommerce_standin.data.customers}
    # It took over one page early (page 2, in case deletions shifted the pages), then read on.
    assert [c["page"] for c in woocommerce_standin.calls if c["collection"] == "customers"][-2:] == [2, 3]
