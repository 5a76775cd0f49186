"""Misbehaviour on demand, so clients can be tested against the failures a real org produces.

A fault is armed for `times` matching requests (default 1), optionally only for requests whose path
contains `path_contains` and whose method is `method`. Some kinds act at once instead of being armed.
"""

import threading
from dataclasses import dataclass

from .errors import bad_request

# Armed faults, consumed by matching requests.
UNAVAILABLE = "unavailable"  # 503 before anything happens
# Commit, wait `seconds`, then drop the connection without an answer: the client cannot tell whether
# anything happened (a timeout or a reset connection after Salesforce committed).
TIMEOUT_AFTER_COMMIT = "timeout_after_commit"
SLOW_RESPONSE = "slow_response"  # answer normally, but only after `seconds`
UNABLE_TO_LOCK_ROW = "unable_to_lock_row"  # the next write fails with 400 UNABLE_TO_LOCK_ROW
DUPLICATES_DETECTED = "duplicates_detected"  # the next create is refused by a blocking duplicate rule
# Immediate actions.
EXPIRE_SESSIONS = "expire_sessions"  # every issued token becomes invalid
LIMIT_EXCEEDED = "limit_exceeded"  # the daily API quota is used up

ARMED_KINDS = {
    UNAVAILABLE,
    TIMEOUT_AFTER_COMMIT,
    SLOW_RESPONSE,
    UNABLE_TO_LOCK_ROW,
    DUPLICATES_DETECTED,
}
IMMEDIATE_KINDS = {EXPIRE_SESSIONS, LIMIT_EXCEEDED}


@dataclass
class Fault:
    kind: str
    times: int = 1
    path_contains: str = ""
    method: str = ""
    seconds: float = 0.0

    @classmethod
    def from_json(cls, spec: dict) -> "Fault":
        kind = spec.get("kind")
        if kind not in ARMED_KINDS | IMMEDIATE_KINDS:
            known = ", ".join(sorted(ARMED_KINDS | IMMEDIATE_KINDS))
            raise bad_request("INVALID_INPUT", f"Unknown fault kind {kind!r}; known kinds: {known}")
        return cls(
            kind=kind,
            times=int(spec.get("times", 1)),
            path_contains=spec.get("path_contains", ""),
            method=spec.get("method", "").upper(),
            seconds=float(spec.get("seconds", 0)),
        )

    def matches(self, method: str, paths: tuple[str, ...]) -> bool:
        if self.method and self.method != method:
            return False
        return any(self.path_contains in path for path in paths)

    def as_json(self) -> dict:
        return {
            "kind": self.kind,
            "times": self.times,
            "path_contains": self.path_contains,
            "method": self.method,
            "seconds": self.seconds,
        }


class FaultBoard:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._faults: list[Fault] = []

    def arm(self, fault: Fault) -> None:
        with self._lock:
            self._faults.append(fault)

    def take(self, kind: str, method: str, *paths: str) -> Fault | None:
        """Consume one use of the first armed fault of `kind` matching the request, if any."""
        with self._lock:
            for fault in self._faults:
                if fault.kind == kind and fault.matches(method, paths):
                    fault.times -= 1
                    if fault.times <= 0:
                        self._faults.remove(fault)
                    return fault
        return None

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()

    def as_json(self) -> list[dict]:
        with self._lock:
            return [fault.as_json() for fault in self._faults]
