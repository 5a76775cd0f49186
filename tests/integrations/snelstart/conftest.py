from collections.abc import Iterator

import pytest

from standins.snelstart import SnelStartStandin, make_server
from tests.helpers import served
from tests.sync.factories import SnelStartTargetFactory, target_with


@pytest.fixture
def snelstart_standin() -> Iterator[SnelStartStandin]:
    """A fresh SnelStart stand-in on a free port, served over real HTTP; `.url` is its base URL."""
    server = make_server("127.0.0.1", 0)
    standin = server.standin
    standin.url = f"http://127.0.0.1:{server.server_address[1]}"
    with served(server):
        yield standin


@pytest.fixture
def target(snelstart_standin):
    """A SnelStart target connected to the stand-in's administration (the landen cache is per test: empty)."""
    return target_with(
        SnelStartTargetFactory,
        api_url=f"{snelstart_standin.url}/v2",
        auth_url=f"{snelstart_standin.url}/b2b/token",
        subscription_key=snelstart_standin.subscription_key,
        client_key=snelstart_standin.client_key,
    )
