"""A local WooCommerce stand-in: the REST API v3 list endpoints a back-fill reads, and webhooks a shop sends.

Strict where WooCommerce is strict (see README.md for each limit and its source): keys are checked on every
request, `per_page` is 1 to 100, `page` ≥ 1, `orderby`/`order` take only the documented values, paging headers
`X-WP-Total`/`X-WP-TotalPages`/`Link` are sent, and a webhook is disabled after more than 5 failed deliveries.
"""

import base64
import hashlib
import hmac
import itertools
import json
import threading
from dataclasses import dataclass, field
from http.server import ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import requests

from standins.http import JsonHandler, ServedInBackground
from standins.woocommerce.store import ShopData

API_PREFIX = "/wp-json/wc/v3/"
MAX_PER_PAGE = 100
DEFAULT_PER_PAGE = 10
# Orderings each collection accepts (WooCommerce REST API v3 reference, "List all customers/orders").
ORDERBY = {
    "customers": ("id", "include", "name", "registered_date"),
    "orders": ("date", "id", "include", "title", "slug", "modified"),
}
DEFAULT_ORDERBY = {"customers": "name", "orders": "date"}
# WC_Webhook::deliver(): a webhook is disabled once its failure count passes this many in a row.
MAX_DELIVERY_FAILURES = 5
TOPICS = ("customer.created", "customer.updated", "order.created", "order.updated")


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message

    def body(self) -> dict[str, Any]:
        return {"code": self.code, "message": self.message, "data": {"status": self.status}}


@dataclass
class Webhook:
    id: int
    topic: str
    delivery_url: str
    secret: str
    status: str = "active"
    failure_count: int = 0
    deliveries: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class WooStandin(ServedInBackground):
    """The shop: data, API keys, webhooks and a log of REST calls. `hold_page` makes the request for that page
    of a collection wait until `release` is set (to catch a client mid-back-fill); `page_requested` is set
    when it arrives."""

    consumer_key: str = "ck_" + "0" * 40
    consumer_secret: str = "cs_" + "1" * 40
    data: ShopData = field(default_factory=ShopData)
    webhooks: list[Webhook] = field(default_factory=list)
    calls: list[dict[str, Any]] = field(default_factory=list)
    hold_page: tuple[str, int] | None = None
    page_requested: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)
    port: int = 0
    _server: ThreadingHTTPServer | None = None
    _webhook_ids: itertools.count = field(default_factory=lambda: itertools.count(1))
    _delivery_ids: itertools.count = field(default_factory=lambda: itertools.count(1))

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    # --- shop activity, as a shop owner's customers cause it ------------------------------------

    def add_webhook(self, *, topic: str, delivery_url: str, secret: str) -> Webhook:
        """Register a webhook. WooCommerce pings the URL first and refuses to save when the ping fails."""
        if topic not in TOPICS:
            raise ValueError(f"Unknown topic {topic!r}.")
        webhook = Webhook(next(self._webhook_ids), topic, delivery_url, secret)
        ping = requests.post(delivery_url, data={"webhook_id": webhook.id}, timeout=10)
        if not 200 <= ping.status_code < 300:
            raise ValueError(f"Error: Delivery URL returned response code: {ping.status_code}")
        self.webhooks.append(webhook)
        return webhook

    def create_customer(self, **values: Any) -> dict[str, Any]:
        customer = self.data.add_customer(**values)
        self._fire("customer.created", customer)
        return customer

    def create_order(self, **values: Any) -> dict[str, Any]:
        order = self.data.add_order(**values)
        self._fire("order.created", order)
        return order

    def _fire(self, topic: str, resource: dict[str, Any]) -> None:
        for webhook in self.webhooks:
            if webhook.topic == topic and webhook.status == "active":
                self.deliver(webhook, resource)

    def deliver(self, webhook: Webhook, resource: dict[str, Any], *, signature: str | None = None) -> int:
        """POST the resource as WooCommerce does; returns the receiver's status (0 when unreachable)."""
        body = json.dumps(resource).encode()
        resource_name, event = webhook.topic.split(".")
        headers = {
            "Content-Type": "application/json",
            "User-Agent": "WooCommerce/9.4.0 Hookshot (WordPress/6.7)",
            "X-WC-Webhook-Source": f"{self.url}/",
            "X-WC-Webhook-Topic": webhook.topic,
            "X-WC-Webhook-Resource": resource_name,
            "X-WC-Webhook-Event": event,
            "X-WC-Webhook-Signature": signature or sign(webhook.secret, body),
            "X-WC-Webhook-ID": str(webhook.id),
            "X-WC-Webhook-Delivery-ID": str(next(self._delivery_ids)),
        }
        try:
            status = requests.post(webhook.delivery_url, data=body, headers=headers, timeout=10).status_code
        except requests.RequestException:
            status = 0
        self._count_delivery(webhook, status)
        return status

    def _count_delivery(self, webhook: Webhook, status: int) -> None:
        webhook.deliveries.append({"status": status})
        if 200 <= status < 300 or status in (301, 302):
            webhook.failure_count = 0
        elif webhook.failure_count > MAX_DELIVERY_FAILURES - 1:
            webhook.status = "disabled"
        else:
            webhook.failure_count += 1

    # --- the REST API ---------------------------------------------------------------------------

    def handle_get(self, path: str, query: dict[str, list[str]], authorization: str) -> tuple[int, dict, Any]:
        """(status, headers, JSON body) for GET `path`."""
        collection = path.removeprefix(API_PREFIX).strip("/")
        if not path.startswith(API_PREFIX) or collection not in ORDERBY:
            raise ApiError(404, "rest_no_route", "No route was found matching the URL and request method.")
        self._authenticate(query, authorization)
        page = _int_param(query, "page", 1, minimum=1)
        per_page = _int_param(query, "per_page", DEFAULT_PER_PAGE, minimum=1, maximum=MAX_PER_PAGE)
        orderby = _choice_param(query, "orderby", DEFAULT_ORDERBY[collection], ORDERBY[collection])
        order = _choice_param(query, "order", "desc" if collection == "orders" else "asc", ("asc", "desc"))
        self.calls.append({"collection": collection, "page": page, "per_page": per_page})
        if self.hold_page == (collection, page):
            self.page_requested.set()
            self.release.wait(timeout=60)
        items = self._sorted(collection, orderby, order)
        total_pages = max(1, -(-len(items) // per_page)) if items else 0
        headers = {"X-WP-Total": str(len(items)), "X-WP-TotalPages": str(total_pages)}
        links = self._links(path, query, page, total_pages)
        if links:
            headers["Link"] = links
        return 200, headers, items[(page - 1) * per_page : page * per_page]

    def _authenticate(self, query: dict[str, list[str]], authorization: str) -> None:
        key, secret = _credentials(query, authorization)
        if not key:
            raise ApiError(401, "woocommerce_rest_cannot_view", "Sorry, you cannot list resources.")
        if not hmac.compare_digest(key, self.consumer_key):
            raise ApiError(401, "woocommerce_rest_authentication_error", "Consumer key is invalid.")
        if not hmac.compare_digest(secret, self.consumer_secret):
            raise ApiError(401, "woocommerce_rest_authentication_error", "Consumer secret is invalid.")

    def _sorted(self, collection: str, orderby: str, order: str) -> list[dict[str, Any]]:
        with self.data.lock:
            items = list(getattr(self.data, collection).values())
        keys = {
            "id": lambda r: r["id"],
            "include": lambda r: r["id"],
            "name": lambda r: (r.get("last_name") or r["billing"]["last_name"], r["id"]),
            "registered_date": lambda r: (r["date_created_gmt"], r["id"]),
            "date": lambda r: (r["date_created_gmt"], r["id"]),
            "modified": lambda r: (r["date_modified_gmt"], r["id"]),
            "title": lambda r: r["id"],
            "slug": lambda r: r["id"],
        }
        return sorted(items, key=keys[orderby], reverse=order == "desc")

    def _links(self, path: str, query: dict[str, list[str]], page: int, total_pages: int) -> str:
        def link(number: int, rel: str) -> str:
            params = {k: v[-1] for k, v in query.items() if k not in ("consumer_key", "consumer_secret")}
            return f'<{self.url}{path}?{urlencode(params | {"page": number})}>; rel="{rel}"'

        parts = []
        if page > 1:
            parts.append(link(min(page - 1, total_pages or 1), "prev"))
        if page < total_pages:
            parts.append(link(page + 1, "next"))
        return ", ".join(parts)

    # --- serving --------------------------------------------------------------------------------

    def handler(self) -> type[JsonHandler]:
        return _handler_for(self)


def sign(secret: str, body: bytes) -> str:
    """X-WC-Webhook-Signature: base64 of the HMAC-SHA256 of the raw body, keyed with the webhook's secret."""
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def _credentials(query: dict[str, list[str]], authorization: str) -> tuple[str, str]:
    """Basic auth (`consumer_key:consumer_secret`) or the `consumer_key`/`consumer_secret` query parameters."""
    if authorization.lower().startswith("basic "):
        try:
            key, _, secret = base64.b64decode(authorization[6:]).decode().partition(":")
        except ValueError:
            return "", ""
        return key, secret
    return query.get("consumer_key", [""])[-1], query.get("consumer_secret", [""])[-1]


def _int_param(query: dict[str, list[str]], name: str, default: int, *, minimum: int, maximum: int = 0) -> int:
    raw = query.get(name, [str(default)])[-1]
    try:
        value = int(raw)
    except ValueError:
        raise ApiError(400, "rest_invalid_param", f"Invalid parameter(s): {name}") from None
    if value < minimum or (maximum and value > maximum):
        raise ApiError(400, "rest_invalid_param", f"Invalid parameter(s): {name}")
    return value


def _choice_param(query: dict[str, list[str]], name: str, default: str, allowed: tuple[str, ...]) -> str:
    value = query.get(name, [default])[-1]
    if value not in allowed:
        raise ApiError(400, "rest_invalid_param", f"Invalid parameter(s): {name}")
    return value


def _handler_for(standin: WooStandin) -> type[JsonHandler]:
    class Handler(JsonHandler):
        def do_GET(self) -> None:
            parts = urlsplit(self.path)
            try:
                status, headers, body = standin.handle_get(
                    parts.path, parse_qs(parts.query), self.headers.get("Authorization", "")
                )
            except ApiError as error:
                status, headers, body = error.status, {}, error.body()
            self.send_json(status, body, {"Content-Type": "application/json; charset=UTF-8", **headers})

    return Handler
