"""Exact's API limits: calls per day and per minute for each app and company,
and the hour-long block of an endpoint after too many client errors."""

import threading
from collections import defaultdict, deque

from .clock import Clock
from .config import StandinConfig

DAY = 86400
MINUTE = 60
HOUR = 3600


class RateLimiter:
    """Fixed windows: the minute on the clock and the UTC day, as Exact resets
    its minutely limit each minute and its daily limit at midnight."""

    def __init__(self, clock: Clock, config: StandinConfig) -> None:
        self._clock = clock
        self._config = config
        # (key, window length) -> (window number, calls in it); older windows
        # are overwritten, so the table stays small on a long-running server.
        self._used: dict[tuple, tuple[int, int]] = {}
        self._lock = threading.Lock()

    def take(self, key: tuple) -> tuple[bool, dict[str, str]]:
        """Count one call for ``key`` if both limits allow it.

        Returns whether the call may proceed and the X-RateLimit headers.
        """
        with self._lock:
            allowed = (
                self._count(key, DAY) < self._config.daily_limit
                and self._count(key, MINUTE) < self._config.minutely_limit
            )
            if allowed:
                for length in (DAY, MINUTE):
                    self._used[key, length] = (
                        self._window(length),
                        self._count(key, length) + 1,
                    )
            return allowed, self._headers(key)

    def headers(self, key: tuple) -> dict[str, str]:
        with self._lock:
            return self._headers(key)

    def reset(self) -> None:
        with self._lock:
            self._used.clear()

    def _window(self, length: int) -> int:
        return int(self._clock.now() // length)

    def _count(self, key: tuple, length: int) -> int:
        window, used = self._used.get((key, length), (None, 0))
        return used if window == self._window(length) else 0

    def _headers(self, key: tuple) -> dict[str, str]:
        daily, minutely = self._config.daily_limit, self._config.minutely_limit
        # Exact sends the reset moments as epoch milliseconds.
        return {
            "X-RateLimit-Limit": str(daily),
            "X-RateLimit-Remaining": str(max(0, daily - self._count(key, DAY))),
            "X-RateLimit-Reset": str(self._next_window_ms(DAY)),
            "X-RateLimit-Minutely-Limit": str(minutely),
            "X-RateLimit-Minutely-Remaining": str(max(0, minutely - self._count(key, MINUTE))),
            "X-RateLimit-Minutely-Reset": str(self._next_window_ms(MINUTE)),
        }

    def _next_window_ms(self, length: int) -> int:
        return (self._window(length) + 1) * length * 1000


class ErrorBan:
    """More than ``error_ban_threshold`` 4xx answers for one app, company and
    endpoint within an hour block that endpoint for ``error_ban_seconds``."""

    def __init__(self, clock: Clock, config: StandinConfig) -> None:
        self._clock = clock
        self._config = config
        self._errors: dict[tuple, deque[float]] = defaultdict(deque)
        self._banned_until: dict[tuple, float] = {}
        self._lock = threading.Lock()

    def banned_until(self, key: tuple) -> float | None:
        with self._lock:
            until = self._banned_until.get(key)
            if until is not None and until <= self._clock.now():
                del self._banned_until[key]
                return None
            return until

    def record_error(self, key: tuple) -> None:
        with self._lock:
            now = self._clock.now()
            errors = self._errors[key]
            errors.append(now)
            while errors and errors[0] <= now - HOUR:
                errors.popleft()
            if len(errors) > self._config.error_ban_threshold:
                self._banned_until[key] = now + self._config.error_ban_seconds
                errors.clear()

    def reset(self) -> None:
        with self._lock:
            self._errors.clear()
            self._banned_until.clear()
