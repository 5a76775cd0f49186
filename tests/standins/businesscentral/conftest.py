# The same stand-in fixture the Business Central target's tests use (one definition, beside those tests).
from tests.integrations.businesscentral.conftest import businesscentral_standin

__all__ = ["businesscentral_standin"]
