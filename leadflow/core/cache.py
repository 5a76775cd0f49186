"""The cache makes Leadflow faster; nothing depends on it.

Every cache call on a request path goes through `cache_attempt`: when the cache server is unreachable the caller
gets its fallback (a rate limit lets the request through, a form is read from the database), a warning is logged
once per outage, `cache_fallbacks` counts the calls answered without the cache, and for
`LEADFLOW_CACHE_RETRY_SECONDS` the cache is not tried at all, so an outage costs no request a connection timeout.
"""

import logging
import time
from collections import Counter
from collections.abc import Callable
from typing import Any, TypeVar

import redis
from django.conf import settings
from django.core.cache.backends.redis import RedisCache as DjangoRedisCache
from django.core.cache.backends.redis import RedisCacheClient

logger = logging.getLogger(__name__)

T = TypeVar("T")

# What a cache backend raises when its server is gone: socket errors, and redis-py's own hierarchy.
CACHE_ERRORS = (OSError, redis.RedisError)
# Per process: operation name → calls answered by the fallback (read by the health figures and the tests).
cache_fallbacks: Counter[str] = Counter()
_unreachable_until = 0.0


def cache_attempt(operation: str, call: Callable[[], T], fallback: Callable[[], T]) -> T:
    """`call()` against the cache, or `fallback()` when the cache is unreachable (or was moments ago)."""
    global _unreachable_until
    if time.monotonic() < _unreachable_until:
        cache_fallbacks[operation] += 1
        return fallback()
    try:
        return call()
    except CACHE_ERRORS as exc:
        _unreachable_until = time.monotonic() + settings.LEADFLOW_CACHE_RETRY_SECONDS
        cache_fallbacks[operation] += 1
        logger.warning(
            "Cache unreachable during %s (%s); carrying on without it for %s s.",
            operation,
            exc,
            settings.LEADFLOW_CACHE_RETRY_SECONDS,
        )
        return fallback()


def cache_reachable_again() -> None:
    """Forget a past outage so the next call tries the cache (tests, and a settings change)."""
    global _unreachable_until
    _unreachable_until = 0.0


class _OneClientPerPool(RedisCacheClient):
    """Django builds a new `redis.Redis` object for every cache call, which costs more CPU with redis-py 8 than
    the round trip (~0.5 ms); one per connection pool is enough: it is thread-safe and keeps no state of its own."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._clients: dict[int, redis.Redis] = {}

    def get_client(self, key: Any = None, *, write: bool = False) -> redis.Redis:
        pool = self._get_connection_pool(write)
        client = self._clients.get(id(pool))
        if client is None:
            client = self._clients[id(pool)] = self._client(connection_pool=pool)
        return client


class RedisCache(DjangoRedisCache):
    """Django's Redis cache, reusing its client objects (settings use it for every `redis://` CACHE_URL)."""

    def __init__(self, server: str, params: dict[str, Any]) -> None:
        super().__init__(server, params)
        self._class = _OneClientPerPool
