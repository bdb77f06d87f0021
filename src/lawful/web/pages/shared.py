"""``/pages/lawful.css`` and ``/pages/brand.css``: the stylesheets every page links.

The brand stylesheet carries the operator's colour from lawful.yaml (``operator.brand.colour``)
as a CSS variable, so the pages keep a CSP without ``'unsafe-inline'`` styles."""

from __future__ import annotations

from functools import cache
from importlib import resources

from fastapi import APIRouter, Response

from lawful.web.routes import LawfulDep

router = APIRouter(prefix="/pages", include_in_schema=False)

CSS_MEDIA_TYPE = "text/css; charset=utf-8"
DEFAULT_BRAND = "#1a5fb4"


@cache
def _stylesheet() -> str:
    return (resources.files("lawful.web.pages") / "static" / "lawful.css").read_text("utf-8")


@router.get("/lawful.css")
def stylesheet() -> Response:
    return Response(_stylesheet(), media_type=CSS_MEDIA_TYPE, headers=_cache())


@router.get("/brand.css")
def brand(lawful: LawfulDep) -> Response:
    policy = lawful.policy
    brand = policy.operator.brand if policy else None
    colour = (brand.colour if brand else None) or DEFAULT_BRAND
    return Response(
        f":root {{ --brand: {colour}; }}\n", media_type=CSS_MEDIA_TYPE, headers=_cache()
    )


def _cache() -> dict[str, str]:
    return {"Cache-Control": "public, max-age=300"}
