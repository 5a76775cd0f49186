# The same stand-in fixture the SnelStart target's tests use (one definition, beside those tests).
from tests.integrations.snelstart.conftest import snelstart_standin

__all__ = ["snelstart_standin"]
