"""HTTP routers, one module per concern. Each reads the opened system through
:func:`lawful_of`, so no router imports settings or opens anything itself."""

from __future__ import annotations

from typing import Annotated, cast

from fastapi import Depends, Request

from lawful.context import Lawful


def lawful_of(request: Request) -> Lawful:
    """The :class:`Lawful` the app was built over (see ``create_app``)."""
    return cast(Lawful, request.app.state.lawful)


async def _lawful_dependency(request: Request) -> Lawful:
    # ``async``: FastAPI runs a plain ``def`` dependency in the thread pool, a hop per request
    # that costs more than the attribute read itself.
    return lawful_of(request)


LawfulDep = Annotated[Lawful, Depends(_lawful_dependency)]
