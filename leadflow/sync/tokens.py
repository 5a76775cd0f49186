"""Bearer tokens of targets whose credentials do not rotate (a client key, client credentials): kept on the target's
connection row and fetched again shortly before they end. Two workers renewing at once both get a valid token, so
no lease is needed (Exact's rotating refresh tokens need one: `leadflow.integrations.exact.client`)."""

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from django.db import models
from django.utils import timezone

RENEW_MARGIN = timedelta(seconds=60)


def target_token(*, connection: models.Model, fetch: Callable[[], dict[str, Any]], renew: bool = False) -> str:
    """The stored access token, or a new one from `fetch()` (an OAuth token answer) when it ends within a minute or
    `renew` (the API refused it). `connection` has `access_token` and `access_expires_at` fields."""
    connection.refresh_from_db(fields=["access_token", "access_expires_at"])
    expires = connection.access_expires_at
    if not renew and connection.access_token and expires and expires - RENEW_MARGIN > timezone.now():
        return connection.access_token
    tokens = fetch()
    connection.access_token = tokens["access_token"]
    connection.access_expires_at = timezone.now() + timedelta(seconds=int(tokens.get("expires_in") or 3599))
    connection.save(update_fields=["access_token", "access_expires_at"])
    return connection.access_token
