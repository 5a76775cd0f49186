"""pytest fixture ``woocommerce_standin``: a fresh stand-in shop per test, over real HTTP on a free port."""

import pytest

from standins.woocommerce import WooStandin


@pytest.fixture
def woocommerce_standin():
    shop = WooStandin().start()
    yield shop
    shop.stop()
