"""A local Dynamics 365 Business Central stand-in: the Microsoft identity platform's client-credentials token and
API v2.0 `companies({id})/customers`, as strict as Microsoft's documentation (README.md cites each rule).

In memory, standard library only. Tokens come from `POST /{tenant}/oauth2/v2.0/token`; the API lives under
`/v2.0/{tenant}/{environment}/api/v2.0/`. Every entity carries an `@odata.etag`; PATCH needs `If-Match` (a stale
one → 409 `Request_EntityChanged`). Calls are counted per client in a sliding five-minute window (6,000), 429 beyond.
"""

import json
import re
import secrets
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, urlsplit

from standins.http import JsonHandler, StandinServer

SCOPE = "https://api.businesscentral.dynamics.com/.default"
TOKEN_LIFETIME = 3599
# Customer table field lengths (Name 100, Address 100, Address 2 50, City 30, Post Code 20, Phone No. 30,
# E-Mail 80, Home Page 80, VAT Registration No. 20, No. 20, County 30, Country/Region Code 10).
LENGTHS = {
    "number": 20,
    "displayName": 100,
    "addressLine1": 100,
    "addressLine2": 50,
    "city": 30,
    "state": 30,
    "country": 10,
    "postalCode": 20,
    "phoneNumber": 30,
    "email": 80,
    "website": 80,
    "taxRegistrationNumber": 20,
}
WRITABLE = set(LENGTHS) | {"type", "blocked", "taxLiable", "currencyCode"}
READ_ONLY = {"id", "lastModifiedDateTime", "@odata.etag", "balanceDue", "creditLimit"}
COUNTRIES = {"NL", "BE", "DE", "FR", "GB", "US"}
SELECTABLE = WRITABLE | {"id", "lastModifiedDateTime", "balanceDue"}
FILTER_CLAUSE = re.compile(r"(\w+) (eq|gt|ge) ('(?:[^']|'')*'|\d{4}-\d\d-\d\dT[\d:.]+Z)")


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status, self.headers = status, headers or {}
        self.body = {"error": {"code": code, "message": message}}


@dataclass
class BusinessCentralStandin:
    tenant: str = field(default_factory=lambda: str(uuid.uuid4()))
    environment: str = "production"
    client_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    client_secret: str = field(default_factory=lambda: secrets.token_urlsafe(24))
    company_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    manual_numbers: bool = True  # The customer No. Series allows numbers entered by hand.
    calls_per_window: int = 6000
    window_seconds: float = 300.0
    page_size: int = 20000  # Business Central serves at most 20,000 entities a page
    customers: dict[str, dict[str, Any]] = field(default_factory=dict)
    tokens: dict[str, float] = field(default_factory=dict)
    calls: list[dict[str, Any]] = field(default_factory=list)
    fail_next: list[int] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    url: str = ""
    _sent: list[float] = field(default_factory=list)
    _versions: dict[str, int] = field(default_factory=dict)

    # --- for tests ------------------------------------------------------------------------------------------
    def add_customer(self, **fields: Any) -> dict[str, Any]:
        """A customer someone entered in Business Central directly."""
        with self.lock:
            return self._create({"displayName": "Customer", **fields}, numbered=True)

    def change_customer(self, customer_id: str, **fields: Any) -> None:
        """Someone edits the customer in Business Central: its ETag changes."""
        with self.lock:
            self._store(self.customers[customer_id] | fields)

    def expire_tokens(self) -> None:
        with self.lock:
            self.tokens = dict.fromkeys(self.tokens, 0.0)

    def count(self, method: str, status: int | None = None) -> int:
        return sum(1 for c in self.calls if c["method"] == method and status in (None, c["status"]) and c["api"])

    # --- requests -------------------------------------------------------------------------------------------
    def handle(self, method: str, path: str, query: dict[str, str], headers: Any, body: bytes) -> tuple:
        with self.lock:
            api = path.startswith("/v2.0/")
            extra: dict[str, str] = {}
            try:
                if api:
                    status, answer = self._api(method, path, query, headers, body)
                else:
                    status, answer = 200, self._token(method, path, body)
            except ApiError as error:
                status, answer, extra = error.status, error.body, error.headers
            self.calls.append({"method": method, "path": path, "status": status, "api": api})
            return status, answer, extra

    def _token(self, method: str, path: str, body: bytes) -> dict[str, Any]:
        form = {key: values[0] for key, values in parse_qs(body.decode()).items()}
        if method != "POST" or path != f"/{self.tenant}/oauth2/v2.0/token":
            raise _oauth_error(400, "invalid_request", "AADSTS900144: The request body must contain 'grant_type'.")
        if form.get("grant_type") != "client_credentials":
            raise _oauth_error(400, "unsupported_grant_type", "AADSTS70003: The app requested an unsupported grant.")
        if form.get("client_id") != self.client_id:
            raise _oauth_error(400, "unauthorized_client", "AADSTS700016: Application not found in the directory.")
        if form.get("client_secret") != self.client_secret:
            raise _oauth_error(401, "invalid_client", "AADSTS7000215: Invalid client secret provided.")
        if form.get("scope") != SCOPE:
            raise _oauth_error(400, "invalid_scope", "AADSTS1002012: The provided value for scope is not valid.")
        token = secrets.token_urlsafe(32)
        self.tokens[token] = time.monotonic() + TOKEN_LIFETIME
        return {
            "token_type": "Bearer",
            "expires_in": TOKEN_LIFETIME,
            "ext_expires_in": TOKEN_LIFETIME,
            "access_token": token,
        }

    def _api(self, method: str, path: str, query: dict[str, str], headers: Any, body: bytes) -> tuple[int, Any]:
        self._check_token(headers.get("Authorization", ""))
        self._check_rate()
        if self.fail_next:
            raise ApiError(self.fail_next.pop(0), "Internal_ServerError", "The service is temporarily unavailable.")
        prefix = f"/v2.0/{self.tenant}/{self.environment}/api/v2.0/companies({self.company_id})/customers"
        if not path.startswith(prefix):
            raise ApiError(404, "BadRequest_NotFound", "Resource not found for the segment 'companies'.")
        key = path[len(prefix) :]
        if key == "" and method == "GET":
            return 200, self._list(query, path)
        if key == "" and method == "POST":
            return 201, _shown(self._create(_json(body), numbered=False))
        found = re.fullmatch(r"\(([0-9a-fA-F-]{36})\)", key)
        customer = self.customers.get(found[1].lower()) if found else None
        if customer is None:
            raise ApiError(404, "BadRequest_NotFound", "The Customer does not exist.")
        if method == "GET":
            return 200, _shown(customer)
        if method == "PATCH":
            return 200, _shown(self._patch(customer, headers.get("If-Match"), _json(body)))
        raise ApiError(405, "BadRequest_MethodNotAllowed", "The HTTP method is not allowed.")

    def _check_token(self, authorization: str) -> None:
        scheme, _, token = authorization.partition(" ")
        if scheme != "Bearer" or self.tokens.get(token, 0.0) <= time.monotonic():
            raise ApiError(
                401,
                "Authentication_InvalidCredentials",
                "The server has rejected the client credentials.",
                {"WWW-Authenticate": 'Bearer error="invalid_token"'},
            )

    def _check_rate(self) -> None:
        now = time.monotonic()
        self._sent = [sent for sent in self._sent if sent > now - self.window_seconds]
        if len(self._sent) >= self.calls_per_window:
            raise ApiError(429, "Application_TooManyRequests", "Too many requests reached. Please try again later.")
        self._sent.append(now)

    def _list(self, query: dict[str, str], path: str) -> dict[str, Any]:
        unknown = set(query) - {"$filter", "$select", "$top", "$skip", "$skiptoken"}
        if unknown:
            message = f"The query parameter '{unknown.pop()}' is not supported."
            raise ApiError(400, "BadRequest_InvalidRequestUrl", message)
        wanted = [c for c in self.customers.values() if _matches(c, query.get("$filter", ""))]
        select = [name for name in query.get("$select", "").split(",") if name]
        if set(select) - SELECTABLE:
            message = f"Could not find a property named '{(set(select) - SELECTABLE).pop()}'."
            raise ApiError(400, "BadRequest_NotFound", message)
        skip = int(query.get("$skiptoken") or 0)
        page = wanted[skip : skip + self.page_size]
        body: dict[str, Any] = {"value": [_shown(c, select) for c in page]}
        if len(wanted) > skip + len(page):
            following = {k: v for k, v in query.items() if k != "$skiptoken"} | {"$skiptoken": str(skip + len(page))}
            body["@odata.nextLink"] = f"{self.url}{path}?" + "&".join(f"{k}={v}" for k, v in following.items())
        return body

    def _create(self, document: Any, *, numbered: bool) -> dict[str, Any]:
        customer = _checked(document)
        if customer.get("id"):
            raise ApiError(400, "BadRequest_InvalidOperation", "Control 'id' is read-only")
        if customer.get("number") and not (self.manual_numbers or numbered):
            raise ApiError(
                400,
                "Application_DialogException",
                "You may not enter numbers manually. If you want to enter numbers manually, please activate "
                "Manual Nos. in No. Series C.",
            )
        if not customer.get("number"):
            customer["number"] = f"C{len(self.customers) + 1:05d}"
        if any(c["number"] == customer["number"] for c in self.customers.values()):
            raise ApiError(
                409,
                "Internal_EntityWithSameKeyExists",
                "The record in table Customer already exists. Identification fields and values: "
                f"No.='{customer['number']}'",
            )
        customer = {"type": "Company", "blocked": " ", "balanceDue": 0, "creditLimit": 0} | customer
        customer["id"] = str(uuid.uuid4())
        return self._store(customer)

    def _patch(self, customer: dict[str, Any], if_match: str | None, document: Any) -> dict[str, Any]:
        if not if_match:
            raise ApiError(
                400,
                "BadRequest_InvalidToken",
                "Could not validate the client concurrency token required by the service. Please provide a valid token "
                "in the client request.",
            )
        if if_match != "*" and if_match != customer["@odata.etag"]:
            raise ApiError(409, "Request_EntityChanged", "Another user has already changed the record.")
        return self._store(customer | _checked(document))

    def _store(self, customer: dict[str, Any]) -> dict[str, Any]:
        version = self._versions.get(customer["id"], 0) + 1
        self._versions[customer["id"]] = version
        customer["@odata.etag"] = f'W/"JzE5OzE{version:06d}{customer["id"][:8]}Oyc="'
        customer["lastModifiedDateTime"] = datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
        self.customers[customer["id"]] = customer
        return customer


def _checked(document: Any) -> dict[str, Any]:
    if not isinstance(document, dict):
        raise ApiError(400, "BadRequest", "The request body is not valid JSON.")
    unknown = set(document) - WRITABLE - READ_ONLY
    if unknown:
        name = unknown.pop()
        raise ApiError(400, "BadRequest", f"The property '{name}' does not exist on type 'Microsoft.NAV.customer'.")
    changes = {k: v for k, v in document.items() if k in WRITABLE}
    for name, limit in LENGTHS.items():
        value = changes.get(name)
        if isinstance(value, str) and len(value) > limit:
            raise ApiError(
                400,
                "Application_StringExceededLength",
                f"The length of the string is {len(value)}, but it must be less than or equal to {limit} characters. "
                f"Value: {value}",
            )
    if changes.get("country") and changes["country"] not in COUNTRIES:
        raise ApiError(
            400,
            "Internal_InvalidTableRelation",
            f"The field Country/Region Code of table Customer contains a value ({changes['country']}) that cannot be "
            "found in the related table (Country/Region).",
        )
    if "displayName" in changes and not (changes["displayName"] or "").strip():
        raise ApiError(400, "BadRequest_RequiredParamNotProvided", "Field 'displayName' must not be blank or empty.")
    return changes


def _matches(customer: dict[str, Any], expression: str) -> bool:
    """OData v4 `$filter`: `eq` on text (exactly as stored), `gt`/`ge` on lastModifiedDateTime, joined by `and`."""
    for clause in filter(None, (part.strip() for part in re.split(r"\s+and\s+", expression))):
        match = FILTER_CLAUSE.fullmatch(clause)
        if not match or match[1] not in SELECTABLE:
            raise ApiError(400, "BadRequest_InvalidRequestUrl", f"Bad Request - Error in query syntax: {clause}")
        name, operator, literal = match[1], match[2], match[3]
        value = literal[1:-1].replace("''", "'") if literal.startswith("'") else literal
        current = customer.get(name) or ""
        if operator == "eq" and current != value:
            return False
        if operator in ("gt", "ge") and not (current > value if operator == "gt" else current >= value):
            return False
    return True


def _shown(customer: dict[str, Any], select: list[str] | None = None) -> dict[str, Any]:
    if select:
        return {"@odata.etag": customer["@odata.etag"]} | {name: customer.get(name) for name in select}
    return {"@odata.etag": customer["@odata.etag"]} | {k: v for k, v in customer.items() if k != "@odata.etag"}


def _oauth_error(status: int, error: str, description: str) -> ApiError:
    failure = ApiError(status, error, description)
    failure.body = {"error": error, "error_description": description}
    return failure


def _json(body: bytes) -> Any:
    try:
        return json.loads(body or b"null")
    except ValueError as error:
        raise ApiError(400, "BadRequest", "The request body is not valid JSON.") from error


class BusinessCentralServer(StandinServer):
    def __init__(self, address: tuple[str, int], standin: "BusinessCentralStandin") -> None:
        super().__init__(address, _Handler, standin)
        standin.url = f"http://{address[0]}:{self.server_address[1]}"


class _Handler(JsonHandler):
    server: BusinessCentralServer
    protocol_version = "HTTP/1.1"
    methods = ("GET", "POST", "PATCH")

    def serve(self, method: str) -> None:
        url = urlsplit(self.path)
        query = {key: values[0] for key, values in parse_qs(url.query).items()}
        status, answer, extra = self.server.standin.handle(method, url.path, query, self.headers, self.request_body())
        headers = {"Content-Type": "application/json; odata.metadata=minimal", **extra}
        if isinstance(answer, dict) and "@odata.etag" in answer:
            headers["ETag"] = answer["@odata.etag"]
        self.send_json(status, answer, headers)


def make_server(host: str = "127.0.0.1", port: int = 0, **options: Any) -> BusinessCentralServer:
    """A server on (host, port) (0 = a free port) around a fresh stand-in; `options` set its fields."""
    return BusinessCentralServer((host, port), BusinessCentralStandin(**options))
