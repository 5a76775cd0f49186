"""A local stand-in for SnelStart's B2B API v2 (relaties, landen) and its token endpoint; see README.md."""

from standins.snelstart.server import SnelStartStandin, make_server

__all__ = ["SnelStartStandin", "make_server"]
