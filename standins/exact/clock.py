"""The stand-in's clock: real time plus an offset tests can grow, so minutes
and hours pass instantly. Frozen, it moves only when advanced, which makes
per-minute counts deterministic in tests."""

import threading
import time


class Clock:
    def __init__(self) -> None:
        self._offset = 0.0
        self._frozen_at: float | None = None
        self._lock = threading.Lock()

    def now(self) -> float:
        with self._lock:
            return self._now()

    @property
    def frozen(self) -> bool:
        return self._frozen_at is not None

    def advance(self, seconds: float) -> None:
        with self._lock:
            self._offset += seconds

    def freeze(self) -> None:
        with self._lock:
            if self._frozen_at is None:
                self._frozen_at = time.time()

    def unfreeze(self) -> None:
        """Run on from the frozen moment, not jump to real time."""
        with self._lock:
            self._offset = self._now() - time.time()
            self._frozen_at = None

    def reset(self) -> None:
        with self._lock:
            self._offset = 0.0
            self._frozen_at = None

    def _now(self) -> float:
        base = time.time() if self._frozen_at is None else self._frozen_at
        return base + self._offset
