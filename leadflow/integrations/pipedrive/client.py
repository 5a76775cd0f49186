"""The app's only door to Pipedrive: API v2 over requests, with the API token (`x-api-token`) or an OAuth bearer.

Pipedrive counts requests per token in 2-second windows and says so on every answer (`x-ratelimit-remaining`,
`x-ratelimit-reset`); over the limit it answers 429 with `Retry-After`. A window used up is remembered in the
shared cache, so every worker holds back until it resets; a wait up to PIPEDRIVE_MAX_WAIT_SECONDS is spent in the
worker, a longer one becomes a transient error whose retry is scheduled no sooner than Pipedrive asked.
Errors become `ExternalServiceError`, permanent unless a retry can help (429, 5xx, no answer).
"""

import logging
import time
from collections.abc import Iterator
from typing import Any

import requests
from django.conf import settings
from django.core.cache import cache
from urllib3.exceptions import NewConnectionError

from leadflow.core.exceptions import ExternalServiceError

logger = logging.getLogger(__name__)

WINDOW_KEY = "crm:pipedrive:window-resets-at"
MAX_THROTTLED_RETRIES = 3  # 429s waited out in a row before the attempt gives up (and is retried later)


def pipedrive_failure(response: requests.Response, subject: str = "") -> ExternalServiceError:
    """The error for people from a Pipedrive error answer ({success: false, error, error_info, ...})."""
    try:
        body = response.json()
    except ValueError:
        body = {}
    reason = (body.get("error") if isinstance(body, dict) else "") or f"HTTP {response.status_code}"
    status = response.status_code
    extra = {"status": status, "code": f"HTTP_{status}"}
    if status == 401:
        message = (
            f"Pipedrive refused Leadflow's credentials ({reason}). Check PIPEDRIVE_API_TOKEN or PIPEDRIVE_ACCESS_TOKEN."
        )
        return ExternalServiceError(message, permanent=True, extra=extra)
    if status >= 500:
        return ExternalServiceError(
            f"Pipedrive is unavailable ({reason}); retried automatically.", permanent=False, extra=extra
        )
    about = f" {subject}" if subject else ""
    return ExternalServiceError(f"Pipedrive refused{about}: {reason}", permanent=True, extra=extra)


def rate_limited(seconds: float) -> ExternalServiceError:
    return ExternalServiceError(
        f"Pipedrive's rate limit is used up for {seconds:.0f} s; retried automatically after that.",
        permanent=False,
        extra={"code": "RATE_LIMITED", "retry_after": seconds},
    )


def connection_error(exc: requests.RequestException) -> ExternalServiceError:
    """Tell a request that never reached Pipedrive from one whose answer was lost: only the second may have been
    carried out (the retry's search by Leadflow's key makes that harmless)."""
    reason = getattr(exc.args[0], "reason", None) if exc.args else None
    if isinstance(exc, requests.ConnectTimeout) or isinstance(reason, NewConnectionError):
        message = "Pipedrive cannot be reached; retried automatically."
        return ExternalServiceError(message, permanent=False, extra={"code": "UNREACHABLE"})
    message = (
        "Pipedrive's answer was lost; it may have carried out the request. Retried automatically: the retry "
        "searches for what this conversion made first, so nothing is created twice."
    )
    return ExternalServiceError(message, permanent=False, extra={"code": "ANSWER_LOST"})


class PipedriveClient:
    """One worker's connection. `calls` counts the requests Pipedrive answered (429s included)."""

    def __init__(self) -> None:
        self.calls = 0
        self._http = requests.Session()
        if settings.PIPEDRIVE_ACCESS_TOKEN:
            self._http.headers["Authorization"] = f"Bearer {settings.PIPEDRIVE_ACCESS_TOKEN}"
        else:
            self._http.headers["x-api-token"] = settings.PIPEDRIVE_API_TOKEN

    def get(self, path: str, **params: Any) -> dict[str, Any]:
        return self._request("GET", path, params=params)

    def post(self, path: str, body: dict[str, Any], *, subject: str = "") -> dict[str, Any]:
        return self._request("POST", path, json=body, subject=subject)["data"]

    def patch(self, path: str, body: dict[str, Any], *, subject: str = "") -> dict[str, Any]:
        return self._request("PATCH", path, json=body, subject=subject)["data"]

    def pages(self, path: str, **params: Any) -> Iterator[Any]:
        """Every item of a v2 list, page by page (`cursor` until `next_cursor` is empty)."""
        cursor = None
        while True:
            answer = self.get(path, **params, **({"cursor": cursor} if cursor else {}))
            data = answer.get("data") or []
            yield from data["items"] if isinstance(data, dict) else data
            cursor = (answer.get("additional_data") or {}).get("next_cursor")
            if not cursor:
                return

    def search(self, entity: str, term: str, *, fields: str, exact: bool) -> list[dict[str, Any]]:
        """The items of `/api/v2/<entity>/search` (first page: Leadflow looks for a few candidates, not all)."""
        params = {"term": term, "fields": fields, "exact_match": "true" if exact else "false", "limit": 20}
        answer = self.get(f"/api/v2/{entity}/search", **params)
        return [found["item"] for found in (answer.get("data") or {}).get("items", [])]

    def _request(self, method: str, path: str, *, subject: str = "", **kwargs: Any) -> dict[str, Any]:
        for _ in range(MAX_THROTTLED_RETRIES + 1):
            self._wait_for_window()
            try:
                response = self._http.request(
                    method, settings.PIPEDRIVE_API_URL + path, timeout=settings.PIPEDRIVE_TIMEOUT, **kwargs
                )
            except requests.RequestException as exc:
                raise connection_error(exc) from exc
            self.calls += 1
            self._remember_window(response)
            if response.status_code != 429:
                break
            logger.info("Pipedrive answered 429 on %s %s; waiting as it asks.", method, path)
        else:
            raise rate_limited(_seconds(response.headers.get("Retry-After"), 2.0))
        if response.status_code >= 400:
            raise pipedrive_failure(response, subject)
        return response.json()

    @staticmethod
    def _remember_window(response: requests.Response) -> None:
        """A used-up window (remaining 0, or a 429) holds every worker back until Pipedrive says it resets."""
        headers = response.headers
        if response.status_code == 429:
            wait = _seconds(headers.get("Retry-After") or headers.get("x-ratelimit-reset"), 2.0)
        elif headers.get("x-ratelimit-remaining") == "0":
            wait = _seconds(headers.get("x-ratelimit-reset"), 2.0)
        else:
            return
        cache.set(WINDOW_KEY, time.time() + wait, timeout=int(wait) + 1)

    @staticmethod
    def _wait_for_window() -> None:
        resets_at = cache.get(WINDOW_KEY)
        wait = (resets_at or 0) - time.time()
        if wait <= 0:
            return
        if wait > settings.PIPEDRIVE_MAX_WAIT_SECONDS:
            raise rate_limited(wait)
        time.sleep(wait)


def _seconds(value: str | None, default: float) -> float:
    try:
        return max(float(value), 0.0) if value is not None else default
    except ValueError:
        return default
