"""The HTTP seam of the forge clients: one session, `Link`-header pagination, errors mapped for people.

The token travels only in the `Authorization` header of the session; it never appears in a message,
an exception or a log line (requests drops the header on a redirect to another host).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import requests

from ..errors import ForgeError, TransportError
from ..i18n import _

MAX_PAGES = 100  # 100 pages x 100 items: more reviews than any pull request has


class Http:
    """GETs JSON from `base_url` with the token; follows `rel="next"` links; raises `ForgeError`."""

    def __init__(
        self,
        base_url: str,
        auth_header: str,
        *,
        forge_name: str,
        session: requests.Session | None = None,
        timeout: float = 30.0,
        hints: Callable[[int, str], str] | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.forge_name = forge_name
        self.session = session or requests.Session()
        self.timeout = timeout
        self._auth = auth_header
        self._hints = hints or (lambda status, path: "")
        self.requests = 0

    def __repr__(self) -> str:  # never shows the token
        return f"Http({self.base_url!r}, forge={self.forge_name!r})"

    def _send(
        self, url: str, params: dict[str, Any] | None, what: str, allow: tuple[int, ...] = ()
    ) -> requests.Response:
        path = url.removeprefix(self.base_url) or "/"
        request = f"GET {path.split('?')[0]}"
        headers = {"Accept": "application/json", "User-Agent": "wxpub", "Authorization": self._auth}
        if self.forge_name == "GitHub":
            headers["Accept"] = "application/vnd.github+json"
            headers["X-GitHub-Api-Version"] = "2022-11-28"
        try:
            self.requests += 1
            resp = self.session.get(url, params=params, headers=headers, timeout=self.timeout)
        except requests.RequestException as exc:
            raise TransportError(
                _(
                    "{forge} did not answer {request}: {error}",
                    forge=self.forge_name,
                    request=request,
                    error=type(exc).__name__,
                ),
                request=request,
                hint=_("check the forge URL and the network"),
            ) from None
        if resp.status_code in allow:
            return resp
        if resp.status_code >= 500:
            raise TransportError(
                _(
                    "{forge} answered {status} to {request}",
                    forge=self.forge_name,
                    status=resp.status_code,
                    request=request,
                ),
                request=request,
                hint=_("retry later"),
            )
        if resp.status_code >= 400:
            raise self._error(resp, request, what)
        return resp

    def _error(self, resp: requests.Response, request: str, what: str) -> ForgeError:
        status = resp.status_code
        try:
            detail = str(resp.json().get("message") or "")
        except (ValueError, AttributeError):
            detail = ""
        detail = detail[:200]
        hint = self._hints(status, request)
        if status == 401:
            msg = _("{forge} rejected the token (401) for {request}", forge=self.forge_name, request=request)
            hint = hint or _("the token is missing, expired or revoked")
        elif status == 403 and resp.headers.get("X-RateLimit-Remaining") == "0":
            msg = _("{forge} rate limit reached (403) for {request}", forge=self.forge_name, request=request)
            hint = _("wait for the limit to reset (X-RateLimit-Reset) and run again")
        elif status == 403:
            msg = _("the token may not read {what} (403) for {request}", what=_(what), request=request)
        elif status == 404:
            msg = _("{forge} found no {what} (404) for {request}", forge=self.forge_name, what=_(what), request=request)
        else:
            msg = _("{forge} refused {request} ({status})", forge=self.forge_name, request=request, status=status)
        if detail:
            msg += f": {detail}"
        return ForgeError(msg, status=status, request=request, hint=hint or None)

    def get(self, path: str, what: str, params: dict[str, Any] | None = None) -> Any:
        resp = self._send(self.base_url + path, params, what)
        return _json(resp, self.forge_name, what)

    def fetch(self, path: str, what: str, allow: tuple[int, ...] = (404,)) -> requests.Response:
        """A GET whose `allow`ed error statuses (404 for membership checks) come back instead of raising."""
        return self._send(self.base_url + path, None, what, allow=allow)

    def paginate(self, path: str, what: str, params: dict[str, Any], *, page_size_key: str | None = None) -> list[Any]:
        """Every item of a list endpoint: follow `Link: <...>; rel="next"`; without a Link header and
        with `page_size_key` set (Gitea's `limit`), ask for the next `page` while pages come back full."""
        items: list[Any] = []
        url: str | None = self.base_url + path
        query: dict[str, Any] | None = dict(params)
        page = int(params.get("page", 1))
        for _page in range(MAX_PAGES):
            assert url is not None
            resp = self._send(url, query, what)
            batch = _json(resp, self.forge_name, what)
            if isinstance(batch, dict) and isinstance(batch.get("data"), list):
                batch = batch["data"]
            if not isinstance(batch, list):
                raise ForgeError(_("{forge} sent {what} that is not a list", forge=self.forge_name, what=_(what)))
            items.extend(batch)
            nxt = resp.links.get("next", {}).get("url")
            if nxt and urlsplit(nxt)[:2] != urlsplit(self.base_url)[:2]:
                raise ForgeError(
                    _("{forge} sent a next-page link to another host; not following it", forge=self.forge_name)
                )
            if nxt:
                url, query = nxt, None  # the next link carries every parameter
                continue
            if page_size_key and "link" not in {k.lower() for k in resp.headers} and query is not None:
                # No Link header: page on until X-Total-Count is reached or a page comes back empty (a server
                # may cap `limit` below what was asked, so a short page does not prove the end).
                total = resp.headers.get("X-Total-Count", "")
                done = int(total) <= len(items) if total.isdigit() else not batch
                if not done:
                    page += 1
                    query = {**query, "page": page}
                    continue
            return items
        raise ForgeError(
            _(
                "{forge} kept sending pages of {what} beyond {max}; stopping",
                forge=self.forge_name,
                what=_(what),
                max=MAX_PAGES,
            )
        )


def _json(resp: requests.Response, forge: str, what: str) -> Any:
    try:
        return resp.json()
    except ValueError:
        raise ForgeError(
            _("{forge} sent {what} that is not JSON", forge=forge, what=_(what)), status=resp.status_code
        ) from None
