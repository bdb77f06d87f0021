"""HTTP routers, one module per concern. Each reads the opened system through
:func:`lawful_of`, so no router imports settings or opens anything itself."""

from __future__ import annotations

from typing import Annotated, cast

from fastapi import Depends, Request

from lawful.context import Lawful


def lawful_of(request: Request) -> Lawful:
    """The :class:`Lawful` the app was built over (see ``create_app``)."""
    return cast(Lawful, request.app.state.lawful)


LawfulDep = Annotated[Lawful, Depends(lawful_of)]
