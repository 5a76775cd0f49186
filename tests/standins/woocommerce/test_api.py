import json

import requests

from standins.woocommerce import WooStandin, sign
from tests.plugins.receiver import Receiver


def get(shop: WooStandin, collection: str, auth: tuple[str, str] | None = None, **params) -> requests.Response:
    auth = auth or (shop.consumer_key, shop.consumer_secret)
    return requests.get(f"{shop.url}/wp-json/wc/v3/{collection}", params=params, auth=auth, timeout=10)


def test_customers_are_paged_with_the_wordpress_total_headers(woocommerce_standin):
    for n in range(25):
        woocommerce_standin.data.add_customer(email=f"c{n}@shop.nl", billing={"first_name": "C", "last_name": str(n)})

    answer = get(woocommerce_standin, "customers", per_page=10, page=3, orderby="id", order="asc")

    assert answer.status_code == 200
    assert (answer.headers["X-WP-Total"], answer.headers["X-WP-TotalPages"]) == ("25", "3")
    assert [c["id"] for c in answer.json()] == list(range(21, 26))
    assert 'rel="prev"' in answer.headers["Link"] and 'rel="next"' not in answer.headers["Link"]


def test_per_page_above_one_hundred_or_below_one_is_an_invalid_parameter(woocommerce_standin):
    for per_page in (101, 0, "ten"):
        answer = get(woocommerce_standin, "customers", per_page=per_page)
        assert answer.status_code == 400
        assert answer.json()["code"] == "rest_invalid_param"


def test_unknown_ordering_is_an_invalid_parameter(woocommerce_standin):
    assert get(woocommerce_standin, "orders", orderby="total").json()["code"] == "rest_invalid_param"


def test_requests_without_or_with_wrong_keys_are_unauthorised(woocommerce_standin):
    anonymous = requests.get(f"{woocommerce_standin.url}/wp-json/wc/v3/customers", timeout=10)
    wrong = get(woocommerce_standin, "customers", auth=(woocommerce_standin.consumer_key, "cs_nope"))

    assert (anonymous.status_code, anonymous.json()["code"]) == (401, "woocommerce_rest_cannot_view")
    assert (wrong.status_code, wrong.json()["message"]) == (401, "Consumer secret is invalid.")


def test_unknown_route_is_rest_no_route(woocommerce_standin):
    assert get(woocommerce_standin, "refunds").json()["code"] == "rest_no_route"


def test_webhook_is_signed_with_base64_hmac_of_the_raw_body_and_disabled_after_repeated_failures():
    shop, receiver = WooStandin().start(), Receiver().start()
    try:
        webhook = shop.add_webhook(topic="order.created", delivery_url=receiver.url, secret="s3")
        order = shop.create_order(billing={"email": "a@b.nl"})
        request = receiver.received[-1]
        assert request.headers["X-WC-Webhook-Signature"] == sign("s3", request.body)
        assert json.loads(request.body)["id"] == order["id"]
        assert request.headers["X-WC-Webhook-Topic"] == "order.created"

        receiver.answers.extend([(500, {})] * 6)
        for _ in range(6):
            shop.create_order(billing={"email": "a@b.nl"})
        assert webhook.status == "disabled"
    finally:
        shop.stop()
        receiver.stop()
