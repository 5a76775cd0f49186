"""Writes for the WooCommerce source: test a connection, take in webhooks, recognise buyers, back-fill a shop.

A buyer is one row per shop and e-mail address (`WooBuyer`). The first time a shop mentions an address,
Leadflow looks for whom it belongs to — an existing lead or customer (by e-mail), else a record in the CRM
(`settings.LEADFLOW_REMOTE_DIRECTORY`) — and only when nobody is found creates a lead, through the same
`lead_create` as every other intake door (so the same validators and matchers run). Every later order of that
address is added to the buyer's timeline (and as a note on its lead's), never as a new lead.
"""

import base64
import hashlib
import hmac
import json
import logging
import re
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Q
from django.db.models.functions import Greatest
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from leadflow.core.exceptions import ApplicationError, ExternalServiceError
from leadflow.core.normalize import email_key
from leadflow.core.tasks import wake_on_commit
from leadflow.integrations.woocommerce.client import WooClient
from leadflow.integrations.woocommerce.mapping import BuyerDetails, buyer_from_customer, buyer_from_order
from leadflow.integrations.woocommerce.models import (
    BackfillState,
    WebhookStatus,
    WooBackfill,
    WooBuyer,
    WooOrder,
    WooStore,
    WooWebhook,
)
from leadflow.integrations.woocommerce.selectors import lead_for_email
from leadflow.leads.models import LeadEvent, SourceKind
from leadflow.leads.services import lead_create, lead_event_record
from leadflow.quality.remote import RemoteQuery, remote_directory

logger = logging.getLogger(__name__)

TOPICS = ("customer.created", "order.created")
COLLECTIONS = ("customers", "orders")
PING = re.compile(rb"^webhook_id=\d+$")


@dataclass(frozen=True)
class WebhookAnswer:
    status_code: int
    message: str


# --- connection ---------------------------------------------------------------------------------


def store_connection_test(*, store: WooStore) -> WooStore:
    """Read one customer with the store's keys and record whether that worked, in words for the admin."""
    try:
        page = WooClient(store).page("customers", 1, per_page=1)
    except ExternalServiceError as error:
        ok, message = False, error.message
    else:
        ok, message = True, f"Connected: the shop has {page.total} customer{'' if page.total == 1 else 's'}."
    WooStore.objects.filter(pk=store.pk).update(checked_at=timezone.now(), check_ok=ok, check_message=message[:255])
    store.refresh_from_db()
    return store


# --- webhooks -----------------------------------------------------------------------------------


def webhook_receive(
    *, store_name: str, body: bytes, headers: Mapping[str, str], remote_addr: str | None
) -> WebhookAnswer:
    """Check and store one webhook request; processing happens after the answer, in a worker.

    WooCommerce disables a webhook after five failed deliveries in a row, so everything genuine is answered 2xx
    (topics Leadflow does not use too); a bad signature is refused (401) and logged, keeping no body.
    """
    store = WooStore.objects.filter(name=store_name, enabled=True).first()
    if store is None:
        return WebhookAnswer(404, "No such store.")
    signature = headers.get("X-WC-Webhook-Signature", "")
    if not signature and PING.match(body):
        return WebhookAnswer(200, "Webhook registered.")  # WooCommerce's unsigned ping when a webhook is saved
    common = {
        "store": store,
        "topic": headers.get("X-WC-Webhook-Topic", "")[:64],
        "delivery_id": headers.get("X-WC-Webhook-Delivery-ID", "")[:64],
        "remote_addr": remote_addr,
    }
    if not _signature_valid(store.webhook_secret, body, signature):
        WooWebhook.objects.create(status=WebhookStatus.REFUSED, error="Signature missing or wrong.", **common)
        logger.warning("Refused a WooCommerce webhook for %s from %s: bad signature", store.name, remote_addr)
        return WebhookAnswer(401, "Signature missing or wrong.")
    if common["topic"] not in TOPICS:
        WooWebhook.objects.create(status=WebhookStatus.IGNORED, **common)
        return WebhookAnswer(200, "Topic not used; ignored.")
    try:
        resource = json.loads(body)
    except ValueError:
        resource = None
    if not isinstance(resource, dict):
        WooWebhook.objects.create(status=WebhookStatus.FAILED, error="The body is not a JSON object.", **common)
        return WebhookAnswer(400, "The body is not a JSON object.")
    with transaction.atomic():
        webhook = WooWebhook.objects.create(body=resource, **common)
        wake_on_commit(_task("process_woocommerce_webhook"), webhook.pk)
    return WebhookAnswer(200, "Stored.")


def _signature_valid(secret: str, body: bytes, signature: str) -> bool:
    """X-WC-Webhook-Signature is base64(HMAC-SHA256(secret, raw body))."""
    expected = base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()
    return bool(signature) and hmac.compare_digest(expected, signature.strip())


def webhook_process(*, webhook_id: int) -> WooWebhook | None:
    """Turn a stored webhook into a buyer (and order). Safe to run twice: buyers and orders are unique."""
    webhook = WooWebhook.objects.select_related("store").filter(pk=webhook_id, status=WebhookStatus.RECEIVED).first()
    if webhook is None:
        return None
    refused = resource_record_or_reason(
        store=webhook.store, collection=webhook.topic.split(".")[0] + "s", resource=webhook.body
    )
    _finish_webhook(webhook, WebhookStatus.FAILED if refused else WebhookStatus.PROCESSED, refused)
    return webhook


def _finish_webhook(webhook: WooWebhook, status: str, error: str) -> None:
    WooWebhook.objects.filter(pk=webhook.pk, status=WebhookStatus.RECEIVED).update(
        status=status, error=error, processed_at=timezone.now()
    )


def webhooks_requeue_waiting(*, older_than_seconds: int, limit: int = 500) -> list[int]:
    """Sweeper: webhooks stored but not processed (lost wake-up, worker killed) are handed out again."""
    cutoff = timezone.now() - timedelta(seconds=older_than_seconds)
    ids = list(
        WooWebhook.objects.filter(status=WebhookStatus.RECEIVED, received_at__lt=cutoff)
        .order_by("received_at")
        .values_list("pk", flat=True)[:limit]
    )
    for webhook_id in ids:
        wake_on_commit(_task("process_woocommerce_webhook"), webhook_id)
    return ids


def webhooks_purge(*, older_than_days: int) -> int:
    """Forget webhook requests (bodies hold personal data) once they are done with and this old; the buyers,
    orders and leads they made stay."""
    cutoff = timezone.now() - timedelta(days=older_than_days)
    finished = WooWebhook.objects.exclude(status=WebhookStatus.RECEIVED).filter(received_at__lt=cutoff)
    deleted, _ = finished.delete()
    return deleted


# --- buyers and orders --------------------------------------------------------------------------


def resource_record(*, store: WooStore, collection: str, resource: dict[str, Any]) -> WooBuyer:
    """A customer or an order from the shop: its buyer, and for an order the order on the buyer's timeline."""
    if collection == "customers":
        return buyer_record(
            store=store, details=buyer_from_customer(resource), reference=f"customer {resource.get('id')}"
        )
    buyer = buyer_record(store=store, details=buyer_from_order(resource), reference=f"order {resource.get('id')}")
    order_record(store=store, buyer=buyer, order=resource)
    return buyer


def resource_record_or_reason(*, store: WooStore, collection: str, resource: dict[str, Any]) -> str:
    """Record a resource; '' when done, else why the shop's data cannot be taken (nothing of it is written).
    A CRM that could not be asked (a transient error) is raised, so that the record is tried again later."""
    try:
        with transaction.atomic():
            resource_record(store=store, collection=collection, resource=resource)
    except ExternalServiceError as error:
        if not error.permanent:
            raise
        return error.message
    except ApplicationError as error:
        return error.message
    except ValidationError as error:  # a value the lead refuses (lead_create checks every field)
        return " ".join(error.messages)
    return ""


def buyer_record(*, store: WooStore, details: BuyerDetails, reference: str) -> WooBuyer:
    """The shop's buyer for these details: found again, matched to an existing lead or CRM record, or new."""
    key = email_key(details.email) or (details.email or "").strip().casefold()
    if not key:
        key = f"customer:{details.woo_customer_id}" if details.woo_customer_id else reference.replace(" ", ":")
    known = _known_buyer(store, key, details.woo_customer_id)
    if known is not None:
        return known
    lead = lead_for_email(details.email) if details.email else None
    remote = _crm_record(details.email) if lead is None and details.email else None
    with transaction.atomic():
        buyer, created = WooBuyer.objects.select_for_update().get_or_create(
            store=store,
            email_key=key[:254],
            defaults={"woo_customer_id": details.woo_customer_id, "matched": "pending"},
        )
        if not created:
            return buyer
        if lead is not None:
            buyer.lead, buyer.matched = lead, "existing lead"
        elif remote is not None:
            buyer.crm_object, buyer.crm_id, buyer.crm_label = remote.sobject, remote.id, remote.label[:255]
            buyer.matched = "crm record"
        else:
            buyer.lead, buyer.matched = _new_lead(store, details, reference), "new lead"
        buyer.save()
    return buyer


def _known_buyer(store: WooStore, key: str, customer_id: int | None) -> WooBuyer | None:
    query = Q(email_key=key)
    if customer_id:
        query |= Q(woo_customer_id=customer_id)
    buyer = WooBuyer.objects.filter(query, store=store).order_by("pk").first()
    if buyer is not None and customer_id and buyer.woo_customer_id is None:
        WooBuyer.objects.filter(pk=buyer.pk, woo_customer_id=None).update(woo_customer_id=customer_id)
    return buyer


def _crm_record(email: str) -> Any:
    """A person already in the CRM with this address (None when remote matching is off or nobody is found)."""
    directory = remote_directory()
    if directory is None:
        return None
    records = directory.search(query=RemoteQuery(emails=(email.strip().lower(),)))
    people = [
        r
        for r in records
        if r.sobject in ("Contact", "Lead") and email_key(r.fields.get("email", "")) == email_key(email)
    ]
    return people[0] if people else None


def _new_lead(store: WooStore, details: BuyerDetails, reference: str) -> Any:
    external_id = str(details.woo_customer_id) if details.woo_customer_id else f"guest-{reference.split()[-1]}"
    return lead_create(
        actor=store.source,
        source_kind=SourceKind.API,
        source=store.source,
        submission={"woocommerce": reference, **details.fields, **details.custom},
        custom_fields=details.custom,
        external_id=external_id,
        **details.fields,
    )


def order_record(*, store: WooStore, buyer: WooBuyer, order: dict[str, Any]) -> WooOrder:
    """Put an order on its buyer's timeline once; a lead buyer also gets a note (a customer.updated event when
    the lead is already a customer)."""
    woo_id = order.get("id")
    if not isinstance(woo_id, int) or woo_id <= 0:
        raise ApplicationError("The order has no id.")
    with transaction.atomic():
        row, created = WooOrder.objects.get_or_create(
            store=store,
            woo_id=woo_id,
            defaults={
                "buyer": buyer,
                "number": str(order.get("number") or woo_id)[:64],
                "status": str(order.get("status") or "")[:32],
                "currency": str(order.get("currency") or "")[:3],
                "total": _amount(order.get("total")),
                "ordered_at": _gmt(order.get("date_created_gmt")),
            },
        )
        if created and buyer.lead_id:
            lead_event_record(
                lead=buyer.lead,
                kind=LeadEvent.Kind.NOTE,
                actor=store.source,
                reason=f"Order {row.number} in {store.name}: {row.total} {row.currency}",
                data={
                    "customer_change": "order",
                    "store": store.name,
                    "order_id": woo_id,
                    "number": row.number,
                    "total": str(row.total),
                    "currency": row.currency,
                },
            )
    return row


def _amount(value: Any) -> Decimal:
    try:
        return Decimal(str(value or "0")).quantize(Decimal("0.01"))
    except InvalidOperation as error:
        raise ApplicationError(f"The order total {value!r} is not an amount.") from error


def _gmt(value: Any) -> Any:
    parsed = parse_datetime(str(value or ""))
    if parsed is None:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)  # *_gmt fields carry no offset


# --- back-fill ----------------------------------------------------------------------------------


def backfill_start(*, store: WooStore, in_worker: bool = True) -> list[WooBackfill]:
    """Read the shop's existing customers and orders (in a worker, or by the caller when `in_worker` is off).
    A back-fill already under way is resumed, not doubled."""
    backfills = []
    with transaction.atomic():
        for collection in COLLECTIONS:
            backfill = (
                WooBackfill.objects.filter(store=store, collection=collection)
                .exclude(state__in=(BackfillState.DONE, BackfillState.FAILED))
                .first()
            ) or WooBackfill.objects.create(store=store, collection=collection)
            if in_worker:
                wake_on_commit(_task("run_woocommerce_backfill"), backfill.pk)
            backfills.append(backfill)
    return backfills


def backfill_run(*, backfill_id: int, progress: Callable[[WooBackfill], None] | None = None) -> WooBackfill | None:
    """Read pages from the cursor on until the last one. Returns None when another worker holds the back-fill.

    Each page's records and the cursor move commit together; a worker killed mid-page leaves the cursor on that
    page. A back-fill taken over from a dead worker starts one page earlier: if records were deleted in the
    shop meanwhile, the pages shifted, and the page before catches what moved back onto it.
    """
    token = _backfill_claim(backfill_id)
    if token is None:
        return None
    backfill = WooBackfill.objects.select_related("store").get(pk=backfill_id)
    client = WooClient(backfill.store)
    while backfill.state == BackfillState.RUNNING:
        try:
            page = client.page(backfill.collection, backfill.next_page)
        except ExternalServiceError as error:
            _backfill_stop(backfill, token, error)
            break
        _backfill_page(backfill, token, page.items, page.total, last=backfill.next_page >= page.total_pages)
        backfill.refresh_from_db()
        if progress is not None:
            progress(backfill)
    return backfill


def _backfill_claim(backfill_id: int) -> uuid.UUID | None:
    now, token = timezone.now(), uuid.uuid4()
    lease = {"state": BackfillState.RUNNING, "claim_token": token, "lease_until": _lease_end(), "error": ""}
    if WooBackfill.objects.filter(pk=backfill_id, state=BackfillState.PENDING).update(**lease):
        return token
    taken_over = WooBackfill.objects.filter(pk=backfill_id, state=BackfillState.RUNNING, lease_until__lt=now).update(
        next_page=Greatest(F("next_page") - 1, 1), **lease
    )
    return token if taken_over else None


def _backfill_page(backfill: WooBackfill, token: uuid.UUID, items: list[dict], total: int, *, last: bool) -> None:
    with transaction.atomic():
        held = WooBackfill.objects.select_for_update().filter(pk=backfill.pk, claim_token=token).exists()
        if not held:
            raise ApplicationError("Another worker took this back-fill over.")
        skipped = [reason for resource in items if (reason := _backfill_record(backfill, resource))]
        changes: dict[str, Any] = {
            "next_page": backfill.next_page + 1,
            # Counted from the page number, so a page read again after a take-over is not counted twice.
            "processed": min(total, (backfill.next_page - 1) * settings.WOOCOMMERCE_PAGE_SIZE + len(items)),
            "total": total,
            "lease_until": _lease_end(),
            "skipped": F("skipped") + len(skipped),
        }
        if skipped:
            changes["error"] = "\n".join(skipped)[-2000:]
        if last or not items:
            changes |= {"state": BackfillState.DONE, "finished_at": timezone.now(), "claim_token": None}
        WooBackfill.objects.filter(pk=backfill.pk, claim_token=token).update(**changes)


def _backfill_record(backfill: WooBackfill, resource: Any) -> str:
    """Record one resource of a page; a record the shop sent malformed is skipped with the reason ('' if fine)."""
    if not isinstance(resource, dict):
        return f"A {backfill.collection} entry is not an object; skipped."
    refused = resource_record_or_reason(store=backfill.store, collection=backfill.collection, resource=resource)
    return f"{backfill.collection} {resource.get('id')}: {refused}" if refused else ""


def _backfill_stop(backfill: WooBackfill, token: uuid.UUID, error: ExternalServiceError) -> None:
    """A transient error leaves the back-fill for the sweeper (lease ends now); a permanent one fails it."""
    if error.permanent:
        changes = {"state": BackfillState.FAILED, "finished_at": timezone.now(), "claim_token": None}
    else:
        changes = {"lease_until": timezone.now()}
    WooBackfill.objects.filter(pk=backfill.pk, claim_token=token).update(error=error.message, **changes)
    backfill.refresh_from_db()


def backfills_resume_stalled() -> list[int]:
    """Sweeper: back-fills waiting for a worker, or whose worker stopped (lease over), are handed out again."""
    ids = list(
        WooBackfill.objects.filter(
            Q(state=BackfillState.PENDING) | Q(state=BackfillState.RUNNING, lease_until__lt=timezone.now())
        ).values_list("pk", flat=True)
    )
    for backfill_id in ids:
        wake_on_commit(_task("run_woocommerce_backfill"), backfill_id)
    return ids


def _lease_end() -> Any:
    return timezone.now() + timedelta(seconds=settings.WOOCOMMERCE_BACKFILL_LEASE_SECONDS)


def _task(name: str) -> Any:
    from leadflow.integrations.woocommerce import tasks

    return getattr(tasks, name)
