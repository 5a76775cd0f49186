import threading
from collections.abc import Iterator

import pytest

from standins.businesscentral import BusinessCentralStandin, make_server
from tests.integrations.businesscentral.factories import BusinessCentralTargetFactory


@pytest.fixture
def businesscentral_standin() -> Iterator[BusinessCentralStandin]:
    """A fresh Business Central stand-in (identity platform and API) on a free port, over real HTTP."""
    server = make_server("127.0.0.1", 0)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield server.standin
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.fixture
def target(businesscentral_standin):
    standin = businesscentral_standin
    return BusinessCentralTargetFactory(
        settings=BusinessCentralTargetFactory.settings.function()
        | {
            "login_url": standin.url,
            "api_url": f"{standin.url}/v2.0",
            "tenant_id": standin.tenant,
            "company_id": standin.company_id,
            "client_id": standin.client_id,
            "client_secret": standin.client_secret,
        }
    )
