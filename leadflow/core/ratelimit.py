"""Fixed-window rate limits in the shared cache, counted in one round trip per request and failing open.

A rate is "count/period" with the period in s, m, h or d, optionally with a multiplier ("5/10s"). Each limit is
a counter per window (`rl:<name>:<window number>`) that expires with its window. On Django's Redis cache all of a
request's counters are bumped in one pipeline (SET NX EX + INCR per counter); other caches use add/incr. With the
cache unreachable every request is let through (see `leadflow.core.cache`): intake never refuses work because a
counter cannot be read.
"""

import ipaddress
import re
import time
from dataclasses import dataclass

from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache
from django.http import HttpRequest

from leadflow.core.cache import cache_attempt

PERIOD_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
RATE_PATTERN = re.compile(r"^(?P<count>\d+)/(?P<multiplier>\d*)(?P<unit>[smhd])$")
# IPv6 clients get a /64 each (one household or server), as an IPv4 client gets one address.
IPV6_PREFIX = 64


@dataclass(frozen=True)
class Limit:
    name: str  # what is counted, e.g. "form-ip:203.0.113.9"
    rate: str  # "count/period"


def rate_parse(rate: str) -> tuple[int, int]:
    """'20/m' → (20, 60); '5/10s' → (5, 10). A malformed rate is a configuration error."""
    match = RATE_PATTERN.match(rate.strip())
    if match is None:
        raise ValueError(f"Rate {rate!r} is not count/period (period s, m, h or d), e.g. '20/m'.")
    return int(match["count"]), int(match["multiplier"] or 1) * PERIOD_SECONDS[match["unit"]]


def rate_limited(*limits: Limit) -> bool:
    """Count this request against every limit; True when any of them is over. False if the cache is down."""
    now = time.time()
    counters = []
    for limit in limits:
        allowed, seconds = rate_parse(limit.rate)
        counters.append((f"rl:{limit.name}:{int(now // seconds)}", seconds, allowed))
    counts = cache_attempt("rate limit", lambda: _count(counters), lambda: [0] * len(counters))
    return any(count > allowed for count, (_, _, allowed) in zip(counts, counters, strict=True))


def client_address(request: HttpRequest) -> str:
    """The client as a rate limit sees it: its IPv4 address or its IPv6 /64."""
    address = request.META.get("REMOTE_ADDR", "")
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return address
    if parsed.version == 6:
        return str(ipaddress.ip_network(f"{parsed}/{IPV6_PREFIX}", strict=False).network_address)
    return address


def _count(counters: list[tuple[str, int, int]]) -> list[int]:
    backend = caches["default"]
    if isinstance(backend, RedisCache):
        return _count_in_redis(backend, counters)
    counts = []
    for key, seconds, _ in counters:
        if backend.add(key, 1, seconds + 1):
            counts.append(1)
        else:
            try:
                counts.append(backend.incr(key))
            except ValueError:  # expired between add and incr: this request starts the next count
                counts.append(1)
    return counts


def _count_in_redis(backend: RedisCache, counters: list[tuple[str, int, int]]) -> list[int]:
    # Django's RedisCache offers no pipeline; its client for write keys is the documented way to the server.
    keys = [backend.make_and_validate_key(key) for key, _, _ in counters]
    pipeline = backend._cache.get_client(keys[0], write=True).pipeline(transaction=False)
    for key, (_, seconds, _) in zip(keys, counters, strict=True):
        pipeline.set(key, 0, ex=seconds + 1, nx=True)
        pipeline.incr(key)
    return pipeline.execute()[1::2]
