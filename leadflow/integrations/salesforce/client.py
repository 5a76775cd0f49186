"""The app's only door to Salesforce: simple-salesforce with a token fetched by Leadflow itself.

Tokens come from the OAuth client-credentials or JWT bearer flow (never username/password), are shared
by every worker through the cache, and are renewed once when Salesforce answers 401 INVALID_SESSION_ID.
Every response's `Sforce-Limit-Info` header updates the remaining API budget, also in the cache, so a
worker can hold back before the org's daily quota runs out. Errors become `ExternalServiceError` with
`permanent` telling whether a retry can help (see SalesforceFailure.permanent).
"""

import hashlib
import logging
import re
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cached_property
from typing import Any, TypeVar
from urllib.parse import quote, urlsplit

import jwt
import requests
from django.conf import settings
from django.core.cache import BaseCache, caches
from simple_salesforce import Salesforce
from simple_salesforce.exceptions import SalesforceError, SalesforceExpiredSession
from urllib3.exceptions import NewConnectionError

from leadflow.core.exceptions import ExternalServiceError
from leadflow.integrations.salesforce.transport import salesforce_http_session

logger = logging.getLogger(__name__)

T = TypeVar("T")

CLIENT_CREDENTIALS = "client_credentials"
JWT_BEARER = "jwt_bearer"
AUTH_FLOWS = (CLIENT_CREDENTIALS, JWT_BEARER)
TOKEN_TTL_SECONDS = 3600  # shorter than any org's session timeout; a 401 renews it earlier anyway
BUDGET_TTL_SECONDS = 600  # how long a remembered usage figure is trusted without a fresh response
DESCRIBE_TTL_SECONDS = 3600  # an org's fields change rarely; a new custom field is used within the hour
LIMIT_INFO = re.compile(r"api-usage=(?P<used>\d+)/(?P<limit>\d+)")
# Error codes after which the same request can succeed later; any other code needs a person.
TRANSIENT_ERROR_CODES = frozenset(
    {
        "INVALID_SESSION_ID",  # still expired right after a renewal: the org is likely restarting sessions
        "UNABLE_TO_LOCK_ROW",
        "REQUEST_LIMIT_EXCEEDED",
        "SERVER_UNAVAILABLE",
        "REQUEST_RUNNING_TOO_LONG",
        "QUERY_TIMEOUT",
        "CONCURRENT_REQUESTS_LIMIT_EXCEEDED",
        "PROCESSING_HALTED",  # a graph Salesforce did not process because too many others failed
    }
)
# What a transient error means for the person looking at the lead; the conversion is retried either way.
TRANSIENT_MESSAGES = {
    "UNABLE_TO_LOCK_ROW": "Salesforce was busy writing to the same records (row lock: {reason}); "
    "retried automatically.",
    "REQUEST_LIMIT_EXCEEDED": "Salesforce's daily API quota is used up ({reason}); retried when calls are available.",
    "INVALID_SESSION_ID": "Salesforce refused a freshly issued session ({reason}); retried automatically.",
    "PROCESSING_HALTED": "Salesforce did not process this lead because too many others in the same request failed; "
    "retried automatically.",
}
ROLLED_BACK = "PROCESSING_HALTED"
MAX_QUERIES_PER_COMPOSITE = 5
# Composite Graph Limits: at most 75 graphs per request; more and Salesforce refuses all (LIMIT_EXCEEDED).
MAX_GRAPHS_PER_REQUEST = 75
DESCRIBED_OBJECTS = ("Account", "Contact", "Opportunity")


@dataclass(frozen=True)
class SalesforceFailure:
    """One Salesforce error, as found in an error list or a composite subresponse."""

    status: int
    code: str
    message: str
    fields: tuple[str, ...] = ()

    @property
    def permanent(self) -> bool:
        return not (self.status >= 500 or self.code in TRANSIENT_ERROR_CODES)

    @property
    def limit_exceeded(self) -> bool:
        return self.code == "REQUEST_LIMIT_EXCEEDED"

    def as_error(self, subject: str = "") -> ExternalServiceError:
        """The error for people; `subject` names what was refused, e.g. "the Contact"."""
        about = f" {subject}" if subject else ""
        reason = self.message or f"HTTP {self.status}"
        if self.permanent:
            message = f"Salesforce refused{about}: {reason}"
        else:
            message = TRANSIENT_MESSAGES.get(self.code, "Salesforce is unavailable ({reason}); retried automatically.")
            message = message.format(reason=reason)
        return ExternalServiceError(
            message,
            permanent=self.permanent,
            extra={"status": self.status, "code": self.code, "fields": list(self.fields)},
        )


def failure_from(status: int, content: Any) -> SalesforceFailure:
    """The meaningful error in a Salesforce error body: rolled-back siblings only echo the real one."""
    errors = [e for e in content if isinstance(e, dict)] if isinstance(content, list) else []
    real = [e for e in errors if e.get("errorCode") != ROLLED_BACK] or errors
    if not real:
        return SalesforceFailure(status, f"HTTP_{status}", str(content)[:500])
    first = real[0]
    return SalesforceFailure(
        status, first.get("errorCode", ""), first.get("message", ""), tuple(first.get("fields") or ())
    )


@dataclass(frozen=True)
class FieldDescription:
    """One field as the org's describe tells it: enough to check a value before sending it."""

    name: str
    label: str
    type: str
    length: int
    createable: bool
    required: bool  # must be given on create: not nillable, createable, no default
    picklist_values: tuple[str, ...]
    restricted: bool

    @classmethod
    def from_describe(cls, field: dict) -> "FieldDescription":
        return cls(
            name=field["name"],
            label=field.get("label") or field["name"],
            type=field.get("type", ""),
            length=field.get("length") or 0,
            createable=field.get("createable", True),
            required=field.get("createable", True)
            and not field.get("nillable", True)
            and not field.get("defaultedOnCreate", False),
            picklist_values=tuple(v["value"] for v in field.get("picklistValues") or () if v.get("active", True)),
            restricted=bool(field.get("restrictedPicklist")),
        )

    def problem_with(self, value: Any) -> str:
        """Why Salesforce would refuse this value for the field, or ''."""
        if isinstance(value, str) and self.length and len(value) > self.length:
            return f"{len(value)} characters, at most {self.length} fit"
        if self.restricted and value not in self.picklist_values:
            return f"“{value}” is not one of its values ({', '.join(self.picklist_values)})"
        return ""


@dataclass(frozen=True)
class ObjectDescription:
    name: str
    fields: dict[str, FieldDescription]  # by lower-cased name

    @classmethod
    def from_describe(cls, body: dict) -> "ObjectDescription":
        fields = [FieldDescription.from_describe(field) for field in body.get("fields", [])]
        return cls(name=body.get("name", ""), fields={field.name.lower(): field for field in fields})

    def field(self, name: str) -> FieldDescription | None:
        return self.fields.get(name.lower())


@dataclass(frozen=True)
class ApiBudget:
    used: int
    limit: int

    @property
    def remaining(self) -> int:
        return max(self.limit - self.used, 0)


def api_budget() -> ApiBudget | None:
    """The org's API usage as last reported by Salesforce, if reported recently."""
    return org_cache().get(_cache_key("budget"))


def api_budget_exhausted() -> None:
    """Remember a REQUEST_LIMIT_EXCEEDED answer, which carries no usage header."""
    budget = api_budget()
    limit = budget.limit if budget else 0
    org_cache().set(_cache_key("budget"), ApiBudget(used=limit, limit=limit), BUDGET_TTL_SECONDS)


def _record_limit_info(response: requests.Response, *args: Any, **kwargs: Any) -> None:
    found = LIMIT_INFO.search(response.headers.get("Sforce-Limit-Info", ""))
    if found:
        budget = ApiBudget(used=int(found["used"]), limit=int(found["limit"]))
        org_cache().set(_cache_key("budget"), budget, BUDGET_TTL_SECONDS)


def connection_error(exc: requests.RequestException) -> ExternalServiceError:
    """Tell a request that never reached Salesforce from one whose answer was lost: only the second may have
    been carried out (the retry's upserts make that harmless)."""
    host = urlsplit(settings.SALESFORCE_INSTANCE_URL).netloc
    reason = getattr(exc.args[0], "reason", None) if exc.args else None
    if isinstance(exc, requests.ConnectTimeout) or isinstance(reason, NewConnectionError):
        message = f"Salesforce cannot be reached at {host}: no connection could be made. Retried automatically."
        return ExternalServiceError(message, permanent=False, extra={"code": "UNREACHABLE"})
    if isinstance(exc, requests.Timeout):
        code, message = "NO_ANSWER", "Salesforce did not answer in time; it may have carried out the request."
    else:
        code = "ANSWER_LOST"
        message = "The connection to Salesforce broke before its answer arrived; it may have carried out the request."
    message += " Retried automatically; records are upserted by Leadflow's key, so nothing is created twice."
    return ExternalServiceError(message, permanent=False, extra={"code": code})


def describe_forget() -> None:
    """Drop the cached describe results, e.g. when an admin has just created a field in Salesforce."""
    org_cache().delete_many([_cache_key(f"describe:{sobject}") for sobject in DESCRIBED_OBJECTS])


def org_cache() -> BaseCache:
    """Where the token, describe results and API budget live: the `salesforce` cache, shared by every process
    (the configured shared cache, else a database table), so a fresh worker spends no calls on them."""
    return caches["salesforce"]


def _cache_key(name: str) -> str:
    org = hashlib.sha256(f"{settings.SALESFORCE_INSTANCE_URL}|{settings.SALESFORCE_CLIENT_ID}".encode()).hexdigest()
    return f"crm:salesforce:{org[:16]}:{name}"


def external_id_url(sobject: str, value: str) -> str:
    """Relative URL of an upsert by Leadflow's external id; the value is URL-encoded (simple-salesforce's is not)."""
    field = settings.SALESFORCE_EXTERNAL_ID_FIELD
    return f"/services/data/v{settings.SALESFORCE_API_VERSION}/sobjects/{sobject}/{field}/{quote(value, safe='')}"


def sobject_url(sobject: str, record_id: str = "") -> str:
    """Relative URL of an sObject (POST creates) or of one record by id (PATCH updates)."""
    suffix = f"/{record_id}" if record_id else ""
    return f"/services/data/v{settings.SALESFORCE_API_VERSION}/sobjects/{sobject}{suffix}"


def query_url(soql: str) -> str:
    return f"/services/data/v{settings.SALESFORCE_API_VERSION}/query?q={quote(soql, safe='')}"


def soql_literal(value: str) -> str:
    """A quoted SOQL string literal: backslashes and quotes escaped, so input can never end the string."""
    escaped = value.replace("\\", "\\\\").replace("'", "\\'").replace("\n", "\\n").replace("\r", "\\r")
    return f"'{escaped}'"


def soql_contains(*words: str) -> str:
    """A LIKE pattern for text containing these words in order; their own % and _ are taken literally."""
    escaped = [soql_literal(word)[1:-1].replace("%", "\\%").replace("_", "\\_") for word in words]
    return "'%" + "%".join(escaped) + "%'"


def soql_in(values: Iterable[str]) -> str:
    return "(" + ", ".join(soql_literal(v) for v in sorted(set(values))) + ")"


def record_link(sobject: str, record_id: str) -> str:
    """The Lightning page of a record, for people."""
    return f"{settings.SALESFORCE_INSTANCE_URL}/lightning/r/{sobject}/{record_id}/view"


class SalesforceClient:
    """One worker's connection to the org. `calls` counts the API calls it made (token requests are free)."""

    def __init__(self) -> None:
        self.calls = 0
        self._http = salesforce_http_session(settings.SALESFORCE_INSTANCE_URL, settings.SALESFORCE_TIMEOUT)
        self._http.hooks["response"].append(_record_limit_info)
        self._token: str | None = None

    # Resources Leadflow uses

    def composite(self, subrequests: list[dict], *, all_or_none: bool) -> list[dict]:
        """One Composite request (one API call); returns the compositeResponse list."""
        body = {"allOrNone": all_or_none, "collateSubrequests": False, "compositeRequest": subrequests}
        return self._call(lambda sf: sf.restful("composite", method="POST", json=body))["compositeResponse"]

    def composite_graph(self, graphs: list[dict]) -> list[dict]:
        """Several all-or-nothing graphs, at most MAX_GRAPHS_PER_REQUEST per API call; returns their results."""
        results = []
        for start in range(0, len(graphs), MAX_GRAPHS_PER_REQUEST):
            body = {"graphs": graphs[start : start + MAX_GRAPHS_PER_REQUEST]}
            answer = self._call(lambda sf, body=body: sf.restful("composite/graph", method="POST", json=body))
            results += answer["graphs"]
        return results

    def queries(self, soqls: dict[str, str]) -> dict[str, list[dict]]:
        """Run SOQL queries in as few Composite calls as Salesforce allows (five queries each)."""
        names = list(soqls)
        results: dict[str, list[dict]] = {}
        for start in range(0, len(names), MAX_QUERIES_PER_COMPOSITE):
            chunk = names[start : start + MAX_QUERIES_PER_COMPOSITE]
            subrequests = [{"method": "GET", "url": query_url(soqls[name]), "referenceId": name} for name in chunk]
            for answer in self.composite(subrequests, all_or_none=False):
                if answer["httpStatusCode"] >= 300:
                    raise failure_from(answer["httpStatusCode"], answer["body"]).as_error()
                results[answer["referenceId"]] = answer["body"]["records"]
        return results

    def describe(self, sobjects: Iterable[str]) -> dict[str, "ObjectDescription | None"]:
        """What the org says about these sObjects' fields (one Composite call an hour, shared by workers).

        An sObject the org does not describe maps to None: callers then cannot tell and send what they have.
        """
        found = {sobject: org_cache().get(_cache_key(f"describe:{sobject}")) for sobject in sobjects}
        missing = [sobject for sobject, description in found.items() if description is None]
        if missing:
            subrequests = [
                {"method": "GET", "url": f"{sobject_url(sobject)}/describe", "referenceId": sobject}
                for sobject in missing
            ]
            for answer in self.composite(subrequests, all_or_none=False):
                if answer["httpStatusCode"] < 300:
                    description = ObjectDescription.from_describe(answer["body"])
                    org_cache().set(_cache_key(f"describe:{answer['referenceId']}"), description, DESCRIBE_TTL_SECONDS)
                    found[answer["referenceId"]] = description
        return found

    # Authentication and error mapping

    def _call(self, request: Callable[[Salesforce], T]) -> T:
        try:
            try:
                return self._counted(request)
            except SalesforceExpiredSession:
                logger.info("Salesforce session expired; fetching a new token.")
                self._forget_token()
                return self._counted(request)
        except SalesforceError as exc:
            failure = failure_from(exc.status, exc.content)
            if failure.limit_exceeded:
                api_budget_exhausted()
            raise failure.as_error() from exc
        except requests.RequestException as exc:
            raise connection_error(exc) from exc

    def _counted(self, request: Callable[[Salesforce], T]) -> T:
        salesforce = self._salesforce
        self.calls += 1
        return request(salesforce)

    @property
    def _salesforce(self) -> Salesforce:
        token = self._token or org_cache().get(_cache_key("token")) or self._fetch_token()
        if token != self._token:
            self._token = token
            self.__dict__.pop("_connection", None)
        return self._connection

    @cached_property
    def _connection(self) -> Salesforce:
        return Salesforce(
            instance_url=settings.SALESFORCE_INSTANCE_URL,
            session_id=self._token,
            session=self._http,
            version=settings.SALESFORCE_API_VERSION,
        )

    def _forget_token(self) -> None:
        # Only drop the shared token if it is the one that failed; another worker may have renewed it already.
        if org_cache().get(_cache_key("token")) == self._token:
            org_cache().delete(_cache_key("token"))
        self._token = None

    def _fetch_token(self) -> str:
        try:
            response = self._http.post(settings.SALESFORCE_TOKEN_URL, data=_token_request())
        except requests.RequestException as exc:
            raise connection_error(exc) from exc
        try:
            answer = response.json()
        except ValueError:
            answer = {}
        if response.status_code != 200 or "access_token" not in answer:
            description = answer.get("error_description") or answer.get("error") or f"HTTP {response.status_code}"
            raise ExternalServiceError(
                f"Salesforce refused Leadflow's credentials: {description}. Check the SALESFORCE_* settings.",
                permanent=response.status_code < 500,
            )
        org_cache().set(_cache_key("token"), answer["access_token"], TOKEN_TTL_SECONDS)
        return answer["access_token"]


def _token_request() -> dict[str, str]:
    if settings.SALESFORCE_AUTH_FLOW == JWT_BEARER:
        claims = {
            "iss": settings.SALESFORCE_CLIENT_ID,
            "sub": settings.SALESFORCE_USERNAME,
            "aud": settings.SALESFORCE_JWT_AUDIENCE,
            "exp": int(time.time()) + 180,
        }
        assertion = jwt.encode(claims, private_key(), algorithm="RS256")
        return {"grant_type": "urn:ietf:params:oauth:grant-type:jwt-bearer", "assertion": assertion}
    return {
        "grant_type": "client_credentials",
        "client_id": settings.SALESFORCE_CLIENT_ID,
        "client_secret": settings.SALESFORCE_CLIENT_SECRET,
    }


def private_key() -> str:
    if settings.SALESFORCE_PRIVATE_KEY:
        return settings.SALESFORCE_PRIVATE_KEY
    with open(settings.SALESFORCE_PRIVATE_KEY_FILE, encoding="utf-8") as key_file:
        return key_file.read()
