"""pytest fixture ``exact_standin``: a fresh Exact Online stand-in per test.

The server runs in a background thread on a free 127.0.0.1 port with its own
SQLite file; the handle wraps the control API so tests read like scenarios.
"""

from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from standins.exact import make_server
from tests.helpers import served

CONTROL_TIMEOUT = 5


@dataclass
class ExactStandin:
    url: str
    client_id: str
    client_secret: str
    redirect_uri: str
    division: int

    @property
    def auth_url(self) -> str:
        return f"{self.url}/api/oauth2/auth"

    @property
    def token_url(self) -> str:
        return f"{self.url}/api/oauth2/token"

    @property
    def accounts_url(self) -> str:
        return f"{self.url}/api/v1/{self.division}/crm/Accounts"

    def accounts(self) -> list[dict]:
        """Accounts as stored, in every division, oldest first."""
        return self._control("GET", "accounts")["accounts"]

    @property
    def calls(self) -> list[dict]:
        """Requests made to Exact's URLs: {method, path, endpoint, status}."""
        return self._control("GET", "calls")["calls"]

    def stats(self) -> dict:
        return self._control("GET", "stats")

    def add_receivable(self, **item: object) -> None:
        """An open sales invoice of a debtor ({AccountId, Amount, DueDate "YYYY-MM-DD", InvoiceNumber, ...})."""
        self._control("POST", "receivables", json=item)

    def expire_access_tokens(self) -> None:
        self._control("POST", "expire-tokens")

    def set_limits(
        self,
        *,
        daily: int | None = None,
        minutely: int | None = None,
        error_ban_threshold: int | None = None,
        error_ban_seconds: int | None = None,
    ) -> dict:
        settings = {
            "daily_limit": daily,
            "minutely_limit": minutely,
            "error_ban_threshold": error_ban_threshold,
            "error_ban_seconds": error_ban_seconds,
        }
        return self.configure(**{k: v for k, v in settings.items() if v is not None})

    def configure(self, **settings: object) -> dict:
        """Change StandinConfig fields, e.g. access_token_lifetime=60."""
        return self._control("POST", "config", json=settings)

    def fail_next(
        self,
        kind: str,
        *,
        times: int = 1,
        seconds: float = 0,
        method: str | None = None,
        path: str | None = None,
    ) -> None:
        """Arm a fault: "unavailable" (503), "server_error" (500) or
        "timeout_after_commit" (store the write, then answer ``seconds`` late)."""
        spec = {"kind": kind, "times": times, "seconds": seconds}
        spec |= {k: v for k, v in {"method": method, "path": path}.items() if v}
        self._control("POST", "faults", json=spec)

    def advance_clock(self, seconds: float) -> None:
        self._control("POST", "clock", json={"advance_seconds": seconds})

    def now(self) -> float:
        """The stand-in's clock, epoch seconds."""
        return self._control("GET", "clock")["now"]

    def freeze_clock(self, frozen: bool = True) -> None:
        """The fixture starts frozen; unfreeze to let real time pass too."""
        self._control("POST", "clock", json={"frozen": frozen})

    def reset(self) -> None:
        """Forget everything, as on a fresh start, with the clock frozen again."""
        self._control("POST", "reset")
        self.freeze_clock()

    def authorization_params(self, **overrides: str) -> dict:
        """The query of a valid GET /api/oauth2/auth, with ``overrides``."""
        params = {
            "client_id": self.client_id,
            "redirect_uri": self.redirect_uri,
            "response_type": "code",
            "state": "standin-state",
        }
        return params | overrides

    def decide(self, decision: str, **overrides: str) -> requests.Response:
        """Submit the consent form with ``decision`` ("approve" or "deny");
        the answer is the redirect, not followed."""
        return requests.post(
            self.auth_url,
            data=self.authorization_params(decision=decision, **overrides),
            allow_redirects=False,
            timeout=CONTROL_TIMEOUT,
        )

    def authorization_code(self, state: str = "standin-state") -> str:
        """Approve the consent page as the user would, and return the code
        from the redirect to ``redirect_uri``."""
        answer = self.decide("approve", state=state)
        answer.raise_for_status()
        return parse_qs(urlsplit(answer.headers["Location"]).query)["code"][0]

    def exchange_code(self, code: str, **overrides: str) -> requests.Response:
        """The authorization-code grant; ``overrides`` replace form fields."""
        form = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": self.redirect_uri,
            "client_id": self.client_id,
            "client_secret": self.client_secret,
        }
        return requests.post(self.token_url, data=form | overrides, timeout=CONTROL_TIMEOUT)

    def obtain_tokens(self) -> dict:
        """The token response for a fresh authorization code."""
        answer = self.exchange_code(self.authorization_code())
        answer.raise_for_status()
        return answer.json()

    def refresh(self, refresh_token: str) -> requests.Response:
        return requests.post(
            self.token_url,
            data={
                "grant_type": "refresh_token",
                "refresh_token": refresh_token,
                "client_id": self.client_id,
                "client_secret": self.client_secret,
            },
            timeout=CONTROL_TIMEOUT,
        )

    def api_session(self, access_token: str | None = None) -> requests.Session:
        """A session signed with ``access_token`` (a fresh one if omitted)."""
        token = access_token or self.obtain_tokens()["access_token"]
        session = requests.Session()
        session.headers.update({"Authorization": f"Bearer {token}", "Accept": "application/json"})
        return session

    def _control(self, method: str, name: str, **kwargs: object) -> dict:
        answer = requests.request(method, f"{self.url}/_standin/{name}", timeout=CONTROL_TIMEOUT, **kwargs)
        answer.raise_for_status()
        return answer.json()


@pytest.fixture
def exact_standin(tmp_path) -> Iterator[ExactStandin]:
    server = make_server("127.0.0.1", 0, tmp_path / "exact-standin.sqlite3")
    host, port = server.server_address[:2]
    config = server.standin.config
    handle = ExactStandin(
        url=f"http://{host}:{port}",
        client_id=config.client_id,
        client_secret=config.client_secret,
        redirect_uri=config.redirect_uri,
        division=config.division,
    )
    # Frozen, the clock moves only when a test advances it: per-minute counts
    # cannot straddle a real minute boundary.
    with served(server):
        handle.freeze_clock()
        yield handle


@pytest.fixture
def exact_settings(settings, exact_standin):
    """Point the Exact client at this test's stand-in."""
    settings.EXACT_BASE_URL = exact_standin.url
    settings.EXACT_CLIENT_ID = exact_standin.client_id
    settings.EXACT_CLIENT_SECRET = exact_standin.client_secret
    settings.EXACT_REDIRECT_URI = exact_standin.redirect_uri
    return settings
