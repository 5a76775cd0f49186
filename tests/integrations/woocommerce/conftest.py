import pytest

from leadflow.integrations.woocommerce.models import WooStore

WEBHOOK_SECRET = "whsec-test"


@pytest.fixture(autouse=True)
def _small_pages(settings):
    """Pages of 10, so that a few dozen records make several pages."""
    settings.WOOCOMMERCE_PAGE_SIZE = 10


@pytest.fixture
def store(woocommerce_standin):
    return WooStore.objects.create(
        name="bakery",
        url=woocommerce_standin.url,
        consumer_key=woocommerce_standin.consumer_key,
        consumer_secret=woocommerce_standin.consumer_secret,
        webhook_secret=WEBHOOK_SECRET,
    )


@pytest.fixture
def shop(woocommerce_standin, store, live_server):
    """The stand-in shop with Leadflow's webhooks for customer.created and order.created registered."""
    url = f"{live_server.url}/integrations/woocommerce/{store.name}/webhook/"
    for topic in ("customer.created", "order.created"):
        woocommerce_standin.add_webhook(topic=topic, delivery_url=url, secret=WEBHOOK_SECRET)
    return woocommerce_standin


def billing(n: int, **extra: str) -> dict[str, str]:
    """A buyer's billing address; `n` tells buyers apart."""
    return {
        "first_name": "Anna",
        "last_name": f"Jansen{n}",
        "company": f"Bakkerij Jansen {n} B.V.",
        "address_1": f"Dorpsstraat {n}",
        "postcode": "1234 AB",
        "city": "Utrecht",
        "country": "NL",
        "email": f"anna{n}@jansen{n}.nl",
        "phone": f"+3120{n:07d}",
        **extra,
    }
