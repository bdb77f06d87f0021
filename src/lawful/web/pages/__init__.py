"""Server-rendered pages: the data subject's portal (``/portal``) and the operator's admin
(``/admin``), over the same domain services as the API.

Each area is a subpackage with its own router and templates; this package holds what both
share (see :mod:`lawful.web.pages.rendering`): the Jinja2 environment and base layout, the
language negotiation and translation catalogs, CSRF tokens and the stylesheets. Pages need
no JavaScript for their core flows and no Node build step; the app's security headers
(``default-src 'self'``, ``frame-ancestors 'none'``, ``Referrer-Policy: no-referrer``) cover
them too, so no template may use inline scripts or styles.
"""

from __future__ import annotations

from fastapi import FastAPI

from lawful.web.pages import admin, portal, shared


def include(app: FastAPI) -> None:
    """Mount the shared assets, the portal and the admin on ``app``."""
    app.include_router(shared.router)
    app.include_router(portal.router, prefix="/portal")
    app.include_router(admin.router, prefix="/admin")
