"""HTTP plumbing the stand-ins share: a quiet JSON request handler, a threaded server that carries its stand-in,
serving a stand-in on a background thread (for tests), and the `python -m standins.<kind>` entry point."""

import argparse
import json
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar, Self


class JsonHandler(BaseHTTPRequestHandler):
    """Reads a request body and answers JSON; logs nothing, so test output shows only the tests' own. A subclass
    lists the HTTP `methods` it serves; each goes to its `serve(method)` (any other is answered 501)."""

    methods: ClassVar[tuple[str, ...]] = ()

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        for method in cls.methods:
            setattr(cls, f"do_{method}", lambda self, method=method: self.serve(method))

    def serve(self, method: str) -> None:
        raise NotImplementedError

    def request_body(self) -> bytes:
        return self.rfile.read(int(self.headers.get("Content-Length") or 0))

    def send_json(self, status: int, answer: Any, headers: dict[str, str]) -> None:
        payload = json.dumps(answer).encode()
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, format: str, *args: object) -> None:
        pass


class StandinServer(ThreadingHTTPServer):
    """A server whose handlers reach their stand-in as `self.server.standin`."""

    daemon_threads = True

    def __init__(self, address: tuple[str, int], handler: type[BaseHTTPRequestHandler], standin: Any) -> None:
        self.standin = standin
        super().__init__(address, handler)


class ServedInBackground:
    """`start()` and `stop()` for a stand-in (a dataclass with `port`, `release` and `_server` fields) served on a
    thread of the test process; `stop()` first lets go of any answer held back."""

    port: int
    release: threading.Event
    _server: ThreadingHTTPServer | None

    def handler(self) -> type[BaseHTTPRequestHandler]:
        raise NotImplementedError

    def start(self) -> Self:
        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), self.handler())
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        return self

    def stop(self) -> None:
        self.release.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None


def standin_main(
    *, description: str, port: int, make_server: Callable[[str, int], Any], banner: Callable[[Any], str]
) -> None:
    """Serve a stand-in from the command line (`--host`, `--port`) until Ctrl-C, after printing `banner(server)`."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=port)
    args = parser.parse_args()
    server = make_server(args.host, args.port)
    print(banner(server))
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        server.server_close()
