"""Talking to Exact Online: OAuth tokens kept in the database, rate limits, and errors sorted into permanent
and transient.

- Access tokens live 10 minutes; Exact issues a new one at most every 570 seconds and the refresh token it came
  with retires the old one only once used. One worker at a time refreshes (a lease on the `ExactConnection` row,
  no lock across the call); a refresh whose answer was lost is repeated with the stored token after 570 s.
- Every call first takes a slot of the per-minute budget all workers share (`leadflow.sync.budget`), so
  Exact's 60 a minute is never exceeded. Every answer carries `X-RateLimit-*` headers (60 a minute, 5000 a day);
  when one is used up the connection is paused until its reset and jobs are deferred (`TargetDeferred`).
- Exact blocks a key after repeated 4xx answers: a 4xx is never retried as is (it fails the job), except a 401,
  which is answered once with a token refresh.
"""

import secrets
import time
from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

import requests
from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from leadflow.core.exceptions import ApplicationError
from leadflow.integrations.exact.models import ExactConnection
from leadflow.sync.budget import Budget, call_budget_wait
from leadflow.sync.models import SyncTarget
from leadflow.sync.targets import TargetDeferred, TargetError, answer_error_raise, target_request

MINUTE_SECONDS = 60
DAY_SECONDS = 86400
# Exact blocks an endpoint for an hour after too many errors.
ERROR_BLOCK_SECONDS = 3600


class ExactClient:
    def __init__(self, target: SyncTarget) -> None:
        self.target = target
        self.connection = ExactConnection.objects.filter(target=target).first()
        if self.connection is None or not self.connection.is_connected:
            raise TargetError(
                f"Target {target.name} is not connected to Exact Online yet: use 'Connect to Exact' in the admin.",
                permanent=True,
            )

    def get(self, path: str, *, params: dict[str, str]) -> dict[str, Any]:
        return self._call("GET", path, params=params)

    def post(self, path: str, *, json_body: dict[str, Any]) -> dict[str, Any]:
        return self._call("POST", path, json=json_body)

    def put(self, path: str, *, json_body: dict[str, Any]) -> None:
        """Exact answers a PUT with 204 and no body."""
        self._call("PUT", path, json=json_body)

    def _call(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        self._wait_for_budget()
        token = exact_access_token(connection_id=self.connection.pk)
        response = self._send(method, path, token, **kwargs)
        if response.status_code == 401:
            # Expired before we thought (clock skew) or revoked: refresh once, then the 401 stands.
            token = exact_access_token(connection_id=self.connection.pk, rejected=token)
            response = self._send(method, path, token, **kwargs)
        if response.status_code == 429:
            self._pause_after_refusal(response)
        if response.status_code >= 400:
            answer_error_raise(
                status_code=response.status_code,
                system="Exact",
                request=f"{method} {_endpoint(path)}",
                reason=_exact_message(response),
            )
        return response.json() if response.content else {}

    def _send(self, method: str, path: str, token: str, **kwargs: Any) -> requests.Response:
        self._take_call_slot()
        response = target_request(
            method,
            settings.EXACT_BASE_URL + path,
            unreachable="Could not reach Exact Online",
            headers={"Authorization": f"Bearer {token}", "Accept": "application/json"},
            timeout=settings.EXACT_TIMEOUT_SECONDS,
            **kwargs,
        )
        self._remember_budget(response)
        return response

    def _wait_for_budget(self) -> None:
        paused_until = ExactConnection.objects.values_list("paused_until", flat=True).get(pk=self.connection.pk)
        now = timezone.now()
        if paused_until and paused_until > now:
            raise TargetDeferred(
                "Exact's rate limit is used up; waiting for it to reset.",
                retry_after=(paused_until - now).total_seconds(),
            )

    def _take_call_slot(self) -> None:
        """One of the calls per minute that every worker shares for this app and division (never exceeded)."""
        limit = min(settings.EXACT_CALLS_PER_MINUTE, self.connection.minutely_limit or settings.EXACT_CALLS_PER_MINUTE)
        division = self.target.settings.get("division")
        budget = Budget(f"exact:{settings.EXACT_CLIENT_ID}:{division}", limit, settings.EXACT_BUDGET_WINDOW_SECONDS)
        wait = call_budget_wait(budget=budget, longest_wait=settings.EXACT_BUDGET_WAIT_SECONDS)
        if wait:
            raise TargetDeferred(
                f"Exact's {limit} calls a minute are taken by other deliveries; waiting for a free one.",
                retry_after=wait,
            )

    def _remember_budget(self, response: requests.Response) -> None:
        headers = response.headers
        minutely = _int_header(headers, "X-RateLimit-Minutely-Remaining")
        daily = _int_header(headers, "X-RateLimit-Remaining")
        if minutely is None and daily is None:
            return
        changes: dict[str, Any] = {"minutely_remaining": minutely, "daily_remaining": daily}
        limit = _int_header(headers, "X-RateLimit-Minutely-Limit")
        if limit:
            changes["minutely_limit"] = self.connection.minutely_limit = limit
        if daily == 0:
            changes["paused_until"] = _reset_moment(headers, "X-RateLimit-Reset", DAY_SECONDS)
        elif minutely == 0:
            changes["paused_until"] = _reset_moment(headers, "X-RateLimit-Minutely-Reset", MINUTE_SECONDS)
        ExactConnection.objects.filter(pk=self.connection.pk).update(**changes)

    def _pause_after_refusal(self, response: requests.Response) -> None:
        message = _exact_message(response)
        if "block" in message.lower():
            until = timezone.now() + timedelta(seconds=ERROR_BLOCK_SECONDS)
            reason = f"Exact has blocked this endpoint after repeated errors: {message}"
        else:
            until = _reset_moment(response.headers, "X-RateLimit-Minutely-Reset", MINUTE_SECONDS)
            reason = "Exact's rate limit is used up (429); waiting for it to reset."
        ExactConnection.objects.filter(pk=self.connection.pk).update(paused_until=until)
        raise TargetDeferred(reason, retry_after=max(1.0, (until - timezone.now()).total_seconds()))


def exact_access_token(*, connection_id: int, rejected: str | None = None) -> str:
    """A usable access token, refreshed when it is (nearly) expired or Exact just `rejected` it.

    No lock is held while Exact is asked: one worker takes the refresh lease (a conditional UPDATE), the others
    wait for it to end and use what it stored. Exact allows a new token only 570 s after the last one and keeps
    the old refresh token valid until the new pair is used, so when the answer is lost (timeout, 5xx) nothing is
    stored and the refresh is repeated with the same refresh token once the interval has passed; jobs wait
    (deferred, no attempt spent) meanwhile.
    """
    connection = ExactConnection.objects.get(pk=connection_id)
    if connection.auth_error:
        raise TargetError(_reconnect_message(connection.auth_error), permanent=True)
    if _token_usable(connection, rejected):
        return connection.access_token
    if not _take_refresh_lease(connection):
        connection = _after_other_refresh(connection_id)
        if _token_usable(connection, rejected):
            return connection.access_token
        raise TargetDeferred(connection.state(timezone.now()) + ".", retry_after=_refresh_wait(connection))
    return _refresh(connection)


def _take_refresh_lease(connection: ExactConnection) -> bool:
    """Claim the refresh for this worker: nobody else refreshing, 570 s since the last token request, and the
    refresh token still the one we read."""
    now = timezone.now()
    taken = (
        ExactConnection.objects.filter(pk=connection.pk, refresh_token=connection.refresh_token)
        .filter(Q(refresh_lease_until__isnull=True) | Q(refresh_lease_until__lt=now))
        .filter(Q(refreshed_at__isnull=True) | Q(refreshed_at__lte=now - _refresh_interval()))
        .update(refresh_lease_until=now + _refresh_lease(), refreshed_at=now)
    )
    return bool(taken)


def _after_other_refresh(connection_id: int) -> ExactConnection:
    """Wait (briefly, on the row, not on a lock) for another worker's refresh to finish; the row as it is then."""
    while True:
        connection = ExactConnection.objects.get(pk=connection_id)
        lease = connection.refresh_lease_until
        if not lease or lease <= timezone.now():
            return connection
        time.sleep(0.1)


def _refresh(connection: ExactConnection) -> str:
    sent_token = connection.refresh_token
    grant = {"grant_type": "refresh_token", "refresh_token": sent_token}
    try:
        tokens = _token_request(grant)
    except TokenRefused as refusal:
        return _after_refusal(connection, sent_token, refusal)
    except TargetError as error:
        # No answer, or one that says nothing about our tokens: the stored refresh token is still good.
        ExactConnection.objects.filter(pk=connection.pk).update(refresh_lease_until=None)
        connection.refresh_from_db()
        raise TargetDeferred(
            f"{error.message} The stored refresh token stays valid; renewing again after Exact's 570 seconds.",
            retry_after=_refresh_wait(connection),
        ) from error
    stored = ExactConnection.objects.filter(pk=connection.pk, refresh_token=sent_token).update(
        **_token_fields(tokens), refresh_lease_until=None
    )
    if not stored:  # Someone reconnected the target meanwhile: use theirs.
        return exact_access_token(connection_id=connection.pk)
    return tokens["access_token"]


def _after_refusal(connection: ExactConnection, sent_token: str, refusal: "TokenRefused") -> str:
    ExactConnection.objects.filter(pk=connection.pk).update(refresh_lease_until=None)
    current = ExactConnection.objects.get(pk=connection.pk)
    if current.refresh_token != sent_token:  # Another worker (or a reconnect) stored newer tokens.
        return exact_access_token(connection_id=connection.pk)
    if refusal.too_early:
        raise TargetDeferred(f"Exact refused the renewal: {refusal.description}", retry_after=_refresh_wait(current))
    reason = f"Exact no longer accepts our authorization ({refusal.description})."
    ExactConnection.objects.filter(pk=connection.pk, refresh_token=sent_token).update(auth_error=reason[:255])
    raise TargetError(_reconnect_message(reason), permanent=True, status_code=refusal.status_code)


def _reconnect_message(reason: str) -> str:
    return f"{reason} Reconnect the target from the admin."


def _refresh_interval() -> timedelta:
    return timedelta(seconds=settings.EXACT_REFRESH_INTERVAL_SECONDS)


def _refresh_lease() -> timedelta:
    return timedelta(seconds=settings.EXACT_TIMEOUT_SECONDS + 5)


def _refresh_wait(connection: ExactConnection) -> float:
    """Seconds until a refresh is allowed again (at least one, so a deferral never spins)."""
    if not connection.refreshed_at:
        return 1.0
    allowed = connection.refreshed_at + _refresh_interval()
    return max((allowed - timezone.now()).total_seconds(), 1.0)


def _token_usable(connection: ExactConnection, rejected: str | None) -> bool:
    margin = timedelta(seconds=settings.EXACT_REFRESH_MARGIN_SECONDS)
    return (
        bool(connection.access_token)
        and connection.access_token != rejected
        and connection.access_expires_at is not None
        and connection.access_expires_at > timezone.now() + margin
    )


def exact_connect_start(*, target: SyncTarget) -> str:
    """Begin the OAuth authorization-code flow: the URL of Exact's consent page to send the admin to."""
    if target.kind != "exact":
        raise ApplicationError(f"{target.name} is not an Exact Online target.")
    state = secrets.token_urlsafe(32)
    ExactConnection.objects.update_or_create(target=target, defaults={"oauth_state": state})
    query = {
        "client_id": settings.EXACT_CLIENT_ID,
        "redirect_uri": settings.EXACT_REDIRECT_URI,
        "response_type": "code",
        "state": state,
    }
    return f"{settings.EXACT_BASE_URL}/api/oauth2/auth?{urlencode(query)}"


def exact_connect_finish(*, state: str, code: str) -> SyncTarget:
    """Exchange the code Exact sent back for tokens, and choose the user's current division if none is set."""
    connection = ExactConnection.objects.select_related("target").filter(oauth_state=state).first() if state else None
    if connection is None:
        raise ApplicationError("This Exact connection request is unknown or was already used; start it again.")
    try:
        tokens = _token_request(
            {"grant_type": "authorization_code", "code": code, "redirect_uri": settings.EXACT_REDIRECT_URI}
        )
    except TargetError as error:
        raise ApplicationError(f"Exact did not give access: {error.message}") from error
    connection.oauth_state = ""
    connection.connected_at = connection.refreshed_at = timezone.now()
    connection.paused_until = connection.refresh_lease_until = None
    for name, value in _token_fields(tokens).items():
        setattr(connection, name, value)
    connection.save()
    target = connection.target
    if not target.settings.get("division"):
        target.settings = {**target.settings, "division": _current_division(connection.access_token)}
        target.save(update_fields=["settings", "updated_at"])
    return target


def _current_division(access_token: str) -> int:
    try:
        response = requests.get(
            f"{settings.EXACT_BASE_URL}/api/v1/current/Me",
            params={"$select": "CurrentDivision"},
            headers={"Authorization": f"Bearer {access_token}", "Accept": "application/json"},
            timeout=settings.EXACT_TIMEOUT_SECONDS,
        )
        response.raise_for_status()
        return int(response.json()["d"]["results"][0]["CurrentDivision"])
    except (requests.RequestException, KeyError, IndexError, ValueError) as error:
        raise ApplicationError("Connected, but Exact did not say which company to use: set the division.") from error


class TokenRefused(TargetError):
    """Exact answered the token request with an OAuth error: `too_early` for the 570-second rule, otherwise
    (invalid_grant, invalid_client) our authorization is gone."""

    def __init__(self, description: str, *, error_code: str, status_code: int) -> None:
        super().__init__(description, permanent=error_code != "invalid_request", status_code=status_code)
        self.description = description
        self.too_early = error_code == "invalid_request"


def _token_request(grant: dict[str, str]) -> dict[str, Any]:
    form = grant | {"client_id": settings.EXACT_CLIENT_ID, "client_secret": settings.EXACT_CLIENT_SECRET}
    response = target_request(
        "POST",
        f"{settings.EXACT_BASE_URL}/api/oauth2/token",
        unreachable="Exact's token endpoint did not answer",
        data=form,
        timeout=settings.EXACT_TIMEOUT_SECONDS,
    )
    if response.status_code == 200:
        return response.json()
    try:
        problem = response.json()
    except ValueError:
        problem = {}
    error_code = problem.get("error", "")
    description = problem.get("error_description") or f"status {response.status_code}"
    if error_code in ("invalid_grant", "invalid_client", "invalid_request"):
        raise TokenRefused(description, error_code=error_code, status_code=response.status_code)
    raise TargetError(
        f"Exact's token endpoint had a problem ({description}).", permanent=False, status_code=response.status_code
    )


def _token_fields(tokens: dict[str, Any]) -> dict[str, Any]:
    return {
        "access_token": tokens["access_token"],
        "refresh_token": tokens["refresh_token"],
        # Exact sends expires_in as a string of seconds.
        "access_expires_at": timezone.now() + timedelta(seconds=int(tokens.get("expires_in") or 600)),
        "auth_error": "",
    }


def _int_header(headers: Any, name: str) -> int | None:
    value = headers.get(name)
    return int(value) if value is not None and value.strip().lstrip("-").isdigit() else None


def _reset_moment(headers: Any, name: str, longest_wait: int) -> Any:
    """When a limit resets. Exact sends epoch milliseconds; the wait is kept within the window's length so a
    skewed clock can never park the connection longer than one window."""
    now = timezone.now()
    reset_ms = _int_header(headers, name)
    wait = longest_wait if reset_ms is None else reset_ms / 1000 - now.timestamp()
    return now + timedelta(seconds=min(max(wait, 1.0), longest_wait))


def _endpoint(path: str) -> str:
    return path.split("/", 4)[-1] if path.startswith("/api/v1/") else path


def _exact_message(response: requests.Response) -> str:
    try:
        return response.json()["error"]["message"]["value"]
    except (ValueError, KeyError, TypeError):
        return response.reason or "no explanation given"
