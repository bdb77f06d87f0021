"""Sender authentication of inbound mail: DKIM (dkimpy) and SPF (pyspf), as RFC 8601 result
words (``pass``, ``fail``, ``none``, ``temperror``, ``permerror`` …).

Every DNS lookup goes through a :data:`Resolver` hook — :func:`dns_resolver` (dnspython) by
default, a table in the tests — so that no test reaches the network. A lookup that fails is a
``temperror``, never a crash: the message is stored all the same.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import dkim
import spf

#: ``resolver(name, rrtype)`` -> the records of that type at ``name`` as text: a TXT record's
#: strings joined, an address for A/AAAA, ``"preference exchange"`` for MX, a name for PTR;
#: ``[]`` when there are none. Raises ``OSError`` when the lookup fails.
Resolver = Callable[[str, str], list[str]]
LOOKUP_SECONDS = 5.0


def dns_resolver(name: str, rrtype: str) -> list[str]:
    """The real DNS, through dnspython."""
    import dns.exception
    import dns.resolver

    try:
        answers = dns.resolver.resolve(name, rrtype, lifetime=LOOKUP_SECONDS)
    except (dns.resolver.NXDOMAIN, dns.resolver.NoAnswer):
        return []
    except dns.exception.DNSException:
        raise OSError("the DNS lookup failed") from None
    return [_text(rdata, rrtype) for rdata in answers]


def _text(rdata: Any, rrtype: str) -> str:
    if rrtype in ("TXT", "SPF"):
        return b"".join(rdata.strings).decode("utf-8", "replace")
    if rrtype == "MX":
        return f"{rdata.preference} {rdata.exchange.to_text(True)}"
    if rrtype == "PTR":
        return str(rdata.target.to_text(True))
    return str(rdata.address)


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
    try:
        verified = dkim.DKIM(raw).verify(dnsfunc=_txt(resolver or dns_resolver))
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
    query = _HookedQuery(resolver or dns_resolver, i=peer, s=mail_from, h=helo)
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
        """The records in the shapes pyspf's own dnspython lookup gives."""
        values = self._resolver(str(name).rstrip("."), qtype)
        if qtype in ("TXT", "SPF"):
            return [[value.encode("utf-8")] for value in values]
        if qtype == "MX":
            return [(int(pref), host) for pref, host in (value.split(None, 1) for value in values)]
        return values
