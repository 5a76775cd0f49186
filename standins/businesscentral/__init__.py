"""A local stand-in for Dynamics 365 Business Central's API v2.0 customers and Microsoft Entra ID client-credentials
tokens; see README.md."""

from standins.businesscentral.server import BusinessCentralStandin, make_server

__all__ = ["BusinessCentralStandin", "make_server"]
