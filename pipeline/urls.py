"""Deciding whether a web address may be trusted, reading it as a browser would.

Python's `urlsplit` and a browser disagree on some addresses: `http://127.0.0.1:8765\\@mmbiz.qpic.cn/x`
is `mmbiz.qpic.cn` to `urlsplit` (a backslash is part of the user name) but `127.0.0.1` to a browser
(a backslash ends the host, as `/` does). `vet_url` only accepts the addresses on which every reader
agrees: no backslash, whitespace or control character anywhere, no user name or password, a plain
ASCII host name, only a default port (unless asked otherwise), and an allowed scheme. It returns the
address re-serialised from the parts it checked, so what is used is exactly what was vetted.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from urllib.parse import urlsplit, urlunsplit

DEFAULT_PORTS = {"http": 80, "https": 443}
WECHAT_ARTICLE_HOSTS = frozenset({"mp.weixin.qq.com"})
WECHAT_IMAGE_HOSTS = frozenset({"mmbiz.qpic.cn", "mmbiz.qlogo.cn"})

# Control characters, whitespace of any kind (browsers silently drop tabs and line breaks) and backslashes.
_FORBIDDEN = re.compile(r"[\x00-\x20\x7f-\x9f\\\s]")
_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*)://")
_HOST = re.compile(r"^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$")
_AUTHORITY = re.compile(r"^(?P<host>[^:]*)(?::(?P<port>[0-9]{1,5}))?$")


def vet_url(
    url: str,
    hosts: Collection[str] | None,
    *,
    schemes: Collection[str] = ("https",),
    any_port: bool = False,
) -> str | None:
    """`url` re-serialised when it is an absolute web address on one of `hosts` (exactly), else None.

    `hosts` None accepts any well-formed host name or IPv4 address; `any_port` accepts a port other
    than the scheme's default (which is otherwise dropped when written).
    """
    if not url or _FORBIDDEN.search(url) or not url.isascii():
        return None
    m = _SCHEME.match(url)
    if m is None or m.group(1).lower() not in schemes:
        return None
    scheme = m.group(1).lower()
    rest = url[m.end() :]
    cut = min((i for i in (rest.find(c) for c in "/?#") if i >= 0), default=len(rest))
    authority = rest[:cut]
    a = _AUTHORITY.match(authority)  # no "@" (user info), no "[" (IPv6 literal), at most one ":"
    if a is None or "@" in authority or "%" in authority:
        return None
    host = a.group("host").lower()
    if not _HOST.match(host) or (hosts is not None and host not in hosts):
        return None
    port = a.group("port")
    netloc = host
    if port is not None:
        number = int(port)
        if number == DEFAULT_PORTS.get(scheme):
            pass
        elif any_port and 0 < number < 65536:
            netloc = f"{host}:{number}"
        else:
            return None
    try:
        parts = urlsplit(f"{scheme}://{netloc}{rest[cut:]}")
    except ValueError:
        return None
    if (parts.hostname or "") != host:  # a last cross-check: both readings must agree on the host
        return None
    return urlunsplit((scheme, netloc, parts.path, parts.query, parts.fragment))
