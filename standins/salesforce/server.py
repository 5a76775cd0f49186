"""The HTTP side: authentication, API-call accounting, transport faults and routing to handlers."""

import contextlib
import json
import socket
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from . import faults, rest
from .control import handle_control
from .errors import ApiError
from .messages import Request, Response
from .oauth import token_endpoint
from .org import OrgSettings
from .state import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, SandboxState
from .store import RecordStore

JSON_TYPE = "application/json;charset=UTF-8"
INVALID_SESSION = [{"message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID"}]
LIMIT_EXCEEDED = [{"message": "TotalRequests Limit exceeded.", "errorCode": "REQUEST_LIMIT_EXCEEDED"}]
UNAVAILABLE = [
    {
        "message": "Server temporarily unavailable. Please try again later.",
        "errorCode": "SERVER_UNAVAILABLE",
    }
]


class SandboxServer(ThreadingHTTPServer):
    daemon_threads = True
    state: SandboxState

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host}:{port}"

    def server_close(self) -> None:
        super().server_close()
        self.state.store.close()


class SandboxRequestHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body go out in separate writes; with Nagle on, keep-alive clients wait ~40 ms.
    disable_nagle_algorithm = True
    server: SandboxServer

    def do_GET(self) -> None:
        self._serve()

    do_POST = do_PATCH = do_PUT = do_DELETE = do_HEAD = do_GET

    def log_message(self, format: str, *args: object) -> None:
        """Stay quiet: tests and the management command read stdout."""

    def _serve(self) -> None:
        request = self._read_request()
        if request is None:
            self._write(Response(400, [{"errorCode": "JSON_PARSER_ERROR", "message": "Invalid JSON"}]))
            return
        response, delay = self._respond_safely(request)
        time.sleep(delay.seconds if delay else 0)
        if delay and delay.kind == faults.TIMEOUT_AFTER_COMMIT:
            self._drop_connection()
        else:
            self._write(response)

    def _drop_connection(self) -> None:
        """Close the socket without a status line: the work is committed, the answer is lost."""
        self.close_connection = True
        with contextlib.suppress(OSError):  # the client may have hung up first
            self.connection.shutdown(socket.SHUT_RDWR)

    def _read_request(self) -> Request | None:
        path, _, query_string = self.path.partition("?")
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length).decode() if length else ""
        headers = {name.lower(): value for name, value in self.headers.items()}
        body: object = raw or None
        if raw and "json" in headers.get("content-type", "json"):
            try:
                body = json.loads(raw)
            except ValueError:
                return None
        return Request(self.command, path, query_string, headers, body)

    def _respond_safely(self, request: Request) -> tuple[Response, faults.Fault | None]:
        """Like _respond, but a sandbox bug reaches the client as a 500, not a dropped connection."""
        try:
            return self._respond(request)
        except Exception as problem:
            body = [{"errorCode": "UNKNOWN_EXCEPTION", "message": repr(problem)}]
            return Response(500, body), None

    def _respond(self, request: Request) -> tuple[Response, faults.Fault | None]:
        """The response and the fault that delays or drops it, if one is armed for this request."""
        state = self.server.state
        if request.path.startswith("/_sandbox/"):
            return handle_control(state, request), None
        if request.path == "/services/oauth2/token" and request.method == "POST":
            return token_endpoint(state, request), None
        if request.path.rstrip("/") == "/services/data":
            return Response(200, rest.api_versions()), None
        return self._data_call(state, request)

    def _data_call(self, state: SandboxState, request: Request) -> tuple[Response, faults.Fault | None]:
        if state.faults.take(faults.UNAVAILABLE, request.method, request.path):
            return Response(503, UNAVAILABLE), None
        token = request.header("authorization").removeprefix("Bearer ").strip()
        if not state.sessions.is_valid(token):
            return Response(401, INVALID_SESSION), None
        response = self._counted(state, request)
        response.headers["Sforce-Limit-Info"] = f"api-usage={state.usage.used}/{state.settings.api_limit}"
        late = state.faults.take(faults.TIMEOUT_AFTER_COMMIT, request.method, request.path)
        return response, late or state.faults.take(faults.SLOW_RESPONSE, request.method, request.path)

    def _counted(self, state: SandboxState, request: Request) -> Response:
        try:
            endpoint = rest.match(request.path).endpoint
        except ApiError as error:
            return Response(error.status, error.errors)
        if not state.usage.try_consume(state.settings.api_limit, f"{request.method} {endpoint}"):
            return Response(403, LIMIT_EXCEEDED)
        return rest.RestApi(state).handle(request)

    def _write(self, response: Response) -> None:
        payload = b"" if response.body is None else json.dumps(response.body).encode()
        try:
            self.send_response(response.status)
            for name, value in response.headers.items():
                self.send_header(name, value)
            if payload:
                self.send_header("Content-Type", JSON_TYPE)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(payload)
        except (BrokenPipeError, ConnectionResetError):
            # The client gave up (e.g. timed out during a slow response); nothing to tell it.
            self.close_connection = True


def make_server(
    host: str,
    port: int,
    db_path: str,
    *,
    api_limit: int = 15000,
    client_id: str = DEFAULT_CLIENT_ID,
    client_secret: str = DEFAULT_CLIENT_SECRET,
    jwt_public_key: str | None = None,
) -> SandboxServer:
    """A sandbox org listening on host:port (port 0 picks a free one), storing data in db_path."""
    server = SandboxServer((host, port), SandboxRequestHandler)
    server.state = SandboxState(
        store=RecordStore(db_path),
        settings=OrgSettings(api_limit),
        client_id=client_id,
        client_secret=client_secret,
        jwt_public_key=jwt_public_key,
        base_url=server.url,
    )
    return server


def run(host: str, port: int, db_path: str, **options) -> None:
    """Serve until interrupted; `options` are those of make_server."""
    Path(db_path).parent.mkdir(parents=True, exist_ok=True)
    server = make_server(host, port, db_path, **options)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
