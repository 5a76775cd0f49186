"""pytest fixtures running the local Salesforce sandbox on a free port, over real HTTP.

def test_something(salesforce_sandbox):
    sf = salesforce_sandbox.client()          # simple_salesforce.Salesforce
    salesforce_sandbox.fail_next("unavailable", path_contains="/composite")
    ...
    assert salesforce_sandbox.records("Account") == []
"""

import threading
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
import requests
from django.core.cache import cache, caches
from simple_salesforce import Salesforce

from leadflow.integrations.salesforce.transport import salesforce_http_session
from standins.salesforce import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, make_server

API_VERSION = "61.0"


class SalesforceSandbox:
    """A running sandbox: its URL, credentials, and helpers for the /_sandbox/ control API."""

    def __init__(self, url: str, client_id: str, client_secret: str) -> None:
        self.url = url
        self.client_id = client_id
        self.client_secret = client_secret
        self.api_version = API_VERSION
        self._control = requests.Session()

    @property
    def data_url(self) -> str:
        return f"{self.url}/services/data/v{self.api_version}"

    def token(self) -> str:
        """A fresh access token from the client-credentials flow."""
        response = self._control.post(
            f"{self.url}/services/oauth2/token",
            data={
                "grant_type": "client_credentials",
                "client_id": self.client_id,
                "client_secret": self.client_secret,
            },
        )
        response.raise_for_status()
        return response.json()["access_token"]

    def rest_session(self) -> requests.Session:
        """A plain requests session carrying a valid bearer token, for raw wire-format checks."""
        session = requests.Session()
        session.headers["Authorization"] = f"Bearer {self.token()}"
        return session

    def client(self, timeout: float = 5) -> Salesforce:
        """A simple-salesforce client talking to this sandbox the way the app's client does."""
        return Salesforce(
            instance_url=self.url,
            session_id=self.token(),
            version=self.api_version,
            session=salesforce_http_session(self.url, timeout),
        )

    def fail_next(self, kind: str, *, times: int = 1, path_contains: str = "", **options: object) -> None:
        """Arm a fault, e.g. fail_next("timeout_after_commit", seconds=2)."""
        spec = {"kind": kind, "times": times, "path_contains": path_contains, **options}
        self._post("/_sandbox/faults", spec)

    def armed_faults(self) -> list[dict]:
        """Faults armed and not yet taken by a request."""
        return self._get("/_sandbox/faults")["faults"]

    def expire_sessions(self) -> None:
        self._post("/_sandbox/faults", {"kind": "expire_sessions"})

    def configure(self, **changes: object) -> dict:
        """Set api_limit, api_used, duplicate_rules or custom_fields (see the sandbox README)."""
        return self._post("/_sandbox/config", changes)

    def records(self, sobject: str) -> list[dict]:
        """Stored, non-deleted records of one sObject, oldest first."""
        return self._get(f"/_sandbox/records/{sobject}")["records"]

    def stats(self) -> dict:
        return self._get("/_sandbox/stats")

    @property
    def api_calls(self) -> int:
        return self.stats()["api_calls_used"]

    def reset(self) -> None:
        self._post("/_sandbox/reset", {})

    def _get(self, path: str) -> dict:
        response = self._control.get(self.url + path)
        response.raise_for_status()
        return response.json()

    def _post(self, path: str, body: dict) -> dict:
        response = self._control.post(self.url + path, json=body)
        response.raise_for_status()
        return response.json()


@contextmanager
def running_salesforce_sandbox(db_path: str, **options: object) -> Iterator[SalesforceSandbox]:
    """A sandbox served from a background thread; `options` are those of make_server."""
    server = make_server("127.0.0.1", 0, db_path, **options)
    # A short poll interval keeps shutdown, and so every test's teardown, fast.
    threading.Thread(target=server.serve_forever, args=(0.01,), daemon=True).start()
    try:
        yield SalesforceSandbox(
            server.url,
            options.get("client_id", DEFAULT_CLIENT_ID),
            options.get("client_secret", DEFAULT_CLIENT_SECRET),
        )
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def salesforce_sandbox(tmp_path) -> Iterator[SalesforceSandbox]:
    """A fresh sandbox org per test."""
    with running_salesforce_sandbox(str(tmp_path / "salesforce-sandbox.sqlite3")) as sandbox:
        yield sandbox


@pytest.fixture(scope="session")
def salesforce_sandbox_session(tmp_path_factory) -> Iterator[SalesforceSandbox]:
    """One sandbox for the whole run; call .reset() where a test needs an empty org."""
    db_path = tmp_path_factory.mktemp("salesforce") / "salesforce-sandbox.sqlite3"
    with running_salesforce_sandbox(str(db_path)) as sandbox:
        yield sandbox


@pytest.fixture
def salesforce(settings, salesforce_sandbox, db):
    """The app configured against a fresh sandbox org, with no token, describe or quota figure remembered (they
    live in the `salesforce` cache, a database table by default)."""
    settings.SALESFORCE_INSTANCE_URL = salesforce_sandbox.url
    settings.SALESFORCE_TOKEN_URL = f"{salesforce_sandbox.url}/services/oauth2/token"
    settings.SALESFORCE_CLIENT_ID = salesforce_sandbox.client_id
    settings.SALESFORCE_CLIENT_SECRET = salesforce_sandbox.client_secret
    settings.SALESFORCE_TIMEOUT = 15
    for each in (cache, caches["salesforce"]):
        each.clear()
    yield salesforce_sandbox
    for each in (cache, caches["salesforce"]):
        each.clear()
