"""Talking to Dynamics 365 Business Central's API v2.0: a client-credentials token from the Microsoft identity
platform, the shared call budget, ETags, and Business Central's answers sorted into permanent and transient errors.

- The token (`POST <login_url>/<tenant>/oauth2/v2.0/token`, `grant_type=client_credentials`, scope
  `https://api.businesscentral.dynamics.com/.default`) lives an hour; it is kept in `BusinessCentralConnection`,
  renewed a minute before it ends or once after a 401. Client credentials do not rotate, so no lease is needed.
- Business Central allows 6,000 requests per user or service principal in any five minutes: every call first takes
  a slot of a budget all workers share; a 429 anyway defers the job (no attempt spent) and pauses the target.
- Errors come as `{"error": {"code", "message"}}`. A PATCH whose `If-Match` ETag is stale is answered 409
  `Request_EntityChanged` (`EntityChanged` here, so the caller can read the customer again); other 4xx fail the job.
"""

from typing import Any

import requests

from leadflow.integrations.businesscentral.models import BusinessCentralConnection
from leadflow.sync.budget import Budget, call_budget_take_or_defer
from leadflow.sync.models import SyncTarget
from leadflow.sync.targets import TargetDeferred, TargetError, answer_error_raise, target_request
from leadflow.sync.tokens import target_token

SCOPE = "https://api.businesscentral.dynamics.com/.default"
TIMEOUT_SECONDS = 30
# Business Central's window is five minutes, sliding; ours is a little longer so skew never lets one hold more.
BUDGET_WINDOW_SECONDS = 310.0
BUDGET_WAIT_SECONDS = 5.0


class EntityChanged(TargetError):
    """Someone changed the customer in Business Central since its ETag was read."""

    def __init__(self, message: str) -> None:
        super().__init__(message, permanent=False, status_code=409)


class BusinessCentralClient:
    def __init__(self, target: SyncTarget) -> None:
        self.settings = target.settings
        self.connection, _ = BusinessCentralConnection.objects.get_or_create(target=target)
        tenant, environment = self.settings["tenant_id"], self.settings["environment"]
        company = self.settings["company_id"]
        self.base = f"{self.settings['api_url'].rstrip('/')}/{tenant}/{environment}/api/v2.0/companies({company})"

    def get(self, path: str, params: dict[str, str] | None = None) -> Any:
        return self._call("GET", self.base + path, params=params)

    def get_url(self, url: str) -> Any:
        """Follow an `@odata.nextLink` as given."""
        return self._call("GET", url)

    def post(self, path: str, body: dict[str, Any]) -> Any:
        return self._call("POST", self.base + path, json=body)

    def patch(self, path: str, body: dict[str, Any], *, etag: str) -> Any:
        return self._call("PATCH", self.base + path, json=body, headers={"If-Match": etag})

    def _call(self, method: str, url: str, headers: dict[str, str] | None = None, **kwargs: Any) -> Any:
        response = self._send(method, url, self._token(), headers or {}, **kwargs)
        if response.status_code == 401:
            response = self._send(method, url, self._token(renew=True), headers or {}, **kwargs)
        code, message = business_central_error(response)
        if response.status_code == 429:
            wait = float(response.headers.get("Retry-After") or 60)
            raise TargetDeferred(f"Business Central's request limit is reached ({message}).", retry_after=wait)
        if response.status_code == 409 and code == "Request_EntityChanged":
            raise EntityChanged(f"Business Central: {message}")
        answer_error_raise(
            status_code=response.status_code, system="Business Central", request=method, reason=message, code=code
        )
        return response.json()

    def _send(self, method: str, url: str, token: str, headers: dict[str, str], **kwargs: Any) -> requests.Response:
        self._take_call_slot()
        headers = {"Authorization": f"Bearer {token}", "Accept": "application/json", **headers}
        return target_request(
            method,
            url,
            unreachable="Could not reach Business Central",
            headers=headers,
            timeout=TIMEOUT_SECONDS,
            **kwargs,
        )

    def _take_call_slot(self) -> None:
        key = f"businesscentral:{self.settings['tenant_id']}:{self.settings['client_id']}"
        budget = Budget(key, self.settings.get("calls_per_five_minutes") or 6000, BUDGET_WINDOW_SECONDS)
        call_budget_take_or_defer(
            budget=budget, longest_wait=BUDGET_WAIT_SECONDS, system="Business Central", per="five minutes"
        )

    def _token(self, *, renew: bool = False) -> str:
        return target_token(connection=self.connection, fetch=self._token_request, renew=renew)

    def _token_request(self) -> dict[str, Any]:
        url = f"{self.settings['login_url'].rstrip('/')}/{self.settings['tenant_id']}/oauth2/v2.0/token"
        form = {
            "grant_type": "client_credentials",
            "client_id": self.settings["client_id"],
            "client_secret": self.settings["client_secret"],
            "scope": SCOPE,
        }
        unreachable = "Microsoft's token endpoint did not answer"
        response = target_request("POST", url, unreachable=unreachable, data=form, timeout=TIMEOUT_SECONDS)
        if response.status_code == 200:
            return response.json()
        code, message = business_central_error(response)
        raise TargetError(
            f"Microsoft Entra ID refused the app's credentials ({code}: {message}); check the tenant, client id "
            "and secret of the app registration in the target's settings.",
            permanent=response.status_code < 500,
            status_code=response.status_code,
        )


def business_central_error(response: requests.Response) -> tuple[str, str]:
    """(code, message) of an error answer: Business Central's `error` object or the identity platform's fields."""
    try:
        body = response.json()
    except ValueError:
        return "", response.reason or ""
    error = body.get("error") if isinstance(body, dict) else None
    if isinstance(error, dict):
        return error.get("code", ""), error.get("message", "")
    if isinstance(error, str):
        return error, body.get("error_description", "")
    return "", ""
