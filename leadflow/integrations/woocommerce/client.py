"""HTTP client for a shop's WooCommerce REST API v3 (`/wp-json/wc/v3/`), authenticated with its API keys."""

from dataclasses import dataclass
from typing import Any

import requests
from django.conf import settings

from leadflow.core.exceptions import ExternalServiceError
from leadflow.integrations.woocommerce.models import WooStore

API_PATH = "/wp-json/wc/v3/"


@dataclass(frozen=True)
class Page:
    items: list[dict[str, Any]]
    total: int  # X-WP-Total
    total_pages: int  # X-WP-TotalPages


class WooClient:
    def __init__(self, store: WooStore) -> None:
        self.store = store
        self.session = requests.Session()
        # Basic auth with the key pair; the connection form only accepts https (or a loopback stand-in).
        self.session.auth = (store.consumer_key, store.consumer_secret)
        self.session.headers["User-Agent"] = settings.SYNC_USER_AGENT

    def page(self, collection: str, number: int, per_page: int | None = None) -> Page:
        """One page of customers or orders, oldest id first, so records added meanwhile land on later pages."""
        per_page = per_page or settings.WOOCOMMERCE_PAGE_SIZE
        response = self._get(collection, {"page": number, "per_page": per_page, "orderby": "id", "order": "asc"})
        items = response.json()
        if not isinstance(items, list):
            raise ExternalServiceError("The shop answered with something other than a list.", permanent=True)
        return Page(items, _header_int(response, "X-WP-Total"), _header_int(response, "X-WP-TotalPages"))

    def _get(self, collection: str, params: dict[str, Any]) -> requests.Response:
        url = self.store.url.rstrip("/") + API_PATH + collection
        try:
            response = self.session.get(url, params=params, timeout=settings.WOOCOMMERCE_TIMEOUT_SECONDS)
        except requests.Timeout as error:
            raise ExternalServiceError("The shop did not answer in time.", permanent=False) from error
        except requests.ConnectionError as error:
            raise ExternalServiceError("Could not connect to the shop.", permanent=False) from error
        if response.status_code == 200:
            return response
        status = response.status_code
        raise ExternalServiceError(_explain(response), permanent=400 <= status < 500 and status != 429)


def _explain(response: requests.Response) -> str:
    try:
        said = response.json().get("message", "")
    except ValueError:
        said = ""
    if response.status_code == 401:
        return f"The shop refused the API keys ({said or 'unauthorized'}); check the consumer key and secret."
    if response.status_code == 404:
        return "No WooCommerce REST API at this address (is the URL right and are pretty permalinks on?)."
    return f"The shop answered {response.status_code}{': ' + said if said else ''}."


def _header_int(response: requests.Response, name: str) -> int:
    try:
        return int(response.headers.get(name, "0"))
    except ValueError:
        return 0
