import pytest

from tests.sync.receiver import Receiver


@pytest.fixture
def receiver():
    receiver = Receiver().start()
    yield receiver
    receiver.stop()


@pytest.fixture
def exact_settings(settings, exact_standin):
    """Point the Exact client at this test's stand-in."""
    settings.EXACT_BASE_URL = exact_standin.url
    settings.EXACT_CLIENT_ID = exact_standin.client_id
    settings.EXACT_CLIENT_SECRET = exact_standin.client_secret
    settings.EXACT_REDIRECT_URI = exact_standin.redirect_uri
    return settings
