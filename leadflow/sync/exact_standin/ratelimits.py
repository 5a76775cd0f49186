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
        self._used: dict[tuple, int] = defaultdict(int)
        self._lock = threading.Lock()

    def take(self, key: tuple) -> tuple[bool, dict[str, str]]:
        """Count one call for ``key`` if both limits allow it.

        Returns whether the call may proceed and the X-RateLimit headers.
        """
        with self._lock:
            day, minute = self._windows(key)
            allowed = (
                self._used[day] < self._config.daily_limit
                and self._used[minute] < self._config.minutely_limit
            )
            if allowed:
                self._used[day] += 1
                self._used[minute] += 1
            return allowed, self._headers(day, minute)

    def headers(self, key: tuple) -> dict[str, str]:
        with self._lock:
            return self._headers(*self._windows(key))

    def reset(self) -> None:
        with self._lock:
            self._used.clear()

    def _windows(self, key: tuple) -> tuple[tuple, tuple]:
        now = self._clock.now()
        return (key, "day", int(now // DAY)), (key, "minute", int(now // MINUTE))

    def _headers(self, day: tuple, minute: tuple) -> dict[str, str]:
        daily, minutely = self._config.daily_limit, self._config.minutely_limit
        # Exact sends the reset moments as epoch milliseconds.
        return {
            "X-RateLimit-Limit": str(daily),
            "X-RateLimit-Remaining": str(max(0, daily - self._used[day])),
            "X-RateLimit-Reset": str((day[2] + 1) * DAY * 1000),
            "X-RateLimit-Minutely-Limit": str(minutely),
            "X-RateLimit-Minutely-Remaining": str(
                max(0, minutely - self._used[minute])
            ),
            "X-RateLimit-Minutely-Reset": str((minute[2] + 1) * MINUTE * 1000),
        }


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
