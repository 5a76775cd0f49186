"""Webhook target: POST the job's payload as JSON, signed with the target's secret.

Header `X-Leadflow-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">` (see docs/sync.md for a
verification snippet). 2xx = delivered; 410 = the receiver is gone (target disabled); 429 = retry after its
Retry-After; other 4xx = failed for good; 5xx, timeouts and connection errors = retry.
"""

import hashlib
import hmac
import json
import secrets
import time
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING

import requests
from django import forms
from django.conf import settings
from django.utils import timezone

from leadflow.sync.events import CUSTOMER_CONVERTED, EVENTS
from leadflow.sync.targets import DeliveryResult, Target, TargetError

if TYPE_CHECKING:
    from leadflow.sync.models import SyncJob, SyncTarget

SIGNATURE_HEADER = "X-Leadflow-Signature"


class WebhookSettingsForm(forms.Form):
    url = forms.URLField(max_length=2000, assume_scheme="https")
    secret = forms.CharField(
        max_length=200, required=False, help_text="Shared signing secret; left empty, one is generated."
    )
    events = forms.MultipleChoiceField(
        choices=list(EVENTS.items()),
        initial=[CUSTOMER_CONVERTED],
        help_text="Each event is sent only to targets that tick it (payload schemas: docs/schemas/).",
    )
    timeout_seconds = forms.IntegerField(min_value=1, max_value=60, initial=10)

    def clean_secret(self) -> str:
        return self.cleaned_data["secret"] or secrets.token_urlsafe(32)


def signature(secret: str, body: bytes, timestamp: int) -> str:
    """The header value for `body` sent at `timestamp` (unix seconds)."""
    signed = f"{timestamp}.".encode() + body
    digest = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def webhook_body(job: "SyncJob") -> bytes:
    envelope = {"id": str(job.uuid), "event": job.event, "created_at": job.created_at.isoformat()} | job.payload
    return json.dumps(envelope, sort_keys=True, separators=(",", ":")).encode()


class WebhookTarget(Target):
    name = "webhook"
    label = "Webhook"
    settings_form = WebhookSettingsForm
    secret_fields = ("secret",)

    def accepts(self, *, target: "SyncTarget", event: str) -> bool:
        return event in target.settings.get("events", ())

    def describe(self, *, target: "SyncTarget") -> str:
        return target.settings.get("url", "")

    def deliver(self, *, target: "SyncTarget", job: "SyncJob") -> DeliveryResult:
        body = webhook_body(job)
        headers = {
            "Content-Type": "application/json",
            "User-Agent": settings.SYNC_USER_AGENT,
            "X-Leadflow-Event": job.event,
            "X-Leadflow-Delivery": str(job.uuid),
            SIGNATURE_HEADER: signature(target.settings["secret"], body, int(time.time())),
        }
        try:
            response = requests.post(
                target.settings["url"],
                data=body,
                headers=headers,
                timeout=target.settings.get("timeout_seconds", 10),
                allow_redirects=False,
            )
        except requests.Timeout as error:
            raise TargetError("The receiver did not answer in time.", permanent=False) from error
        except requests.ConnectionError as error:
            raise TargetError(f"Could not connect to the receiver ({_reason(error)}).", permanent=False) from error
        return _result(response)


def _result(response: requests.Response) -> DeliveryResult:
    status = response.status_code
    said = f"The receiver answered {status} {response.reason}"
    if 200 <= status < 300:
        return DeliveryResult(status_code=status)
    if status == 410:
        raise TargetError(
            f"{said}: it no longer wants deliveries; held until the target is switched on again.",
            permanent=False,
            status_code=status,
            disable_target=True,
        )
    if status == 429:
        raise TargetError(
            f"{said}: too many requests.",
            permanent=False,
            status_code=status,
            retry_after=_retry_after(response.headers.get("Retry-After")),
            pause_target=True,
        )
    if 400 <= status < 500:
        raise TargetError(f"{said}; it refuses this delivery.", permanent=True, status_code=status)
    raise TargetError(f"{said}.", permanent=False, status_code=status)


def _retry_after(value: str | None) -> float | None:
    """Retry-After is either seconds or an HTTP date."""
    if not value:
        return None
    if value.strip().isdigit():
        return float(value)
    try:
        return max(0.0, (parsedate_to_datetime(value) - timezone.now()).total_seconds())
    except (TypeError, ValueError):
        return None


def _reason(error: Exception) -> str:
    text = str(error)
    for plain in ("Connection refused", "Name or service not known", "No route to host", "Connection reset"):
        if plain.lower() in text.lower():
            return plain.lower()
    return error.__class__.__name__
