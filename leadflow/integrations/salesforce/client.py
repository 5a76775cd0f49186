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
from urllib.parse import quote

import jwt
import requests
from django.conf import settings
from django.core.cache import cache
from simple_salesforce import Salesforce
from simple_salesforce.exceptions import SalesforceError, SalesforceExpiredSession

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
    }
)
ROLLED_BACK = "PROCESSING_HALTED"
MAX_QUERIES_PER_COMPOSITE = 5


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
        message = f"Salesforce refused{about}: {reason}" if self.permanent else f"Salesforce is unavailable: {reason}"
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
class ApiBudget:
    used: int
    limit: int

    @property
    def remaining(self) -> int:
        return max(self.limit - self.used, 0)


def api_budget() -> ApiBudget | None:
    """The org's API usage as last reported by Salesforce, if reported recently."""
    return cache.get(_cache_key("budget"))


def api_budget_exhausted() -> None:
    """Remember a REQUEST_LIMIT_EXCEEDED answer, which carries no usage header."""
    budget = api_budget()
    limit = budget.limit if budget else 0
    cache.set(_cache_key("budget"), ApiBudget(used=limit, limit=limit), BUDGET_TTL_SECONDS)


def _record_limit_info(response: requests.Response, *args: Any, **kwargs: Any) -> None:
    found = LIMIT_INFO.search(response.headers.get("Sforce-Limit-Info", ""))
    if found:
        budget = ApiBudget(used=int(found["used"]), limit=int(found["limit"]))
        cache.set(_cache_key("budget"), budget, BUDGET_TTL_SECONDS)


def _cache_key(name: str) -> str:
    org = hashlib.sha256(f"{settings.SALESFORCE_INSTANCE_URL}|{settings.SALESFORCE_CLIENT_ID}".encode()).hexdigest()
    return f"crm:salesforce:{org[:16]}:{name}"


def external_id_url(sobject: str, value: str) -> str:
    """Relative URL of an upsert by Leadflow's external id; the value is URL-encoded (simple-salesforce's is not)."""
    field = settings.SALESFORCE_EXTERNAL_ID_FIELD
    return f"/services/data/v{settings.SALESFORCE_API_VERSION}/sobjects/{sobject}/{field}/{quote(value, safe='')}"


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
        """Several all-or-nothing graphs in one API call; returns the graphs' results."""
        return self._call(lambda sf: sf.restful("composite/graph", method="POST", json={"graphs": graphs}))["graphs"]

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

    def field_names(self, sobjects: Iterable[str]) -> dict[str, set[str]]:
        """Lower-cased field names per sObject, from describe (one Composite call an hour, shared by workers).

        An sObject the org does not describe maps to None: callers then cannot tell and send what they have.
        """
        names = {sobject: cache.get(_cache_key(f"fields:{sobject}")) for sobject in sobjects}
        missing = [sobject for sobject, fields in names.items() if fields is None]
        if missing:
            version = settings.SALESFORCE_API_VERSION
            subrequests = [
                {
                    "method": "GET",
                    "url": f"/services/data/v{version}/sobjects/{sobject}/describe",
                    "referenceId": sobject,
                }
                for sobject in missing
            ]
            for answer in self.composite(subrequests, all_or_none=False):
                if answer["httpStatusCode"] < 300:
                    fields = {field["name"].lower() for field in answer["body"]["fields"]}
                    cache.set(_cache_key(f"fields:{answer['referenceId']}"), fields, DESCRIBE_TTL_SECONDS)
                    names[answer["referenceId"]] = fields
        return names

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
        except requests.Timeout as exc:
            raise ExternalServiceError(
                "Salesforce did not answer in time; the request may have been carried out.", permanent=False
            ) from exc
        except requests.RequestException as exc:
            raise ExternalServiceError(f"Salesforce cannot be reached: {exc}", permanent=False) from exc

    def _counted(self, request: Callable[[Salesforce], T]) -> T:
        salesforce = self._salesforce
        self.calls += 1
        return request(salesforce)

    @property
    def _salesforce(self) -> Salesforce:
        token = self._token or cache.get(_cache_key("token")) or self._fetch_token()
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
        if cache.get(_cache_key("token")) == self._token:
            cache.delete(_cache_key("token"))
        self._token = None

    def _fetch_token(self) -> str:
        try:
            response = self._http.post(settings.SALESFORCE_TOKEN_URL, data=_token_request())
        except requests.RequestException as exc:
            raise ExternalServiceError(f"Salesforce login failed: {exc}", permanent=False) from exc
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
        cache.set(_cache_key("token"), answer["access_token"], TOKEN_TTL_SECONDS)
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
