"""The data subject's portal: policies, requests for each right, verification by code, status,
the one-time download of an access report, and consent management.

* :mod:`.home` — ``/portal``: the published documents (every version) and the rights;
* :mod:`.rights` — ``/portal/rights/{kind}`` forms, ``/portal/requests/{reference}`` code,
  status and report download, over :mod:`lawful.requests.flows`;
* :mod:`.consents` — ``/portal/consents``: sign-in by mailed code, the person's consents,
  withdrawal and receipts, over :mod:`lawful.consent`;
* :mod:`.forms`, :mod:`.tokens`, :mod:`.common` — reading forms, signed cookies, what the
  pages share.
"""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import HTMLResponse

from lawful.web.pages.portal import consents, home, rights

router = APIRouter(tags=["portal"], include_in_schema=False)
# The front page is the portal router's own "" path (an included router cannot have one).
router.get("", response_class=HTMLResponse)(home.home)
router.include_router(rights.router)
router.include_router(consents.router)
