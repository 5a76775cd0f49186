"""Forwarded headers count only from the configured reverse proxies; the client address is the trusted hop's."""

import json

import pytest
from django.http import HttpResponse
from django.test import RequestFactory, override_settings
from django.urls import reverse

from leadflow.core.proxies import TrustedProxyMiddleware
from leadflow.intake.models import Submission
from tests.intake.factories import LeadFormFactory

PROXY = "10.0.0.5"
BEHIND_PROXY = override_settings(
    LEADFLOW_TRUSTED_PROXIES=[PROXY], SECURE_PROXY_SSL_HEADER=("HTTP_X_FORWARDED_PROTO", "https")
)


def _through_middleware(remote_addr: str, **headers: str):
    seen = {}

    def view(request):
        seen.update(addr=request.META["REMOTE_ADDR"], secure=request.is_secure())
        return HttpResponse()

    TrustedProxyMiddleware(view)(RequestFactory().get("/", REMOTE_ADDR=remote_addr, **headers))
    return seen


@BEHIND_PROXY
def test_a_client_talking_to_the_app_directly_cannot_claim_https_or_another_address():
    seen = _through_middleware("203.0.113.9", HTTP_X_FORWARDED_PROTO="https", HTTP_X_FORWARDED_FOR="198.51.100.1")
    assert seen == {"addr": "203.0.113.9", "secure": False}


@BEHIND_PROXY
def test_behind_the_trusted_proxy_the_client_is_the_address_the_proxy_saw_not_what_the_client_wrote():
    # The client sent "X-Forwarded-For: 6.6.6.6"; the proxy appended the address it saw.
    seen = _through_middleware(PROXY, HTTP_X_FORWARDED_PROTO="https", HTTP_X_FORWARDED_FOR="6.6.6.6, 198.51.100.7")
    assert seen == {"addr": "198.51.100.7", "secure": True}


@override_settings(LEADFLOW_TRUSTED_PROXIES=["10.0.0.0/8"])
def test_a_chain_of_trusted_proxies_is_walked_to_the_first_untrusted_hop():
    assert _through_middleware(PROXY, HTTP_X_FORWARDED_FOR="198.51.100.7, 10.1.2.3")["addr"] == "198.51.100.7"


@BEHIND_PROXY
@pytest.mark.parametrize("forwarded", ["", "not-an-address", PROXY])
def test_a_missing_or_garbled_forwarded_for_leaves_the_proxy_address(forwarded):
    assert _through_middleware(PROXY, HTTP_X_FORWARDED_FOR=forwarded)["addr"] == PROXY


def test_with_no_proxy_configured_forwarded_headers_are_ignored():
    seen = _through_middleware("127.0.0.1", HTTP_X_FORWARDED_PROTO="https", HTTP_X_FORWARDED_FOR="198.51.100.1")
    assert seen == {"addr": "127.0.0.1", "secure": False}


@BEHIND_PROXY
@override_settings(LEADFLOW_FORM_RATE_LIMIT_PER_IP="2/m")
def test_behind_the_proxy_each_visitor_has_their_own_form_limit(client, db):
    form = LeadFormFactory()
    url = reverse("intake:form-submit", args=[form.key])

    def submit(visitor: str, n: int) -> int:
        body = {"email": f"v{n}@example.nl", "consent": True}
        headers = {"REMOTE_ADDR": PROXY, "HTTP_X_FORWARDED_FOR": visitor, "HTTP_X_FORWARDED_PROTO": "https"}
        return client.post(url, json.dumps(body), content_type="application/json", **headers).status_code

    assert [submit("198.51.100.1", n) for n in range(3)] == [200, 200, 429]
    assert submit("198.51.100.2", 9) == 200  # another visitor, same proxy: not in the first one's bucket
    assert set(Submission.objects.values_list("ip_address", flat=True)) == {"198.51.100.1", "198.51.100.2"}
