"""Who is the client? Only the reverse proxies named in LEADFLOW_TRUSTED_PROXIES may say.

A request straight from anywhere else has its `X-Forwarded-*` headers removed, so no client can claim https or
another address. A request from a trusted proxy gets REMOTE_ADDR set to the address that proxy saw: the right-most
`X-Forwarded-For` entry that is not itself a trusted proxy (entries further left are whatever the client sent).
Everything downstream (the per-IP form limit, login throttling, the submission record) then reads REMOTE_ADDR.
"""

import ipaddress
from collections.abc import Callable
from functools import cache

from django.conf import settings
from django.http import HttpRequest, HttpResponse

FORWARDED_HEADERS = ("HTTP_X_FORWARDED_FOR", "HTTP_X_FORWARDED_PROTO", "HTTP_X_FORWARDED_HOST", "HTTP_X_FORWARDED_PORT")
Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@cache
def _trusted(proxies: tuple[str, ...]) -> tuple[Network, ...]:
    return tuple(ipaddress.ip_network(p, strict=False) for p in proxies)


def is_trusted_proxy(address: str) -> bool:
    try:
        ip = ipaddress.ip_address(address.strip())
    except ValueError:
        return False
    return any(ip in network for network in _trusted(tuple(settings.LEADFLOW_TRUSTED_PROXIES)))


def client_address(remote_addr: str, forwarded_for: str) -> str:
    """The client's address as the nearest untrusted hop: walk X-Forwarded-For from the right past our proxies."""
    if not is_trusted_proxy(remote_addr):
        return remote_addr
    for hop in reversed([h.strip() for h in forwarded_for.split(",") if h.strip()]):
        if not is_trusted_proxy(hop):
            try:
                return str(ipaddress.ip_address(hop))
            except ValueError:
                return remote_addr  # garbage where an address should be: the proxy is the best we know
    return remote_addr


def client_ip(request: HttpRequest) -> str:
    """For libraries that ask (django-axes): REMOTE_ADDR, already the real client's once the middleware ran."""
    return request.META.get("REMOTE_ADDR", "")


class TrustedProxyMiddleware:
    """First in MIDDLEWARE: forwarded headers count only when they come from a trusted proxy."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        remote_addr = request.META.get("REMOTE_ADDR", "")
        if is_trusted_proxy(remote_addr):
            request.META["REMOTE_ADDR"] = client_address(remote_addr, request.META.get("HTTP_X_FORWARDED_FOR", ""))
        else:
            for header in FORWARDED_HEADERS:
                request.META.pop(header, None)
        return self.get_response(request)
