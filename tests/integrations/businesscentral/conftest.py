from collections.abc import Iterator

import pytest

from standins.businesscentral import BusinessCentralStandin, make_server
from tests.helpers import served
from tests.sync.factories import BusinessCentralTargetFactory, target_with


@pytest.fixture
def businesscentral_standin() -> Iterator[BusinessCentralStandin]:
    """A fresh Business Central stand-in (identity platform and API) on a free port, over real HTTP."""
    server = make_server("127.0.0.1", 0)
    with served(server):
        yield server.standin


@pytest.fixture
def target(businesscentral_standin):
    standin = businesscentral_standin
    return target_with(
        BusinessCentralTargetFactory,
        login_url=standin.url,
        api_url=f"{standin.url}/v2.0",
        tenant_id=standin.tenant,
        company_id=standin.company_id,
        client_id=standin.client_id,
        client_secret=standin.client_secret,
    )
