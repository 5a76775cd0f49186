"""Talking to SnelStart's B2B API v2: the token, the shared call budget, and SnelStart's answers sorted into
permanent and transient errors.

- Every call carries the partner's `Ocp-Apim-Subscription-Key` and a bearer token that the customer's
  koppelingsleutel is exchanged for at `POST <auth_url>` (`grant_type=clientkey`; the token lives an hour). The
  token is kept in `SnelStartConnection` and renewed a minute before it ends, or once after a 401. A koppelingsleutel
  does not rotate, so two workers renewing at once simply both get a valid token: no lease is needed.
- Every call first takes a slot of a budget all workers share (`leadflow.sync.budget`), per subscription key, so
  the API Management rate limit in front of SnelStart is not exceeded; a 429 anyway defers the job (no attempt
  spent) and pauses the target for its `Retry-After`.
- 400 answers carry SnelStart's codes (`REL-0007 Naam moet gevuld zijn`): the job fails with them, not retried.
"""

import hashlib
from typing import Any

import requests

from leadflow.integrations.snelstart.models import SnelStartConnection
from leadflow.sync.budget import Budget, call_budget_take_or_defer
from leadflow.sync.models import SyncTarget
from leadflow.sync.targets import TargetDeferred, TargetError, answer_error_raise, target_request
from leadflow.sync.tokens import target_token

TIMEOUT_SECONDS = 30
# A little longer than the rate limit's minute, so clock skew and latency never let a minute hold more calls.
BUDGET_WINDOW_SECONDS = 62.0
BUDGET_WAIT_SECONDS = 5.0


class SnelStartClient:
    def __init__(self, target: SyncTarget) -> None:
        self.target = target
        self.settings = target.settings
        self.connection, _ = SnelStartConnection.objects.get_or_create(target=target)

    def get(self, path: str, params: dict[str, str] | None = None) -> Any:
        return self._call("GET", path, params=params)

    def post(self, path: str, body: dict[str, Any]) -> Any:
        return self._call("POST", path, json=body)

    def put(self, path: str, body: dict[str, Any]) -> Any:
        return self._call("PUT", path, json=body)

    def _call(self, method: str, path: str, **kwargs: Any) -> Any:
        response = self._send(method, path, self._token(), **kwargs)
        if response.status_code == 401:
            response = self._send(method, path, self._token(renew=True), **kwargs)
        if response.status_code == 429:
            wait = _retry_after(response)
            raise TargetDeferred(f"SnelStart's rate limit is used up; waiting {wait:.0f} s.", retry_after=wait)
        if response.status_code >= 400:
            answer_error_raise(
                status_code=response.status_code,
                system="SnelStart",
                request=f"{method} {path}",
                reason=snelstart_message(response),
            )
        return response.json()

    def _send(self, method: str, path: str, token: str, **kwargs: Any) -> requests.Response:
        self._take_call_slot()
        headers = {
            "Ocp-Apim-Subscription-Key": self.settings["subscription_key"],
            "Authorization": f"Bearer {token}",
            "Accept": "application/json",
        }
        url = self.settings["api_url"].rstrip("/") + path
        return target_request(
            method, url, unreachable="Could not reach SnelStart", headers=headers, timeout=TIMEOUT_SECONDS, **kwargs
        )

    def _take_call_slot(self) -> None:
        # Keyed by a digest: the subscription key itself is a secret and stays out of the budget table.
        key = hashlib.sha256(self.settings["subscription_key"].encode()).hexdigest()[:16]
        budget = Budget(f"snelstart:{key}", self.settings.get("calls_per_minute") or 60, BUDGET_WINDOW_SECONDS)
        call_budget_take_or_defer(budget=budget, longest_wait=BUDGET_WAIT_SECONDS, system="SnelStart", per="minute")

    def _token(self, *, renew: bool = False) -> str:
        return target_token(connection=self.connection, fetch=self._token_request, renew=renew)

    def _token_request(self) -> dict[str, Any]:
        form = {"grant_type": "clientkey", "clientkey": self.settings["client_key"]}
        unreachable = "SnelStart's token endpoint did not answer"
        response = target_request(
            "POST", self.settings["auth_url"], unreachable=unreachable, data=form, timeout=TIMEOUT_SECONDS
        )
        if response.status_code == 200:
            return response.json()
        if response.status_code == 400:
            raise TargetError(
                f"SnelStart refused the koppelingsleutel ({snelstart_message(response)}): enter the key the customer "
                "generated in SnelStart Web in the target's settings.",
                permanent=True,
                status_code=400,
            )
        raise TargetError(
            f"SnelStart's token endpoint had a problem ({response.status_code}).",
            permanent=False,
            status_code=response.status_code,
        )


def snelstart_message(response: requests.Response) -> str:
    """SnelStart's explanation: its list of coded errors, API Management's message, or an OAuth error."""
    try:
        body = response.json()
    except ValueError:
        return response.reason or "no explanation given"
    if isinstance(body, list):
        return "; ".join(f"{item.get('errorCode', '')} {item.get('message', '')}".strip() for item in body)
    if isinstance(body, dict):
        return str(body.get("message") or body.get("error_description") or body.get("error") or body)
    return str(body)


def _retry_after(response: requests.Response) -> float:
    value = response.headers.get("Retry-After", "")
    return float(value) if value.isdigit() else 60.0
