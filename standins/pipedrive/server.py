"""A local Pipedrive stand-in: the API v2 endpoints conversion and won-deal polling use, and v2 webhooks.

Strict where Pipedrive is strict (README.md lists each limit with its source): every request needs the API token
(`x-api-token` header or `api_token` parameter) or an OAuth bearer token; errors have Pipedrive's body shape
(`success: false, error, error_info, data, additional_data`); every answer carries the `x-ratelimit-*` headers of
a 2-second window, and a request over it gets 429 with `Retry-After`; search has its own, smaller window; lists
page with `cursor`/`limit` (at most 500) and `additional_data.next_cursor`; unknown custom-field keys, missing
names/titles, bad dates and currencies are refused with 400.
"""

import base64
import itertools
import json
import re
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import requests

from standins.http import JsonHandler, ServedInBackground

API_TOKEN = "standin-api-token"  # noqa: S105 (the stand-in's well-known token)
ACCESS_TOKEN = "standin-oauth-access-token"  # noqa: S105
# Custom field keys are 40-character hashes in Pipedrive; these are the stand-in's (settings default to them).
CUSTOM_FIELDS = {
    "organization": {
        "leadflow_id": "5f1c6b0a1e4d2c3b4a5968778695a4b3c2d1e0f1",
        "kvk": "6a2d7c1b2f5e3d4c5b6a79889706b5c4d3e2f102",
        "domain": "7b3e8d2c306f4e5d6c7b8a99a817c6d5e4f30213",
    },
    "person": {"leadflow_id": "8c4f9e3d4170506e7d8c9baab928d7e6f5041324"},
    "deal": {"leadflow_id": "9d50af4e5281617f8e9dacbbca39e8f706152435"},
}
ENTITIES = {"organizations": "organization", "persons": "person", "deals": "deal"}
STAGES = [
    {"id": 1, "name": "Qualified", "pipeline_id": 1, "order_nr": 1},
    {"id": 2, "name": "Contact Made", "pipeline_id": 1, "order_nr": 2},
    {"id": 3, "name": "Proposal Made", "pipeline_id": 1, "order_nr": 3},
    {"id": 4, "name": "Negotiations Started", "pipeline_id": 1, "order_nr": 4},
]
WINDOW_SECONDS = 2.0  # Rate limiting: "the rate limit window duration is 2 seconds"
REQUESTS_PER_WINDOW = 20  # Essential plan, api_token
SEARCHES_PER_WINDOW = 10  # "Rate limiting for Search API": 10 per 2 seconds on every plan
MAX_LIMIT = 500
DEFAULT_LIMIT = 100
DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
CURRENCY = re.compile(r"^[A-Z]{3}$")
DEAL_STATUSES = ("open", "won", "lost", "deleted")


class ApiError(Exception):
    def __init__(self, status: int, error: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(error)
        self.status, self.error, self.headers = status, error, headers or {}

    def body(self) -> dict[str, Any]:
        return {
            "success": False,
            "error": self.error,
            "error_info": "Please check developers.pipedrive.com for more information about Pipedrive API.",
            "data": None,
            "additional_data": None,
        }


@dataclass
class Webhook:
    id: int
    subscription_url: str
    event_action: str
    event_object: str
    http_auth_user: str = ""
    http_auth_password: str = ""
    deliveries: list[int] = field(default_factory=list)


@dataclass
class PipedriveStandin(ServedInBackground):
    """The company account: records, webhooks, a log of calls and faults to inject.

    `throttle(n, retry_after)` answers the next n requests with 429; `lose_next_answer(path_part)` carries out
    the next POST whose path contains `path_part` and then drops the connection without answering;
    `hold_next_answer(path_part)` carries it out, sets `answer_held` and answers only once `release` is set (to
    kill a worker between Pipedrive's write and its answer)."""

    api_token: str = API_TOKEN
    access_token: str = ACCESS_TOKEN
    requests_per_window: int = REQUESTS_PER_WINDOW
    records: dict[str, dict[int, dict[str, Any]]] = field(
        default_factory=lambda: {"organization": {}, "person": {}, "deal": {}}
    )
    webhooks: list[Webhook] = field(default_factory=list)
    calls: list[dict[str, Any]] = field(default_factory=list)
    rate_limited: int = 0  # requests answered 429
    answers_lost: int = 0  # writes carried out whose answer was never sent
    port: int = 0
    _throttled: list[float] = field(default_factory=list)
    _lose: list[str] = field(default_factory=list)
    _hold: list[str] = field(default_factory=list)
    answer_held: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)
    _windows: dict[str, list[float]] = field(default_factory=dict)
    _ids: itertools.count = field(default_factory=lambda: itertools.count(1))
    _lock: threading.RLock = field(default_factory=threading.RLock)
    _server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    # --- controls for tests and people ----------------------------------------------------------

    def throttle(self, count: int = 1, *, retry_after: float = 1) -> None:
        self._throttled += [retry_after] * count

    def lose_next_answer(self, path_part: str) -> None:
        self._lose.append(path_part)

    def hold_next_answer(self, path_part: str) -> None:
        self._hold.append(path_part)

    def add(self, entity: str, **values: Any) -> dict[str, Any]:
        """A record people made in Pipedrive themselves (custom fields by their names in CUSTOM_FIELDS)."""
        custom = {CUSTOM_FIELDS[entity][name]: value for name, value in values.pop("custom", {}).items()}
        with self._lock:
            return self._store(entity, {**values, "custom_fields": custom})

    def all(self, entity: str) -> list[dict[str, Any]]:
        with self._lock:
            return [dict(record) for record in self.records[entity].values()]

    def add_webhook(self, **values: Any) -> Webhook:
        """POST /v1/webhooks with version 2.0: event_action and event_object, optional basic-auth credentials."""
        webhook = Webhook(next(self._ids), **values)
        self.webhooks.append(webhook)
        return webhook

    def win_deal(self, deal_id: int) -> dict[str, Any]:
        """A salesperson marks the deal won in the web app: the change is stored, then v2 webhooks fire."""
        with self._lock:
            deal = self.records["deal"][deal_id]
            previous = {"status": deal["status"]}
            deal.update(status="won", won_time=_now(), update_time=_now())
            current = dict(deal)
        for webhook in self.webhooks:
            if webhook.event_action in ("change", "*") and webhook.event_object in ("deal", "*"):
                self._deliver(webhook, "change", "deal", current, previous)
        return current

    def _deliver(self, webhook: Webhook, action: str, entity: str, data: dict, previous: dict) -> None:
        body = {
            "meta": {
                "action": action,
                "entity": entity,
                "entity_id": str(data["id"]),
                "id": f"{webhook.id}-{len(webhook.deliveries) + 1}",
                "version": "2.0",
                "webhook_id": str(webhook.id),
                "attempt": 1,
                "host": "standin.pipedrive.com",
                "timestamp": _now(),
                "change_source": "app",
            },
            "data": data,
            "previous": previous,
        }
        auth = (webhook.http_auth_user, webhook.http_auth_password) if webhook.http_auth_user else None
        try:
            status = requests.post(webhook.subscription_url, json=body, auth=auth, timeout=10).status_code
        except requests.RequestException:
            status = 0
        webhook.deliveries.append(status)

    # --- the API --------------------------------------------------------------------------------

    def handle(self, method: str, path: str, query: dict[str, list[str]], headers: Any, body: bytes) -> tuple:
        """(status, extra headers, JSON body, lose the answer?)."""
        won = re.fullmatch(r"/_standin/deals/(\d+)/win", path)
        if won and method == "POST":  # people's hand in the web app, for local runs; not part of Pipedrive's API
            if int(won[1]) not in self.records["deal"]:
                raise ApiError(404, "Deal not found")
            return 200, {}, {"success": True, "data": self.win_deal(int(won[1]))}, False
        self._authenticate(query, headers)
        search = path.endswith("/search") or path == "/api/v2/itemSearch"
        limit_headers = self._count(self.api_token if "x-api-token" in headers else "token", search)
        self.calls.append(
            {"method": method, "path": path, "query": {k: v[-1] for k, v in query.items()}, "at": time.monotonic()}
        )
        if self._throttled:
            wait = self._throttled.pop(0)
            self.rate_limited += 1
            raise ApiError(429, "Request over limit", {**limit_headers, "Retry-After": str(int(wait))})
        payload = self._json(body) if method in ("POST", "PATCH") else {}
        status, answer = self._route(method, path, query, payload)
        lost = self._armed(self._lose, method, path)
        if lost:
            self.answers_lost += 1
        if self._armed(self._hold, method, path):
            self.answer_held.set()
            self.release.wait(timeout=60)
        return status, limit_headers, answer, lost

    @staticmethod
    def _armed(paths: list[str], method: str, path: str) -> bool:
        """Whether a fault armed for this write's path fires (once per arming)."""
        armed = next((part for part in paths if part in path), None) if method in ("POST", "PATCH") else None
        if armed is not None:
            paths.remove(armed)
        return armed is not None

    def _authenticate(self, query: dict[str, list[str]], headers: Any) -> None:
        token = headers.get("x-api-token") or query.get("api_token", [""])[-1]
        bearer = headers.get("Authorization", "")
        if token:
            if token != self.api_token:
                raise ApiError(401, "unauthorized access")
        elif bearer.startswith("Bearer "):
            if bearer[7:] != self.access_token:
                raise ApiError(401, "Invalid token: access token is invalid")
        else:
            raise ApiError(401, "You need to be authorized to make this request.")

    def _count(self, token: str, search: bool) -> dict[str, str]:
        """The x-ratelimit-* headers of this token's 2-second window; over the limit is a 429."""
        limit = SEARCHES_PER_WINDOW if search else self.requests_per_window
        now = time.monotonic()
        with self._lock:
            window = [t for t in self._windows.get(f"{token}:{search}", []) if now - t < WINDOW_SECONDS]
            reset = int(WINDOW_SECONDS - (now - window[0])) + 1 if window else int(WINDOW_SECONDS)
            headers = {"x-ratelimit-limit": str(limit), "x-ratelimit-reset": str(reset)}
            if len(window) >= limit:
                self._windows[f"{token}:{search}"] = window
                self.rate_limited += 1
                raise ApiError(
                    429, "Request over limit", {**headers, "x-ratelimit-remaining": "0", "Retry-After": str(reset)}
                )
            window.append(now)
            self._windows[f"{token}:{search}"] = window
            return {**headers, "x-ratelimit-remaining": str(limit - len(window))}

    @staticmethod
    def _json(body: bytes) -> dict[str, Any]:
        try:
            payload = json.loads(body or b"{}")
        except ValueError:
            raise ApiError(400, "Request body is not valid JSON") from None
        if not isinstance(payload, dict):
            raise ApiError(400, "Request body must be a JSON object")
        return payload

    def _route(self, method: str, path: str, query: dict[str, list[str]], payload: dict) -> tuple[int, dict]:
        parts = path.strip("/").split("/")
        if parts[:2] != ["api", "v2"] or len(parts) < 3:
            raise ApiError(404, "Not found")
        resource, rest = parts[2], parts[3:]
        if resource == "itemSearch" and not rest and method == "GET":
            return 200, self._search(list(ENTITIES.values()), query)
        if resource == "stages" and not rest and method == "GET":
            return 200, _page(STAGES, query)
        entity = ENTITIES.get(resource)
        if entity is None:
            raise ApiError(404, "Not found")
        if rest == ["search"] and method == "GET":
            return 200, self._search([entity], query)
        if not rest and method == "GET":
            return 200, self._list(entity, query)
        if not rest and method == "POST":
            return 201, {"success": True, "data": self._create(entity, payload)}
        if len(rest) == 1 and rest[0].isdigit():
            record = self.records[entity].get(int(rest[0]))
            if record is None:
                raise ApiError(404, f"{entity.capitalize()} not found")
            if method == "GET":
                return 200, {"success": True, "data": record}
            if method == "PATCH":
                return 200, {"success": True, "data": self._update(entity, record, payload)}
        raise ApiError(405 if rest in ([], ["search"]) else 404, "Not found")

    def _create(self, entity: str, payload: dict) -> dict[str, Any]:
        values = self._validated(entity, payload, creating=True)
        with self._lock:
            return self._store(entity, values)

    def _update(self, entity: str, record: dict, payload: dict) -> dict[str, Any]:
        values = self._validated(entity, payload, creating=False)
        with self._lock:
            custom = {**record.get("custom_fields", {}), **values.pop("custom_fields", {})}
            record.update(values, custom_fields=custom, update_time=_now())
            return dict(record)

    def _store(self, entity: str, values: dict[str, Any]) -> dict[str, Any]:
        record_id = len(self.records[entity]) + 1
        record = {"id": record_id, "add_time": _now(), "update_time": _now(), **values}
        if entity == "deal":
            record.setdefault("status", "open")
            record.setdefault("stage_id", STAGES[0]["id"])
            record.setdefault("currency", "EUR")
        self.records[entity][record_id] = record
        return dict(record)

    def _validated(self, entity: str, payload: dict, *, creating: bool) -> dict[str, Any]:
        name_field = "title" if entity == "deal" else "name"
        if creating and not str(payload.get(name_field) or "").strip():
            raise ApiError(400, f"Validation failed: {name_field}: Required")
        custom = payload.get("custom_fields", {})
        if not isinstance(custom, dict):
            raise ApiError(400, "Validation failed: custom_fields: Expected object")
        unknown = sorted(set(custom) - set(CUSTOM_FIELDS[entity].values()))
        if unknown:
            raise ApiError(400, f"Custom field(s) not found: {', '.join(unknown)}")
        for key, value in custom.items():
            if value is not None and (not isinstance(value, str) or len(value) > 255):
                raise ApiError(
                    400, f"Validation failed: custom_fields.{key}: Expected a text of at most 255 characters"
                )
        for link in ("org_id", "person_id"):
            linked = payload.get(link)
            target = "organization" if link == "org_id" else "person"
            if linked is not None and linked not in self.records[target]:
                raise ApiError(400, f"Validation failed: {link}: {target.capitalize()} {linked} not found")
        if entity == "person":
            for kind in ("emails", "phones"):
                items = payload.get(kind, [])
                if not isinstance(items, list) or not all(isinstance(i, dict) and i.get("value") for i in items):
                    raise ApiError(400, f"Validation failed: {kind}: Expected an array of {{value, primary, label}}")
        if entity == "deal":
            self._validate_deal(payload)
        return payload

    @staticmethod
    def _validate_deal(payload: dict) -> None:
        if "value" in payload and not isinstance(payload["value"], int | float):
            raise ApiError(400, "Validation failed: value: Expected number")
        if "currency" in payload and not CURRENCY.match(str(payload["currency"])):
            raise ApiError(400, f"Validation failed: currency: Invalid currency {payload['currency']!r}")
        close = payload.get("expected_close_date")
        if close is not None and not DATE.match(str(close)):
            raise ApiError(400, "Validation failed: expected_close_date: Expected a date (YYYY-MM-DD)")
        if "stage_id" in payload and payload["stage_id"] not in {s["id"] for s in STAGES}:
            raise ApiError(400, f"Validation failed: stage_id: Stage {payload['stage_id']} not found")
        if payload.get("status", "open") not in DEAL_STATUSES:
            raise ApiError(400, f"Validation failed: status: Must be one of {', '.join(DEAL_STATUSES)}")

    def _search(self, entities: list[str], query: dict[str, list[str]]) -> dict[str, Any]:
        term = query.get("term", [""])[-1]
        exact = query.get("exact_match", ["false"])[-1] == "true"
        if len(term) < (1 if exact else 2):
            raise ApiError(400, "Validation failed: term: Must be at least 2 characters (1 with exact_match)")
        fields = set(query.get("fields", ["name,email,custom_fields,title"])[-1].split(","))
        types = set(query.get("item_types", [",".join(entities)])[-1].split(","))
        items = []
        with self._lock:
            for entity in entities:
                if entity not in types:
                    continue
                for record in self.records[entity].values():
                    if _matches(record, term, fields, exact):
                        items.append({"result_score": 1.0, "item": _search_item(entity, record)})
        page = _page(items, query)
        page["data"] = {"items": page["data"]}
        return page

    def _list(self, entity: str, query: dict[str, list[str]]) -> dict[str, Any]:
        with self._lock:
            records = [dict(r) for r in self.records[entity].values()]
        ids = query.get("ids", [""])[-1]
        if ids:
            wanted = ids.split(",")
            if len(wanted) > 100 or not all(i.isdigit() for i in wanted):
                raise ApiError(400, "Validation failed: ids: Expected at most 100 comma-separated ids")
            records = [r for r in records if str(r["id"]) in wanted]
        status = query.get("status", [""])[-1]
        if status:
            if entity != "deal" or status not in DEAL_STATUSES:
                raise ApiError(400, f"Validation failed: status: Must be one of {', '.join(DEAL_STATUSES)}")
            records = [r for r in records if r.get("status") == status]
        return _page(records, query)

    # --- serving --------------------------------------------------------------------------------

    def handler(self) -> type[JsonHandler]:
        return _handler_for(self)


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _matches(record: dict, term: str, fields: set[str], exact: bool) -> bool:
    values = []
    if "name" in fields or "title" in fields:
        values.append(record.get("name") or record.get("title") or "")
    if "email" in fields:
        values += [e["value"] for e in record.get("emails", [])]
    if "custom_fields" in fields:
        values += [v for v in record.get("custom_fields", {}).values() if isinstance(v, str)]
    folded = term.casefold()
    return any((v.casefold() == folded) if exact else (folded in v.casefold()) for v in values)


def _search_item(entity: str, record: dict) -> dict[str, Any]:
    """A search result as v2 search shows it: the record's id, type and name, matched custom field values."""
    item = {
        "id": record["id"],
        "type": entity,
        "name" if entity != "deal" else "title": record.get("name") or record.get("title"),
        "custom_fields": [v for v in record.get("custom_fields", {}).values() if isinstance(v, str)],
    }
    if entity == "person":
        item["emails"] = [e["value"] for e in record.get("emails", [])]
        item["organization"] = {"id": record["org_id"]} if record.get("org_id") else None
    if entity == "deal":
        item["status"] = record.get("status")
    return item


def _page(items: list, query: dict[str, list[str]]) -> dict[str, Any]:
    """Cursor paging of v2 lists: `limit` 1..500 (default 100), an opaque `cursor`, `next_cursor` when more."""
    try:
        limit = int(query.get("limit", [str(DEFAULT_LIMIT)])[-1])
    except ValueError:
        raise ApiError(400, "Validation failed: limit: Expected number") from None
    if not 1 <= limit <= MAX_LIMIT:
        raise ApiError(400, f"Validation failed: limit: Must be between 1 and {MAX_LIMIT}")
    cursor = query.get("cursor", [""])[-1]
    try:
        start = int(base64.urlsafe_b64decode(cursor.encode()).decode().removeprefix("offset:")) if cursor else 0
    except ValueError:
        raise ApiError(400, "Validation failed: cursor: Invalid cursor") from None
    more = start + limit < len(items)
    next_cursor = base64.urlsafe_b64encode(f"offset:{start + limit}".encode()).decode() if more else None
    return {"success": True, "data": items[start : start + limit], "additional_data": {"next_cursor": next_cursor}}


def _handler_for(standin: PipedriveStandin) -> type[JsonHandler]:
    class Handler(JsonHandler):
        methods = ("GET", "POST", "PATCH")

        def serve(self, method: str) -> None:
            parts = urlsplit(self.path)
            body = self.request_body()
            try:
                status, headers, answer, lose = standin.handle(
                    method, parts.path, parse_qs(parts.query), self.headers, body
                )
            except ApiError as error:
                status, headers, answer, lose = error.status, error.headers, error.body(), False
            if lose:
                self.close_connection = True
                self.connection.close()
                return
            self.send_json(status, answer, {"Content-Type": "application/json", **headers})

    return Handler
