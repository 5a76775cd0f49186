"""A local Salesforce org for development and tests, speaking the REST API's wire format.

Start it with ``manage.py salesforce_sandbox`` or ``make_server(...)``; see README.md in this
package for the supported resources and the /_sandbox/ control API. Pure standard library plus
PyJWT: it must not import Django.
"""

from .server import make_server, run
from .state import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET

__all__ = ["DEFAULT_CLIENT_ID", "DEFAULT_CLIENT_SECRET", "make_server", "run"]
