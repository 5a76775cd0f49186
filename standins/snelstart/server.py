"""A local SnelStart B2B API v2 stand-in: the token endpoint, `relaties` and `landen`, as strict as the vendor's
documentation (README.md lists every rule and its source).

In memory, standard library only. Every `/v2` call needs the partner's `Ocp-Apim-Subscription-Key` and a bearer
token from `POST /b2b/token` (grant `clientkey` with the customer's koppelingsleutel); calls are counted per
subscription key in a sliding window, as Azure API Management's rate-limit policy does, and answered 429 with
`Retry-After` beyond it. Validation errors are 400 with SnelStart's codes (`REL-0007` ...).
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

TOKEN_LIFETIME = 3599  # seconds, as the token endpoint answers
MAX_TOP = 500  # "Bij OData functionaliteit worden er maximaal 500 items teruggegeven"
RELATIESOORTEN = {"Klant", "Leverancier", "Eigen"}
# (SnelStart's field, its longest text, the error code) for the limits the foutcodes page names.
TEXT_LIMITS = (
    ("telefoon", 25, "REL-0013", "Telefoon mag maximaal 25 karakters bevatten"),
    ("mobieleTelefoon", 25, "REL-0012", "MobieleTelefoon mag maximaal 25 karakters bevatten"),
    ("email", 250, "REL-0085", "Email mag maximaal 250 karakters bevatten"),
    ("btwNummer", 50, "REL-0057", "BtwNummer mag maximaal 50 karakters bevatten"),
)
ADDRESS_LIMITS = (
    ("straat", 50, "REL-0020"),
    ("postcode", 25, "REL-0021"),
    ("plaats", 50, "REL-0022"),
    ("contactpersoon", 50, "REL-0023"),
)
WRITABLE = {
    "id",
    "uri",
    "modifiedOn",
    "relatiesoort",
    "relatiecode",
    "naam",
    "vestigingsAdres",
    "correspondentieAdres",
    "telefoon",
    "mobieleTelefoon",
    "email",
    "btwNummer",
    "kvkNummer",
    "websiteUrl",
    "memo",
    "nonactief",
    "krediettermijn",
    "iban",
    "bic",
}
FILTERABLE = {"Id", "Naam", "KvkNummer", "BtwNummer", "Relatiecode", "Email", "ModifiedOn"}
INCOMPLETE = (
    "REL-0066",
    "De input is incompleet of incorrect. Controleer of de json valide is en de juiste properties bevat.",
)
ADDRESS_INCOMPLETE = (
    "REL-0060",
    "Indien een van de velden van VestigingsAdres gevuld is, dienen alle velden gevuld zijn, uitgezonderd "
    "Contactpersoon",
)
EMAIL = re.compile(r"^[^@\s;]+@[^@\s;]+\.[^@\s;]+$")
LANDEN = (("Nederland", "NL", "NLD"), ("België", "BE", "BEL"), ("Duitsland", "DE", "DEU"), ("Frankrijk", "FR", "FRA"))


class ApiError(Exception):
    def __init__(self, status: int, errors: list[tuple[str, str]] | None = None, body: Any = None) -> None:
        super().__init__(status)
        self.status = status
        self.body = body if body is not None else [{"errorCode": code, "message": text} for code, text in errors or []]


@dataclass
class SnelStartStandin:
    subscription_key: str = field(default_factory=lambda: secrets.token_hex(16))
    client_key: str = field(default_factory=lambda: secrets.token_urlsafe(24))
    calls_per_period: int = 100
    renewal_period: float = 60.0
    relaties: dict[str, dict[str, Any]] = field(default_factory=dict)
    tokens: dict[str, float] = field(default_factory=dict)
    calls: list[dict[str, Any]] = field(default_factory=list)
    landen: list[dict[str, Any]] = field(
        default_factory=lambda: [
            {"id": str(uuid.uuid4()), "naam": naam, "landcode": code, "landcodeISO": iso, "nonactief": False}
            for naam, code, iso in LANDEN
        ]
    )
    fail_next: list[int] = field(default_factory=list)  # statuses to answer the next /v2 calls with
    lock: threading.Lock = field(default_factory=threading.Lock)
    _sent: list[float] = field(default_factory=list)

    # --- for tests ------------------------------------------------------------------------------------------
    def add_relatie(self, **fields: Any) -> dict[str, Any]:
        """A relatie someone entered in SnelStart directly (validated like an API create)."""
        document = {"relatiesoort": ["Klant"], **fields}
        with self.lock:
            return self._create(document)

    def expire_tokens(self) -> None:
        with self.lock:
            self.tokens = dict.fromkeys(self.tokens, 0.0)

    def count(self, method: str, path: str, status: int | None = None) -> int:
        """How many calls of `method` to `path` were answered (with `status`, if given)."""
        return sum(
            1
            for call in self.calls
            if call["method"] == method and call["path"] == path and status in (None, call["status"])
        )

    # --- requests -------------------------------------------------------------------------------------------
    def handle(self, method: str, path: str, query: dict[str, str], headers: Any, body: bytes) -> tuple[int, Any]:
        with self.lock:
            try:
                if path == "/b2b/token":
                    status, answer = 200, self._token(method, body)
                else:
                    status, answer = self._api(method, path, query, headers, body)
            except ApiError as error:
                status, answer = error.status, error.body
            self.calls.append({"method": method, "path": path, "status": status})
            return status, answer

    def _token(self, method: str, body: bytes) -> dict[str, Any]:
        form = {key: values[0] for key, values in parse_qs(body.decode()).items()}
        if method != "POST":
            raise ApiError(405, body={"error": "invalid_request"})
        if form.get("grant_type") != "clientkey":
            raise ApiError(400, body={"error": "unsupported_grant_type"})
        if form.get("clientkey") != self.client_key:
            raise ApiError(400, body={"error": "invalid_grant"})
        token = secrets.token_urlsafe(32)
        self.tokens[token] = time.monotonic() + TOKEN_LIFETIME
        return {"access_token": token, "token_type": "bearer", "expires_in": TOKEN_LIFETIME}

    def _api(self, method: str, path: str, query: dict[str, str], headers: Any, body: bytes) -> tuple[int, Any]:
        self._check_subscription(headers.get("Ocp-Apim-Subscription-Key"))
        self._check_rate()
        self._check_token(headers.get("Authorization", ""))
        if self.fail_next:
            raise ApiError(self.fail_next.pop(0), [("ALG-0102", "Onbekende fout")])
        parts = path.rstrip("/").split("/")[2:]
        if parts == ["landen"] and method == "GET":
            return 200, self.landen
        if parts == ["relaties"] and method == "GET":
            return 200, self._list(query)
        if parts == ["relaties"] and method == "POST":
            return 201, self._create(_json(body))
        if len(parts) == 2 and parts[0] == "relaties" and method in ("GET", "PUT"):
            relatie = self.relaties.get(parts[1].lower())
            if relatie is None:
                raise ApiError(404, [("REL-0005", "Relatie niet gevonden")])
            return 200, relatie if method == "GET" else self._update(relatie, _json(body))
        raise ApiError(404, body={"statusCode": 404, "message": "Resource not found"})

    def _check_subscription(self, key: str | None) -> None:
        if not key:
            message = (
                "Access denied due to missing subscription key. "
                "Make sure to include subscription key when making requests to an API."
            )
            raise ApiError(401, body={"statusCode": 401, "message": message})
        if key != self.subscription_key:
            message = (
                "Access denied due to invalid subscription key. "
                "Make sure to provide a valid key for an active subscription."
            )
            raise ApiError(401, body={"statusCode": 401, "message": message})

    def _check_rate(self) -> None:
        now = time.monotonic()
        self._sent = [sent for sent in self._sent if sent > now - self.renewal_period]
        if len(self._sent) >= self.calls_per_period:
            wait = max(1, int(self._sent[0] + self.renewal_period - now + 0.999))
            message = f"Rate limit is exceeded. Try again in {wait} seconds."
            raise ApiError(429, body={"statusCode": 429, "message": message, "retry_after": wait})
        self._sent.append(now)

    def _check_token(self, authorization: str) -> None:
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() != "bearer" or self.tokens.get(token, 0.0) <= time.monotonic():
            raise ApiError(401, body={"message": "Authorization has been denied for this request."})

    def _list(self, query: dict[str, str]) -> list[dict[str, Any]]:
        top = _int_option(query, "$top", MAX_TOP)
        skip = _int_option(query, "$skip", 0)
        if top > MAX_TOP:
            raise ApiError(400, [("ALG-0104", "Ongeldig OData filter")])
        wanted = _odata_filter(query.get("$filter", ""))
        found = [r for r in self.relaties.values() if wanted(r)]
        return found[skip : skip + top]

    def _create(self, document: Any) -> dict[str, Any]:
        if not isinstance(document, dict):
            raise ApiError(400, [INCOMPLETE])
        if document.get("id"):
            raise ApiError(400, [("REL-0063", "Het ID dient leeg te zijn.")])
        relatie = _clean(document)
        if not relatie.get("relatiecode"):
            relatie["relatiecode"] = max((r["relatiecode"] for r in self.relaties.values()), default=0) + 1
        self._validate(relatie, others=list(self.relaties.values()))
        relatie["id"] = str(uuid.uuid4())
        relatie["modifiedOn"] = _now()
        self.relaties[relatie["id"]] = relatie
        return relatie

    def _update(self, relatie: dict[str, Any], document: Any) -> dict[str, Any]:
        """PUT replaces the relatie with the write model sent (fields left out become empty)."""
        if not isinstance(document, dict):
            raise ApiError(400, [INCOMPLETE])
        if document.get("id") and document["id"].lower() != relatie["id"]:
            raise ApiError(
                400, [("REL-0047", "Het ID in het url en het ID van de relatie in het request komen niet overeen")]
            )
        updated = _clean(document) | {"id": relatie["id"]}
        if sorted(updated.get("relatiesoort") or []) != sorted(relatie["relatiesoort"]):
            raise ApiError(400, [("REL-0064", "RelatieSoort mag niet aangepast worden.")])
        updated.setdefault("relatiecode", relatie["relatiecode"])
        self._validate(updated, others=[r for r in self.relaties.values() if r["id"] != relatie["id"]])
        updated["modifiedOn"] = _now()
        self.relaties[relatie["id"]] = updated
        return updated

    def _validate(self, relatie: dict[str, Any], *, others: list[dict[str, Any]]) -> None:
        errors = _relatie_errors(relatie) + self._address_errors(relatie.get("vestigingsAdres"))
        if any(other["relatiecode"] == relatie["relatiecode"] for other in others):
            errors.append(("REL-0008", "Relatiecode reeds in gebruik"))
        if errors:
            raise ApiError(400, errors)

    def _address_errors(self, address: Any) -> list[tuple[str, str]]:
        if not address:
            return []
        errors = [
            (code, f"VestigingsAdres.{name.capitalize()} mag maximaal {limit} karakters bevatten")
            for name, limit, code in ADDRESS_LIMITS
            if len(address.get(name) or "") > limit
        ]
        if any(address.get(n) for n in ("straat", "postcode", "plaats")) and not all(
            address.get(n) for n in ("straat", "postcode", "plaats")
        ):
            errors.append(ADDRESS_INCOMPLETE)
        land_id = (address.get("land") or {}).get("id")
        if land_id and land_id not in {land["id"] for land in self.landen}:
            errors.append(("REL-0056", "VestigingsAdres.LandId niet gevonden"))
        return errors


def _relatie_errors(relatie: dict[str, Any]) -> list[tuple[str, str]]:
    errors = []
    soorten = relatie.get("relatiesoort") or []
    if not soorten or not set(soorten) <= RELATIESOORTEN:
        errors.append(("REL-0001", "RelatieSoort mag niet 'geen' zijn"))
    if {"Klant", "Leverancier"} <= set(soorten):
        errors.append(("REL-0065", "RelatieSoort kan niet zowel 'klant' als 'leverancier' zijn."))
    if "Eigen" in soorten:
        errors.append(("REL-0048", "RelatieSoort mag niet 'eigen' bevatten"))
    if not (relatie.get("naam") or "").strip():
        errors.append(("REL-0007", "Naam moet gevuld zijn"))
    errors += [(code, text) for name, limit, code, text in TEXT_LIMITS if len(relatie.get(name) or "") > limit]
    email = relatie.get("email") or ""
    if email and not all(EMAIL.match(part.strip()) for part in email.split(";")):
        errors.append(("REL-0061", "Email dient een geldig emailadres te zijn."))
    vat = relatie.get("btwNummer") or ""
    if vat and len(vat) < 2:
        errors.append(("REL-0058", "BtwNummer moet minimaal 2 karakters bevatten"))
    if vat and not vat.isalnum():
        errors.append(("REL-0059", "BtwNummer mag alleen cijfers en letters bevatten"))
    kvk = relatie.get("kvkNummer") or ""
    if kvk and not re.fullmatch(r"\d{8}", kvk):
        errors.append(("REL-0006", "KvkNummer is ongeldig"))
    website = relatie.get("websiteUrl") or ""
    if website and not re.match(r"^https?://[^\s/]+\.[^\s]+$", website):
        errors.append(("REL-0015", "WebSiteUrl dient een geldig URL te zijn"))
    return errors


def _clean(document: dict[str, Any]) -> dict[str, Any]:
    unknown = set(document) - WRITABLE
    if unknown or not isinstance(document.get("relatiesoort", []), list):
        raise ApiError(400, [INCOMPLETE])
    relatie = {name: value for name, value in document.items() if name not in ("uri", "modifiedOn")}
    relatie["relatiecode"] = int(relatie.get("relatiecode") or 0)
    return relatie


def _odata_filter(expression: str) -> Any:
    """`$filter` as SnelStart documents it for relaties: clauses joined by `and`, properties in UpperCamelCase
    (case-sensitive), text compared exactly as stored."""
    tests = []
    for clause in filter(None, (part.strip() for part in re.split(r"\s+and\s+", expression))):
        match = re.fullmatch(r"(\w+) (eq|ge|gt) (datetime'[^']*'|guid'[^']*'|'(?:[^']|'')*'|\d+)", clause)
        if not match or match[1] not in FILTERABLE:
            raise ApiError(400, [("ALG-0104", "Ongeldig OData filter")])
        tests.append(_comparison(match[1], match[2], match[3]))
    return lambda relatie: all(test(relatie) for test in tests)


def _comparison(name: str, operator: str, literal: str) -> Any:
    key = name[0].lower() + name[1:]
    if literal.startswith("datetime'"):
        value: Any = _parse_datetime(literal[9:-1])
        read = lambda relatie: _parse_datetime(relatie[key])  # noqa: E731
    elif literal.startswith("guid'"):
        value, read = literal[5:-1].lower(), lambda relatie: relatie[key]
    elif literal.startswith("'"):
        value, read = literal[1:-1].replace("''", "'"), lambda relatie: relatie.get(key) or ""
    else:
        value, read = int(literal), lambda relatie: relatie.get(key)
    if operator == "eq":
        return lambda relatie: read(relatie) == value
    if operator == "ge":
        return lambda relatie: read(relatie) >= value
    return lambda relatie: read(relatie) > value


def _parse_datetime(text: str) -> datetime:
    try:
        return datetime.fromisoformat(text)
    except ValueError as error:
        raise ApiError(400, [("ALG-0104", "Ongeldig OData filter")]) from error


def _now() -> str:
    return datetime.now(UTC).replace(tzinfo=None).isoformat(timespec="milliseconds")


def _int_option(query: dict[str, str], name: str, default: int) -> int:
    value = query.get(name, str(default))
    if not value.isdigit():
        raise ApiError(400, [("ALG-0104", "Ongeldig OData filter")])
    return int(value)


def _json(body: bytes) -> Any:
    try:
        return json.loads(body or b"null")
    except ValueError as error:
        raise ApiError(400, [INCOMPLETE]) from error


class _Handler(JsonHandler):
    server: StandinServer
    protocol_version = "HTTP/1.1"
    methods = ("GET", "POST", "PUT")

    def serve(self, method: str) -> None:
        url = urlsplit(self.path)
        query = {key: values[0] for key, values in parse_qs(url.query).items()}
        status, answer = self.server.standin.handle(method, url.path, query, self.headers, self.request_body())
        extra = {}
        if status == 429:
            extra["Retry-After"] = str(answer.pop("retry_after"))
        self.send_json(status, answer, {"Content-Type": "application/json; charset=utf-8", **extra})


def make_server(host: str = "127.0.0.1", port: int = 0, **options: Any) -> StandinServer:
    """A server on (host, port) (0 = a free port) around a fresh stand-in; `options` set its fields."""
    return StandinServer((host, port), _Handler, SnelStartStandin(**options))
