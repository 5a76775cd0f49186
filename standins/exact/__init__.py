"""A local stand-in for Exact Online's REST API and OAuth2, for development
and tests. Pure standard library; no Django. See README.md."""

from .config import StandinConfig
from .server import make_server, run

__all__ = ["StandinConfig", "make_server", "run"]
