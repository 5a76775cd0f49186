"""HTTP server and routing: Exact's URLs, the control API, injected faults."""

import re
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

from . import api, control
from .errors import odata_error_body
from .responses import Request, Response, html_response, json_response
from .standin import Standin

Handler = Callable[..., Response]
DIVISION = r"(?P<division>[^/]+)"
ACCOUNT_KEY = r"\(guid'(?P<account_id>[0-9A-Fa-f-]+)'\)"


def _exact(make_action: Callable[..., api.Action]) -> Handler:
    """A handler for an Exact endpoint, served behind Exact's gate."""

    def handle(standin: Standin, request: Request, endpoint: str, **params) -> Response:
        division = params.pop("division", None)
        action = make_action(standin, request, **params)
        return api.serve(standin, request, endpoint, division, action)

    return handle


def _oauth(method_name: str) -> Handler:
    def handle(standin: Standin, request: Request, endpoint: str) -> Response:
        return getattr(standin.oauth, method_name)(request)

    return handle


ACCOUNTS = rf"/api/v1/{DIVISION}/crm/Accounts"
ACCOUNT = ACCOUNTS + ACCOUNT_KEY
# (method, path pattern, endpoint name for limits and stats, handler). Paths
# match case-insensitively, as at Exact.
ROUTES: list[tuple[str, str, str, Handler]] = [
    ("GET", r"/api/oauth2/auth", "oauth2/auth", _oauth("consent_page")),
    ("POST", r"/api/oauth2/auth", "oauth2/auth", _oauth("decide")),
    ("POST", r"/api/oauth2/token", "oauth2/token", _oauth("token")),
    ("GET", r"/api/v1/current/Me", "current/Me", _exact(api.me)),
    ("GET", ACCOUNTS, "crm/Accounts", _exact(api.list_accounts)),
    ("POST", ACCOUNTS, "crm/Accounts", _exact(api.create_account)),
    ("GET", ACCOUNT, "crm/Accounts", _exact(api.get_account)),
    ("GET", rf"/api/v1/{DIVISION}/sync/CRM/Accounts", "sync/CRM/Accounts", _exact(api.sync_accounts)),
    ("PUT", ACCOUNT, "crm/Accounts", _exact(api.update_account)),
    (
        "GET",
        rf"/api/v1/{DIVISION}/read/financial/ReceivablesList",
        "read/financial/ReceivablesList",
        _exact(api.receivables_list),
    ),
]
CONTROL_ROUTES: dict[str, tuple[set[str], Handler]] = {
    "reset": ({"POST"}, control.reset),
    "config": ({"GET", "POST"}, control.config),
    "accounts": ({"GET"}, control.stored_accounts),
    "stats": ({"GET"}, control.stats),
    "receivables": ({"GET", "POST"}, control.receivables),
    "calls": ({"GET"}, control.calls),
    "expire-tokens": ({"POST"}, control.expire_tokens),
    "faults": ({"GET", "POST", "DELETE"}, control.faults),
    "clock": ({"GET", "POST"}, control.clock),
}


class StandinServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], standin: Standin) -> None:
        self.standin = standin
        super().__init__(address, StandinRequestHandler)

    def server_close(self) -> None:
        super().server_close()
        self.standin.store.close()


class StandinRequestHandler(BaseHTTPRequestHandler):
    server: StandinServer
    protocol_version = "HTTP/1.1"
    # Send headers and body in one segment, without waiting for delayed ACKs.
    wbufsize = 64 * 1024
    disable_nagle_algorithm = True

    def do_GET(self) -> None:
        self._handle()

    def do_POST(self) -> None:
        self._handle()

    def do_PUT(self) -> None:
        self._handle()

    def do_DELETE(self) -> None:
        self._handle()

    def log_message(self, format: str, *args: object) -> None:
        pass  # Tests and the dev server stay quiet; the call log is in /_standin/calls.

    def _handle(self) -> None:
        request = self._read_request()
        if request.path.startswith("/_standin/"):
            self._send(_control(self.server.standin, request))
            return
        response, endpoint, hold_back = _exact_or_fault(self.server.standin, request)
        self.server.standin.record_call(request.method, request.path, endpoint, response.status)
        # timeout_after_commit: the work is done and stored; the answer is late.
        time.sleep(hold_back)
        self._send(response)

    def _read_request(self) -> Request:
        url = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        bound_host, bound_port = self.server.server_address[:2]
        host = self.headers.get("Host") or f"{bound_host}:{bound_port}"
        return Request(
            method=self.command,
            path=url.path,
            query_string=url.query,
            headers={name.lower(): value for name, value in self.headers.items()},
            body=self.rfile.read(length) if length else b"",
            base_url=f"http://{host}",
        )

    def _send(self, response: Response) -> None:
        self.send_response(response.status)
        for name, value in response.headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(response.body)))
        self.end_headers()
        self.wfile.write(response.body)


def _exact_or_fault(standin: Standin, request: Request) -> tuple[Response, str, float]:
    """The answer to a request for Exact, its endpoint name and how many
    seconds to hold the answer back."""
    handler, endpoint, params = _route(request)
    fault = standin.faults.take(request.method, request.path)
    if fault and fault.kind == "unavailable":
        return html_response(503, "<h1>Service Unavailable</h1>"), endpoint, 0
    if fault and fault.kind == "server_error":
        body = odata_error_body("An error has occurred.")
        return json_response(500, body), endpoint, 0
    if handler is None:
        body = odata_error_body("Resource not found for the segment.")
        return json_response(404, body), endpoint, 0
    hold_back = fault.seconds if fault else 0
    return handler(standin, request, endpoint, **params), endpoint, hold_back


def _route(request: Request) -> tuple[Handler | None, str, dict[str, str]]:
    for method, pattern, endpoint, handler in ROUTES:
        match = re.fullmatch(pattern, request.path, re.IGNORECASE)
        if match and method == request.method:
            return handler, endpoint, match.groupdict()
    return None, request.path, {}


def _control(standin: Standin, request: Request) -> Response:
    name = request.path.removeprefix("/_standin/").strip("/")
    methods, handler = CONTROL_ROUTES.get(name, (set(), None))
    if handler is None:
        return json_response(404, {"error": f"no control endpoint {name!r}"})
    if request.method not in methods:
        return json_response(405, {"error": f"use {' or '.join(sorted(methods))}"})
    try:
        return handler(standin, request)
    except control.ControlError as error:
        return control.error_response(error)


def make_server(host: str, port: int, db_path: str | Path, **config: object) -> StandinServer:
    """A stand-in bound to host:port (0 picks a free port), not yet serving.

    ``config`` overrides StandinConfig fields (client_id, division, limits...).
    """
    return StandinServer((host, port), Standin(str(db_path), **config))


def run(host: str, port: int, db_path: str | Path, **config: object) -> None:
    """Serve until interrupted."""
    server = make_server(host, port, db_path, **config)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
