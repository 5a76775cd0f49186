"""A tiny webhook receiver on a free 127.0.0.1 port: it records what arrives and answers as scripted."""

import json
import threading
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes

    @property
    def json(self) -> dict:
        return json.loads(self.body)


@dataclass
class Receiver:
    """`answers` is a queue of (status, headers) used one per request; when empty every request gets 204.
    `hold` (a threading.Event) makes requests wait until it is set, to catch a worker mid-delivery; `arrived`
    is set as soon as a request comes in."""

    port: int = 0
    received: list[Received] = field(default_factory=list)
    answers: deque = field(default_factory=deque)
    hold: threading.Event | None = None
    arrived: threading.Event = field(default_factory=threading.Event)
    _server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks/leadflow"

    def start(self) -> "Receiver":
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                receiver.arrived.set()
                if receiver.hold is not None:
                    receiver.hold.wait(timeout=60)
                receiver.received.append(Received(dict(self.headers.items()), body))
                status, headers = receiver.answers.popleft() if receiver.answers else (204, {})
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: object) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        return self

    def stop(self) -> None:
        """Go down: the port refuses connections until start() is called again."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def deliveries(self) -> set[str]:
        """Distinct delivery ids received (receivers de-duplicate on X-Leadflow-Delivery)."""
        return {r.headers["X-Leadflow-Delivery"] for r in self.received}


@pytest.fixture
def receiver():
    receiver = Receiver().start()
    yield receiver
    receiver.stop()
