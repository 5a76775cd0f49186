"""Failures armed through the control API, taken by the next matching requests."""

import threading
from dataclasses import asdict, dataclass

# kind -> the requests it applies to when the caller names no path or method.
KINDS = {
    "unavailable": (None, "/api/"),
    "server_error": (None, "/api/"),
    "timeout_after_commit": ("POST", "/api/v1/"),
}


@dataclass
class Fault:
    kind: str
    times: int = 1
    seconds: float = 0.0  # how long timeout_after_commit holds the answer back
    method: str | None = None
    path: str | None = None  # applies to request paths containing this text

    def matches(self, method: str, path: str) -> bool:
        return (self.method is None or self.method == method) and (
            self.path is None or self.path.lower() in path.lower()
        )


class Faults:
    def __init__(self) -> None:
        self._armed: list[Fault] = []
        self._lock = threading.Lock()

    def arm(self, spec: dict) -> Fault:
        """Add a fault from the control API's JSON; ValueError when invalid."""
        kind = spec.get("kind")
        if kind not in KINDS:
            raise ValueError(f"kind must be one of {sorted(KINDS)}")
        unknown = set(spec) - {"kind", "times", "seconds", "method", "path"}
        if unknown:
            raise ValueError(f"unknown fault fields {sorted(unknown)}")
        default_method, default_path = KINDS[kind]
        method = spec.get("method") or default_method
        fault = Fault(
            kind=kind,
            times=int(spec.get("times", 1)),
            seconds=float(spec.get("seconds", 0)),
            method=method.upper() if method else None,
            path=spec.get("path") or default_path,
        )
        if fault.times < 1 or fault.seconds < 0:
            raise ValueError("times must be at least 1 and seconds not negative")
        with self._lock:
            self._armed.append(fault)
        return fault

    def take(self, method: str, path: str) -> Fault | None:
        with self._lock:
            for fault in self._armed:
                if fault.matches(method, path):
                    fault.times -= 1
                    if fault.times == 0:
                        self._armed.remove(fault)
                    return fault
        return None

    def armed(self) -> list[dict]:
        with self._lock:
            return [asdict(fault) for fault in self._armed]

    def clear(self) -> None:
        with self._lock:
            self._armed.clear()
