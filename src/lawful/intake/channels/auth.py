"""Sender authentication of inbound mail: DKIM (dkimpy) and SPF (pyspf), as RFC 8601 result
words (``pass``, ``fail``, ``none``, ``temperror``, ``permerror`` …).

DNS is reached through a :data:`Resolver` hook, so that tests (and operators with their own
resolver) answer the lookups; without one, dkimpy and pyspf query DNS themselves. A lookup
that fails is a ``temperror``, never a crash: the message is stored all the same.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import dkim
import spf

#: ``resolver(name, rrtype)`` -> the TXT strings published at ``name`` (only TXT is asked:
#: DKIM keys and SPF records; SPF mechanisms that need A or MX records see none).
Resolver = Callable[[str, str], list[str]]


@dataclass(frozen=True)
class Results:
    dkim: str
    spf: str

    def meta(self) -> dict[str, str]:
        return {"dkim": self.dkim, "spf": self.spf}


def check(
    raw: bytes,
    *,
    peer: str | None = None,
    mail_from: str | None = None,
    helo: str | None = None,
    resolver: Resolver | None = None,
) -> Results:
    """DKIM on the message itself; SPF only when the connecting ``peer`` IP is known (SMTP)."""
    spf_result = "none"
    if peer is not None:
        spf_result = check_spf(peer, mail_from or "", helo or "", resolver=resolver)
    return Results(check_dkim(raw, resolver=resolver), spf_result)


def check_dkim(raw: bytes, *, resolver: Resolver | None = None) -> str:
    """The result of the message's first DKIM signature."""
    if b"dkim-signature:" not in raw.lower():
        return "none"
    signed = dkim.DKIM(raw)
    try:
        verified = signed.verify() if resolver is None else signed.verify(dnsfunc=_txt(resolver))
    except dkim.ValidationError:  # the body or the headers were changed
        return "fail"
    except (dkim.KeyFormatError, dkim.MessageFormatError, dkim.ParameterError):
        return "permerror"
    except (dkim.DKIMException, OSError, ValueError, IndexError, UnicodeError):
        return "temperror"  # a failed lookup, a mangled signature header
    return "pass" if verified else "fail"


def _txt(resolver: Resolver) -> Callable[..., bytes | None]:
    def txt(name: bytes | str, timeout: float = 5, **_: Any) -> bytes | None:
        text = name.decode("ascii") if isinstance(name, bytes) else name
        records = resolver(text.rstrip("."), "TXT")
        return records[0].encode("ascii") if records else None

    return txt


def check_spf(peer: str, mail_from: str, helo: str, *, resolver: Resolver | None = None) -> str:
    if resolver is None:
        query = spf.query(i=peer, s=mail_from, h=helo)
    else:
        query = _HookedQuery(resolver, i=peer, s=mail_from, h=helo)
    try:
        result, _code, _explanation = query.check()
    except (OSError, ValueError, UnicodeError):
        return "temperror"
    return str(result)


class _HookedQuery(spf.query):  # type: ignore[misc]
    """pyspf's query with its DNS lookups answered by a resolver hook."""

    def __init__(self, resolver: Resolver, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._resolver = resolver

    def dns(self, name: str, qtype: str, *_: Any, **__: Any) -> list[Any]:
        if qtype != "TXT":
            return []
        return [[value.encode("utf-8")] for value in self._resolver(name.rstrip("."), qtype)]
