"""pytest fixture ``pipedrive_standin``: a fresh stand-in Pipedrive account per test, over real HTTP on a free
port, with Leadflow's PIPEDRIVE_* settings pointing at it."""

import pytest

from standins.pipedrive import PipedriveStandin


@pytest.fixture
def pipedrive_standin(settings):
    account = PipedriveStandin().start()
    settings.PIPEDRIVE_API_URL = settings.PIPEDRIVE_APP_URL = account.url
    settings.PIPEDRIVE_API_TOKEN = account.api_token
    yield account
    account.stop()
