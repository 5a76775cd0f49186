import json
import logging
import threading
from datetime import timedelta

import pytest
import requests
from django.db import connection
from django.utils import timezone

from leadflow.integrations.woocommerce.models import WebhookStatus, WooBuyer, WooOrder, WooWebhook
from leadflow.integrations.woocommerce.services import resource_record, webhooks_purge
from leadflow.leads.models import Lead, LeadEvent, LeadState
from leadflow.sync.models import SyncJob
from standins.woocommerce import sign
from tests.factories import LeadFactory
from tests.integrations.woocommerce.conftest import WEBHOOK_SECRET, billing
from tests.sync.factories import WebhookTargetFactory, converted_lead

pytestmark = pytest.mark.django_db(transaction=True)


def order_notes(lead: Lead) -> list[LeadEvent]:
    return list(lead.events.filter(kind=LeadEvent.Kind.NOTE, data__has_key="order_id"))


def test_new_buyer_of_a_signed_order_becomes_a_lead_with_the_shop_as_source(shop):
    order = shop.create_order(billing=billing(1), meta={"_vat_number": "NL123456789B01"})

    [lead] = Lead.objects.all()
    assert lead.source == "woocommerce:bakery"
    assert lead.external_id == f"guest-{order['id']}"
    assert (lead.company, lead.email, lead.street) == ("Bakkerij Jansen 1 B.V.", "anna1@jansen1.nl", "Dorpsstraat 1")
    assert lead.vat_number == "NL123456789B01"
    assert lead.checks_due_at is not None or lead.checked_at is not None  # the same pipeline runs
    assert [n.data["order_id"] for n in order_notes(lead)] == [order["id"]]
    assert WooWebhook.objects.get(topic="order.created").status == WebhookStatus.PROCESSED


def test_registered_customer_gets_the_woo_customer_id_as_external_id(shop):
    customer = shop.create_customer(email="anna1@jansen1.nl", billing=billing(1))
    shop.create_order(billing=billing(1), customer_id=customer["id"])

    [lead] = Lead.objects.all()
    assert lead.external_id == str(customer["id"])
    assert WooBuyer.objects.get().woo_customer_id == customer["id"]
    assert len(order_notes(lead)) == 1


def test_repeat_buyer_is_one_lead_with_every_order_on_its_timeline(shop):
    orders = [shop.create_order(billing=billing(7, email=email)) for email in ("anna7@jansen7.nl", "Anna7@Jansen7.NL")]
    orders.append(shop.create_order(billing=billing(7)))

    [lead] = Lead.objects.all()
    assert sorted(n.data["order_id"] for n in order_notes(lead)) == sorted(o["id"] for o in orders)
    assert WooOrder.objects.filter(buyer__lead=lead).count() == 3


def test_order_of_an_existing_customer_goes_on_their_timeline_and_tells_opted_in_targets(shop, receiver):
    customer, _ = converted_lead(email="anna3@jansen3.nl", company="Bakkerij Jansen 3 B.V.")
    WebhookTargetFactory(settings={"url": receiver.url, "secret": "s", "events": ["customer.updated"]})

    order = shop.create_order(billing=billing(3), total="120.00")

    assert Lead.objects.count() == 1
    [note] = order_notes(customer)
    assert note.reason == f"Order {order['id']} in bakery: 120.00 EUR"
    [job] = SyncJob.objects.filter(event="customer.updated")
    assert job.lead == customer and job.payload["change"]["kind"] == "order"
    assert receiver.received[0].json["change"]["details"]["total"] == "120.00"


def test_buyer_known_as_an_open_lead_from_another_source_gets_no_second_lead(shop):
    existing = LeadFactory(email="anna4@jansen4.nl", source="website")

    shop.create_order(billing=billing(4))

    assert list(Lead.objects.all()) == [existing]
    assert WooBuyer.objects.get().matched == "existing lead"


def test_webhook_with_a_bad_signature_is_refused_logged_and_kept_without_its_body(shop, caplog):
    [webhook] = [w for w in shop.webhooks if w.topic == "order.created"]
    forged = {"id": 99, "billing": billing(5)}
    caplog.set_level(logging.WARNING, logger="leadflow.integrations.woocommerce.services")

    status = shop.deliver(webhook, forged, signature=sign("not-the-secret", json.dumps(forged).encode()))

    assert status == 401
    assert not Lead.objects.exists()
    refused = WooWebhook.objects.get(status=WebhookStatus.REFUSED)
    assert refused.body is None and refused.topic == "order.created"
    assert "bad signature" in caplog.text


def test_unsigned_request_that_is_not_the_registration_ping_is_refused(store, live_server):
    url = f"{live_server.url}/integrations/woocommerce/{store.name}/webhook/"

    answer = requests.post(url, json={"id": 1, "billing": billing(1)}, headers={"X-WC-Webhook-Topic": "order.created"})

    assert answer.status_code == 401
    assert WooWebhook.objects.get().status == WebhookStatus.REFUSED


def test_registration_ping_is_answered_so_the_shop_saves_the_webhook(shop):
    assert {w.topic for w in shop.webhooks} == {"customer.created", "order.created"}
    assert not WooWebhook.objects.exists()


def test_signed_topic_leadflow_does_not_use_is_answered_and_ignored(store, live_server):
    url = f"{live_server.url}/integrations/woocommerce/{store.name}/webhook/"
    body = json.dumps({"id": 5, "name": "Bread"}).encode()
    headers = {"X-WC-Webhook-Topic": "product.created", "X-WC-Webhook-Signature": sign(WEBHOOK_SECRET, body)}

    answer = requests.post(url, data=body, headers=headers | {"Content-Type": "application/json"})

    assert answer.status_code == 200
    assert WooWebhook.objects.get().status == WebhookStatus.IGNORED
    assert not Lead.objects.exists()


def test_signed_body_that_is_not_json_is_answered_400_and_kept_as_failed(store, live_server):
    url = f"{live_server.url}/integrations/woocommerce/{store.name}/webhook/"
    body = b"<html>not json</html>"
    headers = {"X-WC-Webhook-Topic": "order.created", "X-WC-Webhook-Signature": sign(WEBHOOK_SECRET, body)}

    answer = requests.post(url, data=body, headers=headers)

    assert answer.status_code == 400
    assert WooWebhook.objects.get().status == WebhookStatus.FAILED


def test_webhook_for_a_store_leadflow_does_not_know_is_not_found(live_server):
    answer = requests.post(f"{live_server.url}/integrations/woocommerce/nope/webhook/", data=b"{}")

    assert answer.status_code == 404


def test_many_orders_from_fewer_buyers_make_at_most_one_lead_per_new_buyer(shop):
    """30 orders from 10 buyers, 3 of whom are already customers: 7 new leads, every order on a timeline."""
    customers = [converted_lead(email=f"anna{n}@jansen{n}.nl")[0] for n in range(3)]
    for round_ in range(3):
        for n in range(10):
            shop.create_order(billing=billing(n), total=f"{10 + round_}.00")

    new_leads = Lead.objects.filter(source="woocommerce:bakery")
    assert new_leads.count() == 7
    assert WooOrder.objects.count() == 30
    for lead in [*customers, *new_leads]:
        assert len(order_notes(lead)) == 3
    assert Lead.objects.filter(state=LeadState.CONVERTED).count() == 3


@pytest.mark.postgres
def test_two_orders_of_a_new_buyer_processed_at_once_make_one_buyer_and_one_lead(store):
    orders = [{"id": 501, "billing": billing(9)}, {"id": 502, "billing": billing(9)}]
    start = threading.Barrier(2)

    def process(order: dict) -> None:
        start.wait()
        try:
            resource_record(store=store, collection="orders", resource=order)
        finally:
            connection.close()

    threads = [threading.Thread(target=process, args=(order,)) for order in orders]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    [buyer] = WooBuyer.objects.all()
    assert Lead.objects.count() == 1 and buyer.lead is not None
    assert set(WooOrder.objects.values_list("woo_id", flat=True)) == {501, 502}
    assert len(order_notes(buyer.lead)) == 2


def test_signed_order_without_an_id_is_kept_as_failed_with_the_reason_and_writes_nothing(store, live_server):
    url = f"{live_server.url}/integrations/woocommerce/{store.name}/webhook/"
    body = json.dumps({"billing": billing(2)}).encode()
    headers = {"X-WC-Webhook-Topic": "order.created", "X-WC-Webhook-Signature": sign(WEBHOOK_SECRET, body)}

    assert requests.post(url, data=body, headers=headers).status_code == 200

    webhook = WooWebhook.objects.get()
    assert (webhook.status, webhook.error) == (WebhookStatus.FAILED, "The order has no id.")
    assert not Lead.objects.exists() and not WooBuyer.objects.exists()


def test_webhook_requests_are_forgotten_after_the_retention_period_but_their_leads_stay(shop):
    shop.create_order(billing=billing(1))
    WooWebhook.objects.update(received_at=timezone.now() - timedelta(days=31))

    assert webhooks_purge(older_than_days=30) == 1
    assert not WooWebhook.objects.exists()
    assert Lead.objects.count() == WooOrder.objects.count() == 1
