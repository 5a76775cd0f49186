import pytest
from django.urls import reverse

from leadflow.integrations.woocommerce.forms import WooStoreForm
from leadflow.integrations.woocommerce.models import BackfillState, WooBackfill, WooBuyer
from leadflow.integrations.woocommerce.services import resource_record
from tests.integrations.woocommerce.conftest import billing

pytestmark = pytest.mark.django_db(transaction=True)

CHANGELIST = reverse("admin:woocommerce_woostore_changelist")


def form(**changes) -> WooStoreForm:
    data = {
        "name": "bakery",
        "url": "https://shop.bakkerij.nl",
        "consumer_key": "ck_" + "a" * 40,
        "consumer_secret": "cs_" + "b" * 40,
        "webhook_secret": "whsec",
        "enabled": True,
    }
    return WooStoreForm(data=data | changes)


def test_admin_tests_the_connection_and_sees_how_many_customers_the_shop_has(
    client, staff_user, store, woocommerce_standin
):
    woocommerce_standin.data.add_customer(email="anna@jansen.nl", billing={"first_name": "Anna"})
    client.force_login(staff_user)

    page = client.post(CHANGELIST, {"action": "test_connection", "_selected_action": [store.pk]}, follow=True)

    assert "Bakery: Connected: the shop has 1 customer." in page.content.decode()
    store.refresh_from_db()
    assert store.check_ok is True


def test_admin_sees_why_a_connection_fails(client, staff_user, store):
    store.consumer_key = "ck_" + "9" * 40
    store.save()
    client.force_login(staff_user)

    page = client.post(CHANGELIST, {"action": "test_connection", "_selected_action": [store.pk]}, follow=True)

    assert "The shop refused the API keys (Consumer key is invalid.)" in page.content.decode()


def test_admin_queues_a_backfill_and_its_progress_shows_on_the_store_page(
    client, staff_user, store, woocommerce_standin
):
    woocommerce_standin.data.add_customer(email="anna@jansen.nl", billing={"first_name": "Anna"})
    client.force_login(staff_user)

    client.post(CHANGELIST, {"action": "start_backfill", "_selected_action": [store.pk]})
    page = client.get(reverse("admin:woocommerce_woostore_change", args=[store.pk]))

    assert set(WooBackfill.objects.values_list("state", flat=True)) == {BackfillState.DONE}
    assert "1 of 1 (100 %)" in page.content.decode()


def test_someone_without_staff_rights_cannot_reach_the_store_admin(client, user, store):
    client.force_login(user)

    assert client.get(CHANGELIST).status_code == 302


def test_connection_form_refuses_plain_http_shops_and_keys_that_are_not_woocommerce_keys():
    assert form().is_valid()
    assert form(url="http://127.0.0.1:8080").is_valid()  # a stand-in on this machine
    errors = form(url="http://shop.bakkerij.nl", consumer_key="abc", consumer_secret="ck_x").errors
    assert "WooCommerce refuses API keys over http" in errors["url"][0]
    assert "starts with ck_" in errors["consumer_key"][0]
    assert "starts with cs_" in errors["consumer_secret"][0]


def test_buyer_page_lists_the_orders_on_the_buyers_timeline(client, staff_user, store):
    for order_id in (7001, 7002):
        resource_record(store=store, collection="orders", resource={"id": order_id, "billing": billing(3)})
    client.force_login(staff_user)

    page = client.get(reverse("admin:woocommerce_woobuyer_change", args=[WooBuyer.objects.get().pk]))

    assert page.status_code == 200
    assert "7001" in page.content.decode() and "7002" in page.content.decode()
