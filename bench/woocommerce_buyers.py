"""Web-shop orders through the WooCommerce stand-in into Leadflow: how many leads, duplicates and orders on a timeline.

    .venv/bin/python bench/woocommerce_buyers.py [--orders 10000] [--buyers 3000] [--customers 500]

A fresh database (SQLite in a temporary folder, or BENCH_DATABASE_URL, whose tables are dropped and migrated),
a stand-in shop and Leadflow's webhook door served by a threaded WSGI server in this process. `--customers`
buyers are already customers (converted leads). Half the orders exist before Leadflow is connected and arrive
by back-fill (pages of 100); the other half are placed afterwards and arrive as signed webhooks. A "worker"
thread processes stored webhooks as Celery would, so the webhook's answer time is the store-and-answer path only.
The lead pipeline (validators, matchers) is left out: it runs later in workers and has its own benchmarks.

Prints: new leads against the naive one-lead-per-order count, buyers by how they were recognised, orders on a
timeline, duplicate leads per e-mail, webhook answer p50/p99, and orders/s for back-fill and webhook processing
against `lead_create` alone for the same number of leads (the floor), measured in the same run.
"""

import argparse
import os
import random
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
TMP = Path(tempfile.mkdtemp(prefix="woo-bench-"))
os.environ.update(
    DJANGO_SETTINGS_MODULE="leadflow.settings",
    DATABASE_URL=os.environ.get("BENCH_DATABASE_URL", f"sqlite:///{TMP / 'bench.sqlite3'}"),
    LEADFLOW_DATA_DIR=str(TMP),
    CELERY_BROKER_URL="memory://",  # wake-ups go nowhere: the worker thread below finds stored work itself
    LOG_LEVEL="ERROR",
    ALLOWED_HOSTS="127.0.0.1",
)

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.core.servers.basehttp import ThreadedWSGIServer, WSGIRequestHandler  # noqa: E402
from django.core.wsgi import get_wsgi_application  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.db.models import Count  # noqa: E402

from leadflow.core.normalize import email_key  # noqa: E402
from leadflow.core.plugins import clear_cache  # noqa: E402
from leadflow.integrations.woocommerce.models import WebhookStatus, WooBuyer, WooOrder, WooStore, WooWebhook  # noqa: E402
from leadflow.integrations.woocommerce.services import backfill_run, backfill_start, webhook_process  # noqa: E402
from leadflow.leads.models import Lead, LeadEvent, LeadState  # noqa: E402
from leadflow.leads.services import lead_create  # noqa: E402
from standins.woocommerce import WooStandin  # noqa: E402

SECRET = "bench-secret"


class QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


def buyer_billing(n: int) -> dict[str, str]:
    return {
        "first_name": f"Anna{n}",
        "last_name": f"Jansen{n}",
        "company": f"Bakkerij {n} B.V.",
        "address_1": f"Dorpsstraat {n}",
        "postcode": "1234 AB",
        "city": "Utrecht",
        "country": "NL",
        "email": f"buyer{n}@shop-bench{n % 97}.nl",
        "phone": f"+3120{n:07d}",
    }


def make_customers(count: int) -> None:
    for n in range(count):
        lead = Lead.objects.create(source="crm", email=buyer_billing(n)["email"], last_name=f"Jansen{n}")
        Lead.objects.filter(pk=lead.pk).update(state=LeadState.CONVERTED)


def serve() -> ThreadedWSGIServer:
    server = ThreadedWSGIServer(("127.0.0.1", 0), QuietHandler)
    server.set_app(get_wsgi_application())
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def plan_orders(orders: int, buyers: int, seed: int = 18) -> list[int]:
    """Which buyer places each order: every buyer at least once, the rest at random."""
    rng = random.Random(seed)
    plan = list(range(buyers)) + [rng.randrange(buyers) for _ in range(orders - buyers)]
    rng.shuffle(plan)
    return plan


def process_webhooks(stop: threading.Event, done: list[int]) -> None:
    while not stop.is_set() or WooWebhook.objects.filter(status=WebhookStatus.RECEIVED).exists():
        ids = list(WooWebhook.objects.filter(status=WebhookStatus.RECEIVED).values_list("pk", flat=True)[:200])
        for webhook_id in ids:
            webhook_process(webhook_id=webhook_id)
            done.append(webhook_id)
        if not ids:
            time.sleep(0.05)
    connection.close()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--orders", type=int, default=10_000)
    parser.add_argument("--buyers", type=int, default=3_000)
    parser.add_argument("--customers", type=int, default=500)
    args = parser.parse_args()
    settings.LEADFLOW_PIPELINE = {}
    clear_cache()
    call_command("migrate", verbosity=0)
    call_command("flush", interactive=False, verbosity=0)  # BENCH_DATABASE_URL may hold an earlier run
    shop, server = WooStandin().start(), serve()
    store = WooStore.objects.create(
        name="bench",
        url=shop.url,
        consumer_key=shop.consumer_key,
        consumer_secret=shop.consumer_secret,
        webhook_secret=SECRET,
    )
    make_customers(args.customers)
    plan = plan_orders(args.orders, args.buyers)
    registered: dict[int, int] = {}
    half = len(plan) // 2

    # Before Leadflow is connected: registered customers (every other buyer) and the first half of the orders.
    for n in range(0, args.buyers, 2):
        registered[n] = shop.data.add_customer(email=buyer_billing(n)["email"], billing=buyer_billing(n))["id"]
    for n in plan[:half]:
        shop.data.add_order(billing=buyer_billing(n), customer_id=registered.get(n, 0), total="24.95")
    started = time.perf_counter()
    for backfill in backfill_start(store=store, in_worker=False):
        backfill_run(backfill_id=backfill.pk)
    backfill_seconds = time.perf_counter() - started

    # Connected: the second half arrives as webhooks, answered by the server, processed by the worker thread.
    url = f"http://127.0.0.1:{server.server_address[1]}/integrations/woocommerce/bench/webhook/"
    webhook = shop.add_webhook(topic="order.created", delivery_url=url, secret=SECRET)
    stop, processed = threading.Event(), []
    worker = threading.Thread(target=process_webhooks, args=(stop, processed))
    worker.start()
    answers, statuses = [], []
    started = time.perf_counter()
    for n in plan[half:]:
        order = shop.data.add_order(billing=buyer_billing(n), customer_id=registered.get(n, 0), total="24.95")
        sent = time.perf_counter()
        statuses.append(shop.deliver(webhook, order))
        answers.append(time.perf_counter() - sent)
    stop.set()
    worker.join()
    webhook_seconds = time.perf_counter() - started

    floor = floor_seconds(Lead.objects.filter(source=store.source).count())
    report(args, store, backfill_seconds, webhook_seconds, answers, statuses, half, floor, shop)
    server.shutdown()
    shop.stop()


def floor_seconds(count: int) -> float:
    """`lead_create` alone for `count` leads, rolled back: what making the leads costs without the shop."""
    started = time.perf_counter()
    with transaction.atomic():
        for n in range(count):
            lead_create(actor="bench", source="floor", email=f"floor{n}@example.nl", last_name=f"F{n}")
        transaction.set_rollback(True)
    return time.perf_counter() - started


def report(args, store, backfill_s, webhook_s, answers, statuses, half, floor, shop) -> None:
    new_leads = Lead.objects.filter(source=store.source)
    keys = [email_key(e) for e in Lead.objects.values_list("email", flat=True)]
    duplicate_emails = len(keys) - len(set(keys))
    orders = WooOrder.objects.count()
    on_lead_timeline = LeadEvent.objects.filter(kind=LeadEvent.Kind.NOTE, data__has_key="order_id").count()
    on_buyer_timeline = WooOrder.objects.filter(buyer__isnull=False).count()
    matched = dict(WooBuyer.objects.values_list("matched").annotate(n=Count("pk")))
    ms = sorted(a * 1000 for a in answers)
    print(f"database: {connection.vendor}; {args.orders} orders, {args.buyers} buyers, {args.customers} customers")
    at_most = args.buyers - args.customers
    print(f"new leads: {new_leads.count()} (at most {at_most}; one lead per order would be {args.orders})")
    print(f"buyers: {matched}")
    print(
        f"orders stored: {orders}; on a buyer's timeline: {on_buyer_timeline}; as notes on a lead: {on_lead_timeline}"
    )
    print(f"leads sharing an e-mail key (duplicates): {duplicate_emails}")
    print(
        f"back-fill: {half} orders + {len(shop.data.customers)} customers in {backfill_s:.1f} s "
        f"({half / backfill_s:.0f} orders/s); {len(shop.calls)} REST calls"
    )
    answered = {status: statuses.count(status) for status in set(statuses)}
    print(
        f"webhooks: {len(answers)} answered {answered}, "
        f"p50 {statistics.median(ms):.1f} ms, p99 {ms[int(len(ms) * 0.99) - 1]:.1f} ms; "
        f"all processed in {webhook_s:.1f} s ({len(answers) / webhook_s:.0f} orders/s)"
    )
    total = backfill_s + webhook_s
    print(
        f"floor: lead_create alone for {new_leads.count()} leads {floor:.1f} s; "
        f"all {args.orders} orders took {total:.1f} s = {total / max(floor, 1e-9):.1f}x the floor"
    )


if __name__ == "__main__":
    main()
