"""The stand-in's state: settings, clock, data, limits, faults and call log."""

import threading
from collections import Counter

from .clock import Clock
from .config import StandinConfig
from .faults import Faults
from .oauth import OAuth
from .ratelimits import ErrorBan, RateLimiter
from .store import Store


class Standin:
    def __init__(self, db_path: str, **settings: object) -> None:
        self.config = StandinConfig()
        self.config.update(settings)
        self._initial_settings = self.config.as_dict()
        self.clock = Clock()
        self.store = Store(db_path)
        self.oauth = OAuth(self.config, self.clock, self.store)
        self.limiter = RateLimiter(self.clock, self.config)
        self.error_ban = ErrorBan(self.clock, self.config)
        self.faults = Faults()
        self._calls: list[dict] = []
        self._calls_lock = threading.Lock()
        # Open sales invoices per debtor (read/financial/ReceivablesList); kept in memory, added by tests.
        self.receivables: list[dict] = []

    def record_call(self, method: str, path: str, endpoint: str, status: int) -> None:
        call = {"method": method, "path": path, "endpoint": endpoint, "status": status}
        with self._calls_lock:
            self._calls.append(call)

    def calls(self) -> list[dict]:
        with self._calls_lock:
            return list(self._calls)

    def stats(self) -> dict:
        calls = self.calls()
        by_endpoint = Counter(f"{c['method']} {c['endpoint']}" for c in calls)
        creates = sum(
            1 for c in calls if c["method"] == "POST" and c["endpoint"] == "crm/Accounts" and c["status"] == 201
        )
        return {
            "calls": len(calls),
            "calls_by_endpoint": dict(by_endpoint),
            "creates": creates,
            "accounts": len(self.store.accounts()),
        }

    def reset(self) -> None:
        """Back to the state right after start: no data, tokens, counts or faults."""
        self.config.update(self._initial_settings)
        self.clock.reset()
        self.store.wipe()
        self.limiter.reset()
        self.error_ban.reset()
        self.faults.clear()
        self.receivables.clear()
        with self._calls_lock:
            self._calls.clear()
