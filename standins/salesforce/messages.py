"""The request and response the sandbox's handlers exchange, independent of the HTTP server.

Composite subrequests are dispatched as Request objects too, without a network round trip.
"""

from dataclasses import dataclass, field
from urllib.parse import parse_qs


@dataclass
class Request:
    method: str
    path: str
    query_string: str = ""
    headers: dict[str, str] = field(default_factory=dict)  # lower-cased names
    body: object = None
    # For a composite subrequest, the path of the composite request that carried it.
    outer_path: str = ""

    def param(self, name: str, default: str | None = None) -> str | None:
        values = parse_qs(self.query_string, keep_blank_values=True).get(name)
        return values[0] if values else default

    def header(self, name: str, default: str = "") -> str:
        return self.headers.get(name.lower(), default)


@dataclass
class Response:
    status: int
    body: object = None
    headers: dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.status < 300
