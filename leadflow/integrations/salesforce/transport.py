"""The HTTP session the Salesforce client talks through.

simple-salesforce builds every URL as ``https://{instance host}``, so against the plain-HTTP local
sandbox it needs URLs for that one host:port rewritten to ``http://``. Every request also gets a
default timeout, which simple-salesforce's create/upsert do not let callers pass.
"""

from urllib.parse import urlsplit

import requests
from requests.adapters import HTTPAdapter


class _TimeoutAdapter(HTTPAdapter):
    def __init__(self, timeout: float) -> None:
        super().__init__()
        self.timeout = timeout

    def send(self, request: requests.PreparedRequest, **kwargs) -> requests.Response:
        if kwargs.get("timeout") is None:
            kwargs["timeout"] = self.timeout
        return super().send(request, **kwargs)


class _PlainHttpAdapter(_TimeoutAdapter):
    """Sends https://host:port/... requests as http://host:port/... ."""

    def send(self, request: requests.PreparedRequest, **kwargs) -> requests.Response:
        request.url = "http://" + request.url.removeprefix("https://")
        return super().send(request, **kwargs)


def salesforce_http_session(instance_url: str, timeout: float) -> requests.Session:
    session = requests.Session()
    timeout_adapter = _TimeoutAdapter(timeout)
    session.mount("https://", timeout_adapter)
    session.mount("http://", timeout_adapter)
    parts = urlsplit(instance_url)
    if parts.scheme == "http":
        # requests picks the adapter with the longest matching prefix; the trailing slash keeps
        # https://host:8765 from also matching https://host:87650.
        session.mount(f"https://{parts.netloc}/", _PlainHttpAdapter(timeout))
    return session
