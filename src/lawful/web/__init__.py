"""The HTTP surface of lawful: ``create_app(lawful)`` builds the API over an opened system.

Routes live in :mod:`lawful.web.routes` (one module per concern); every error is answered as
RFC 9457 problem+json by :mod:`lawful.web.problems`.
"""

from lawful.web.app import create_app

__all__ = ["create_app"]
