"""Everything one sandbox org holds: records, settings, faults, sessions, API usage, query cursors."""

import secrets
import threading
import time
from collections import Counter, OrderedDict
from dataclasses import dataclass, field

from . import ids
from .faults import FaultBoard
from .org import OrgSettings
from .records import RecordService
from .store import RecordStore

DEFAULT_CLIENT_ID = "leadflow-sandbox"
DEFAULT_CLIENT_SECRET = "leadflow-sandbox-secret"  # noqa: S105 (the sandbox's published credential)
ORG_ID = ids.new_id("00D", 1)
USER_ID = ids.new_id("005", 1)
QUERY_BATCH_SIZE = 2000
KEPT_CURSORS = 200


class Sessions:
    """Access tokens handed out by the token endpoint."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._tokens: dict[str, float] = {}

    def issue(self) -> str:
        token = f"{ORG_ID[:15]}!{secrets.token_urlsafe(48)}"
        with self._lock:
            self._tokens[token] = time.time()
        return token

    def is_valid(self, token: str) -> bool:
        with self._lock:
            return token in self._tokens

    def expire_all(self) -> None:
        with self._lock:
            self._tokens.clear()

    def __len__(self) -> int:
        return len(self._tokens)


class ApiUsage:
    """The rolling 24-hour API request count Salesforce reports in Sforce-Limit-Info."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.used = 0
        self.by_endpoint: Counter[str] = Counter()

    def try_consume(self, limit: int, endpoint: str) -> bool:
        with self._lock:
            if self.used >= limit:
                return False
            self.used += 1
            self.by_endpoint[endpoint] += 1
            return True

    def set_used(self, used: int) -> None:
        with self._lock:
            self.used = used

    def reset(self) -> None:
        with self._lock:
            self.used = 0
            self.by_endpoint.clear()


@dataclass
class Cursor:
    records: list[dict]
    include_deleted: bool


class QueryCursors:
    """Results kept for nextRecordsUrl paging; the oldest are forgotten first."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._cursors: OrderedDict[str, Cursor] = OrderedDict()
        self._sequence = 0

    def open(self, records: list[dict], include_deleted: bool) -> str:
        with self._lock:
            self._sequence += 1
            locator = ids.new_id("01g", self._sequence)
            self._cursors[locator] = Cursor(records, include_deleted)
            while len(self._cursors) > KEPT_CURSORS:
                self._cursors.popitem(last=False)
            return locator

    def get(self, locator: str) -> Cursor | None:
        with self._lock:
            return self._cursors.get(locator)

    def clear(self) -> None:
        with self._lock:
            self._cursors.clear()


@dataclass
class SandboxState:
    store: RecordStore
    settings: OrgSettings
    client_id: str = DEFAULT_CLIENT_ID
    client_secret: str = DEFAULT_CLIENT_SECRET
    jwt_public_key: str | None = None
    base_url: str = ""
    faults: FaultBoard = field(default_factory=FaultBoard)
    sessions: Sessions = field(default_factory=Sessions)
    usage: ApiUsage = field(default_factory=ApiUsage)
    cursors: QueryCursors = field(default_factory=QueryCursors)

    @property
    def records(self) -> RecordService:
        return RecordService(self.store, self.settings, self.faults)

    def reset(self) -> None:
        """Forget records, faults, configuration and usage; issued tokens stay valid."""
        self.store.clear()
        self.settings.reset()
        self.faults.clear()
        self.usage.reset()
        self.cursors.clear()
