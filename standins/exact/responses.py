"""Plain request and response values passed between routing and handlers."""

import json
from dataclasses import dataclass, field
from urllib.parse import parse_qsl


@dataclass
class Request:
    method: str
    path: str
    query_string: str
    headers: dict[str, str]  # names lower-cased
    body: bytes
    base_url: str  # scheme://host:port as the client addressed us

    @property
    def query(self) -> dict[str, str]:
        return dict(parse_qsl(self.query_string, keep_blank_values=True))

    def form(self) -> dict[str, str]:
        return dict(parse_qsl(self.body.decode("utf-8", "replace")))

    def json(self) -> object:
        """The JSON body; ValueError when it is not JSON."""
        return json.loads(self.body.decode("utf-8") or "null")


@dataclass
class Response:
    status: int
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)


def json_response(status: int, data: object, headers: dict | None = None) -> Response:
    body = json.dumps(data).encode()
    content_type = {"Content-Type": "application/json; charset=utf-8"}
    return Response(status, body, content_type | (headers or {}))


def html_response(status: int, html: str) -> Response:
    return Response(status, html.encode(), {"Content-Type": "text/html; charset=utf-8"})


def redirect(location: str) -> Response:
    return Response(302, b"", {"Location": location})
