"""Load shedding: above capacity, refuse work early and cheaply instead of doing it for clients who gave up.

Runs first, before any database work, so a refusal can never follow a commit:

* A request that waited in front of the app longer than `LEADFLOW_REQUEST_MAX_AGE_SECONDS` gets a fast
  `503 overloaded` with `Retry-After`: its client has likely given up, and answering it late only makes the
  queue behind it older. The age comes from `X-Request-Start`, which the proxy stamps when the request arrives
  (nginx: `proxy_set_header X-Request-Start "t=${msec}";`, Heroku's router sets it in milliseconds).
* A request whose client already closed its connection (it timed out while the request waited in gunicorn's
  backlog) is not worked on at all: gunicorn hands the socket over in `gunicorn.socket`, and a closed one reads
  as end-of-file. This drops abandoned work with gunicorn alone, no proxy needed.

`gunicorn.conf.py` keeps gunicorn's own queues short (listen backlog, connections per worker), so that what
waits, waits briefly; both counts below are per process, like `leadflow.core.cache.cache_fallbacks`.
"""

import logging
import socket
import time
from collections import Counter
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse

from leadflow.core.api import error_body

logger = logging.getLogger(__name__)

RETRY_AFTER_SECONDS = 2
# Request-start stamps in seconds, milliseconds or microseconds since the epoch, told apart by size.
STAMP_DIVISORS = ((1e15, 1e6), (1e12, 1e3), (0, 1))
requests_shed: Counter[str] = Counter()


def shed_load(get_response: Callable[[HttpRequest], HttpResponse]) -> Callable[[HttpRequest], HttpResponse]:
    def middleware(request: HttpRequest) -> HttpResponse:
        if _client_gone(request):
            requests_shed["client gone"] += 1
            return _counted(HttpResponse(status=499))  # nobody reads it; nginx's "client closed request"
        age = request_age_seconds(request.headers.get("X-Request-Start", ""))
        if age is not None and age > settings.LEADFLOW_REQUEST_MAX_AGE_SECONDS:
            requests_shed["too old"] += 1
            message = "The service is busy; nothing was stored. Send the same request again shortly."
            response = JsonResponse(error_body("overloaded", message), status=503)
            response["Retry-After"] = str(RETRY_AFTER_SECONDS)
            return _counted(response)
        return get_response(request)

    return middleware


def _counted(response: HttpResponse) -> HttpResponse:
    """Shed requests are counted in `requests_shed`; a log line each would flood the log just when it matters."""
    response._has_been_logged = True  # Django's own flag: skips its per-response warning
    return response


def request_age_seconds(stamp: str) -> float | None:
    """Seconds since the proxy's `X-Request-Start` ("t=1733000000.123", or ms/µs, with or without "t=")."""
    try:
        value = float(stamp.strip().removeprefix("t="))
    except ValueError:
        return None
    if not 0 < value < float("inf"):  # also NaN
        return None
    divisor = next(d for threshold, d in STAMP_DIVISORS if value >= threshold)
    return time.time() - value / divisor


def _client_gone(request: HttpRequest) -> bool:
    """True when the client closed the connection before we started: reading would give end-of-file."""
    client = request.META.get("gunicorn.socket")
    if client is None:
        return False
    try:
        return client.recv(1, socket.MSG_PEEK | socket.MSG_DONTWAIT) == b""
    except (BlockingIOError, InterruptedError):
        return False  # connected, nothing more to read: the client is waiting for its answer
    except OSError:
        return True  # reset by the peer
