"""The WeChat Official Account API client (on `requests`), as described in `docs/wechat-api.md`.

    client = WeChatClient.from_env()          # WECHAT_APPID, WECHAT_SECRET, WECHAT_API_BASE
    url = client.upload_body_image(data, "chart.png")
    thumb, _ = client.add_cover(cover, "cover.jpg")
    media_id = client.add_draft([{"title": ..., "content": ..., "thumb_media_id": thumb}])
    result = client.wait_published(client.submit(media_id))

Behaviour:
- The access token comes from `POST /cgi-bin/stable_token` and is cached (mode 0600) under the state
  directory until shortly before it expires. A call refused with 40001/40014/42001 fetches a fresh token
  (forcing a refresh only when WeChat hands back the refused one) and is retried once.
- Transient failures (errcode -1, HTTP 5xx, timeouts, refused or dropped connections) are retried up to
  `max_retries` times with jittered exponential backoff, then raise `RetriesExhausted` (a `TransportError`
  whose `maybe_applied` says whether any attempt may have taken effect). Every other non-zero
  errcode raises `WeChatError` with a `hint` telling the operator what to do (see `errcodes.HINTS`).
- Secrets: the AppSecret lives only in memory and is sent only in the body of the token call; the token is
  sent only in the query string. Neither appears in reprs, exceptions or log records: request
  descriptions are redacted, low-level exceptions are summarised (never chained), and a log filter
  redacts `access_token=` in urllib3's debug lines.
- `wait_published` returns the final `freepublish/get` answer when the status is 0 (published) and raises
  `PublishFailed` (a `WeChatError`, `.result` holds the answer) for 2/3/4 and 5/6 (deleted/banned), so a
  caller cannot mistake a failed job for an article. `PublishTimeout` (a `TransportError`) when the job is
  still publishing at the deadline: poll the same publish_id again later.
- `sendall` returns WeChat's answer plus `already_sent: False`, or, when WeChat answers 45065
  ("clientmsgid exist": this broadcast was already accepted), `{"already_sent": True, ...}`.
"""

from __future__ import annotations

import json
import logging
import os
import random
import re
import threading
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

import requests
import urllib3

from ..errors import ConfigError, RemoteError, TransportError, WeChatError
from ..i18n import _
from . import errcodes
from .images import MATERIAL_FORMATS, MATERIAL_IMAGE_LIMIT, MIME, image_format, prepare_image
from .token import CachedToken, TokenCache, default_state_dir

__all__ = ["PublishFailed", "PublishTimeout", "RetriesExhausted", "WeChatClient", "prepare_image", "redact"]

DEFAULT_BASE = "https://api.weixin.qq.com"
log = logging.getLogger("wxpub.wechat")

_SECRET_QUERY = re.compile(r"((?:access_token|secret|appsecret)=)[^&\s'\"]+", re.IGNORECASE)
_SECRET_JSON = re.compile(r"(\"(?:access_token|secret|appsecret)\"\s*:\s*\")[^\"]*", re.IGNORECASE)


#: Values shorter than this are not searched for in free text: replacing every "s" of a message would
#: garble it ("u***able") and protect nothing. A real AppSecret is 32 hex characters, a token far longer;
#: the `access_token=`/`secret=` values are redacted by their structure whatever their length.
MIN_REDACTED_LENGTH = 8


def redact(text: str, *secrets: str) -> str:
    """`text` with access_token=/secret= values, and every occurrence of each of `secrets` at least
    `MIN_REDACTED_LENGTH` characters long, replaced by ***."""
    text = _SECRET_QUERY.sub(r"\1***", text)
    text = _SECRET_JSON.sub(r"\1***", text)
    for s in sorted({s for s in secrets if len(s) >= MIN_REDACTED_LENGTH}, key=len, reverse=True):
        text = text.replace(s, "***")
    return text


class _RedactingFilter(logging.Filter):
    """Redacts tokens in records of loggers that print URLs (urllib3 logs `GET /path?access_token=...`)."""

    def filter(self, record: logging.LogRecord) -> bool:
        msg = record.getMessage()
        if "access_token" in msg.lower() or "secret" in msg.lower():
            record.msg, record.args = redact(msg), None
        return True


def _install_log_redaction() -> None:
    for name in ("urllib3.connectionpool", "urllib3.connection", "requests"):
        logger = logging.getLogger(name)
        if not any(isinstance(f, _RedactingFilter) for f in logger.filters):
            logger.addFilter(_RedactingFilter())


_install_log_redaction()


class PublishFailed(WeChatError):
    """A publish job ended without a live article: status 2, 3, 4 (failed) or 5, 6 (deleted, banned).

    `errcode` carries the `publish_status`; `result` the whole `freepublish/get` answer.
    """

    def __init__(self, publish_id: str, result: dict[str, Any], *, request: str = "") -> None:
        status = int(result.get("publish_status", -1))
        what = errcodes.publish_status_text(status)
        fail = result.get("fail_idx") or []
        detail = f" (articles {', '.join(map(str, fail))})" if fail else ""
        hint = (
            _("open the draft in the WeChat console to see why, fix the post, and publish again")
            if status in (2, 3, 4)
            else _("the article no longer exists on WeChat")
        )
        super().__init__(status, what, request=request, hint=hint)
        self.message = _("publish job {publish_id} ended: {what}", publish_id=publish_id, what=what) + detail
        self.publish_id = publish_id
        self.publish_status = status
        self.result = result


class PublishTimeout(TransportError):
    """The publish job was still in progress at the deadline; poll the same `publish_id` later."""

    def __init__(self, publish_id: str, waited: float, *, request: str = "") -> None:
        super().__init__(
            _(
                "publish job {publish_id} still publishing after {seconds} s",
                publish_id=publish_id,
                seconds=f"{waited:.0f}",
            ),
            request=request,
            hint=_("run again later: the job is polled again by its publish_id, nothing is sent twice"),
        )
        self.publish_id = publish_id


class RetriesExhausted(TransportError):
    """Every attempt failed transiently. `maybe_applied` is False only when no attempt can have reached
    WeChat's logic (each was "system busy" -1 or a refused connection); after a timeout, a dropped
    connection or an HTTP 5xx the call may have taken effect, so look before repeating a non-idempotent one.
    `errcode` is the last errcode WeChat answered (None if none), `attempts` how many were made."""

    def __init__(
        self, message: str, *, request: str, hint: str, attempts: int, errcode: int | None, maybe_applied: bool
    ) -> None:
        super().__init__(message, request=request, hint=hint)
        self.attempts = attempts
        self.errcode = errcode
        self.maybe_applied = maybe_applied


def _never_sent(exc: requests.RequestException) -> bool:
    """True when the request cannot have reached the server (refused or unresolvable connection)."""
    if isinstance(exc, requests.ConnectTimeout):
        return True
    reason = getattr(exc.args[0], "reason", None) if exc.args else None
    return isinstance(reason, urllib3.exceptions.NewConnectionError)


class _Secret:
    """Holds the AppSecret; shows as *** everywhere."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "'***'"

    __str__ = __repr__


def _dumps(payload: Mapping[str, Any]) -> bytes:
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


class WeChatClient:
    """One Official Account, one API base. Thread-safe for token handling; see the module docstring."""

    def __init__(
        self,
        appid: str,
        secret: str,
        *,
        base_url: str = DEFAULT_BASE,
        session: requests.Session | None = None,
        state_dir: str | os.PathLike[str] | None = None,
        max_retries: int = 4,
        backoff: float = 0.5,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.time,
        timeout: float | tuple[float, float] = (10.0, 60.0),
        rng: random.Random | None = None,
    ) -> None:
        if not appid:
            raise ConfigError("no WeChat AppID given", hint="set WECHAT_APPID")
        if not secret:
            raise ConfigError("no WeChat AppSecret given", hint="set WECHAT_SECRET")
        parts = urlsplit(base_url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ConfigError(
                f"WECHAT_API_BASE {base_url!r} is not an http(s) URL", hint="e.g. https://api.weixin.qq.com"
            )
        self.appid = appid
        self._secret = _Secret(secret)
        self.base_url = base_url.rstrip("/")
        self.session = session or requests.Session()
        self.cache = TokenCache(Path(state_dir) if state_dir else default_state_dir(), appid, self.base_url)
        self.max_retries = max(0, max_retries)
        self.backoff = backoff
        self.sleep = sleep
        self.clock = clock
        self.timeout = timeout
        self.rng = rng or random.Random()
        self._token: CachedToken | None = None
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"WeChatClient(appid={self.appid!r}, base_url={self.base_url!r})"

    def close(self) -> None:
        """Close the HTTP session (and its pooled connections)."""
        self.session.close()

    def __enter__(self) -> WeChatClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @classmethod
    def from_env(
        cls,
        state_dir: str | os.PathLike[str] | None = None,
        *,
        environ: Mapping[str, str] | None = None,
        **kwargs: Any,
    ) -> WeChatClient:
        """A client configured by WECHAT_APPID, WECHAT_SECRET and WECHAT_API_BASE (optional)."""
        env = os.environ if environ is None else environ
        for name in ("WECHAT_APPID", "WECHAT_SECRET"):
            if not env.get(name, "").strip():
                raise ConfigError(
                    f"{name} is not set",
                    hint=f"set {name} (a CI secret for the publish job); `wxpub sandbox` prints test values",
                )
        base = env.get("WECHAT_API_BASE", "").strip() or DEFAULT_BASE
        return cls(
            env["WECHAT_APPID"].strip(), env["WECHAT_SECRET"].strip(), base_url=base, state_dir=state_dir, **kwargs
        )

    # ------------------------------------------------------------------ token

    #: Refresh this many seconds before expiry (at most a tenth of the token's lifetime).
    REFRESH_MARGIN = 300.0

    def _fresh(self, cached: CachedToken | None) -> bool:
        return cached is not None and self.clock() < cached.expires_at

    def token(self) -> str:
        """A valid access token: from memory, the cache file, or `stable_token`."""
        with self._lock:
            if not self._fresh(self._token):
                self._token = self.cache.load()
            if not self._fresh(self._token):
                self._token = self._fetch_token(force=False)
            assert self._token is not None
            return self._token.token

    def _refresh_after_refusal(self, refused: str) -> str:
        """A token other than `refused`: ask normally, and force a refresh only if WeChat insists on it."""
        with self._lock:
            if self._token is not None and self._token.token != refused and self._fresh(self._token):
                return self._token.token  # another thread already refreshed
            self.cache.clear()
            fresh = self._fetch_token(force=False)
            if fresh.token == refused:
                fresh = self._fetch_token(force=True)
            self._token = fresh
            return fresh.token

    def _fetch_token(self, *, force: bool) -> CachedToken:
        body = self._request(
            "POST",
            "/cgi-bin/stable_token",
            json_body={
                "grant_type": "client_credential",
                "appid": self.appid,
                "secret": self._secret.reveal(),
                "force_refresh": force,
            },
            with_token=False,
        )
        token, expires_in = body.get("access_token"), body.get("expires_in")
        if not isinstance(token, str) or not token or not isinstance(expires_in, int | float):
            raise RemoteError(
                "stable_token answered without access_token/expires_in", request="POST /cgi-bin/stable_token"
            )
        margin = min(self.REFRESH_MARGIN, float(expires_in) / 10)
        cached = CachedToken(token, self.clock() + float(expires_in) - margin)
        try:
            self.cache.save(cached)
        except OSError as exc:  # a read-only home must not stop a publish: the token just is not reused
            log.warning(
                "cannot cache the access token in %s (%s); continuing without the cache",
                self.cache.state_dir,
                exc.strerror or type(exc).__name__,
            )
        log.info("WeChat access token refreshed (valid %d s)", int(expires_in))
        return cached

    # -------------------------------------------------------------- transport

    def _delay(self, attempt: int) -> float:
        base = min(self.backoff * (2**attempt), 30.0)
        return base / 2 + self.rng.uniform(0, base / 2)

    def _request(
        self,
        method: str,
        path: str,
        *,
        json_body: Mapping[str, Any] | None = None,
        params: Mapping[str, str] | None = None,
        files: Mapping[str, tuple[str, bytes, str]] | None = None,
        with_token: bool = True,
    ) -> dict[str, Any]:
        """Call `path`, retrying transient failures and a refused token; the decoded JSON body."""
        query = dict(params or {})
        desc = f"{method} {path}" + (f"?{urlencode(query)}" if query else "")
        data = _dumps(json_body) if json_body is not None else None
        headers = {"Content-Type": "application/json; charset=utf-8"} if data is not None else {}
        refreshed = False
        token = self.token() if with_token else ""
        attempt = 0
        problem = ""
        maybe_applied = False
        last_errcode: int | None = None
        while True:
            if attempt > self.max_retries:
                raise RetriesExhausted(
                    _("WeChat gave no usable answer after {n} attempts ({problem})", n=attempt, problem=problem),
                    request=desc,
                    hint=_("WeChat or the network is failing; run again later (each step resumes safely)"),
                    attempts=attempt,
                    errcode=last_errcode,
                    maybe_applied=maybe_applied,
                )
            if attempt:
                delay = self._delay(attempt - 1)
                log.warning("%s: %s; retrying in %.1f s", desc, problem, delay)
                self.sleep(delay)
            attempt += 1
            send_query = {**query, "access_token": token} if with_token else query
            try:
                resp = self.session.request(
                    method,
                    self.base_url + path,
                    params=send_query or None,
                    data=data,
                    files=dict(files) if files else None,
                    headers=headers,
                    timeout=self.timeout,
                )
                raw = resp.content
            except requests.Timeout as exc:
                problem = "timed out"
                maybe_applied = maybe_applied or not _never_sent(exc)
                continue
            except (requests.ConnectionError, requests.exceptions.ChunkedEncodingError) as exc:
                problem = f"connection failed or dropped ({type(exc).__name__})"
                maybe_applied = maybe_applied or not _never_sent(exc)
                continue
            except requests.RequestException as exc:
                reason = redact(str(exc), token, self._secret.reveal())
                problem = f"{type(exc).__name__}: {reason}"
                break
            if resp.status_code >= 500:
                problem = f"HTTP {resp.status_code}"
                maybe_applied = True
                continue
            if resp.status_code != 200:
                problem = f"HTTP {resp.status_code}"
                break
            try:
                body = json.loads(raw.decode("utf-8"))
            except (UnicodeDecodeError, ValueError):
                problem, maybe_applied = "the answer was not JSON", True
                continue
            if not isinstance(body, dict):
                problem, maybe_applied = "the answer was not a JSON object", True
                continue
            errcode = body.get("errcode", 0) or 0
            if not isinstance(errcode, int):
                try:
                    errcode = int(errcode)
                except (TypeError, ValueError):
                    problem = f"unreadable errcode {errcode!r}"
                    break
            errmsg = redact(str(body.get("errmsg", "")), token, self._secret.reveal())
            if errcode == 0:
                log.debug("%s: ok", desc)
                return body
            if errcode in errcodes.RETRYABLE:
                problem, last_errcode = f"errcode {errcode} {errmsg}", errcode
                continue
            if with_token and errcode in errcodes.TOKEN_ERRORS and not refreshed:
                log.info("%s: token refused (errcode %d); refreshing once", desc, errcode)
                refreshed = True
                token = self._refresh_after_refusal(token)
                continue
            log.error("%s: WeChat error %d", desc, errcode)
            raise WeChatError(errcode, errmsg, request=desc, hint=errcodes.hint_for(errcode))
        raise RemoteError(f"WeChat answered unexpectedly: {problem}", request=desc)

    def _post(self, path: str, payload: Mapping[str, Any], **kw: Any) -> dict[str, Any]:
        return self._request("POST", path, json_body=payload, **kw)

    # ------------------------------------------------------------------ media

    def upload_body_image(self, data: bytes, filename: str) -> str:
        """Upload a body image (converted to jpg/png under 1 MB when needed); the URL WeChat serves it at."""
        data, filename = prepare_image(data, filename)
        fmt = image_format(data, filename)
        body = self._request(
            "POST", "/cgi-bin/media/uploadimg", files={"media": (filename, data, MIME.get(fmt, "image/jpeg"))}
        )
        url = body.get("url")
        if not isinstance(url, str) or not url:
            raise RemoteError("uploadimg answered without a url", request="POST /cgi-bin/media/uploadimg")
        return url

    def add_cover(self, data: bytes, filename: str) -> tuple[str, str]:
        """Upload the cover as permanent image material; `(media_id, url)` for `thumb_media_id`."""
        data, filename = prepare_image(data, filename, max_bytes=MATERIAL_IMAGE_LIMIT, formats=MATERIAL_FORMATS)
        fmt = image_format(data, filename)
        body = self._request(
            "POST",
            "/cgi-bin/material/add_material",
            params={"type": "image"},
            files={"media": (filename, data, MIME.get(fmt, "image/jpeg"))},
        )
        media_id = body.get("media_id")
        if not isinstance(media_id, str) or not media_id:
            raise RemoteError("add_material answered without a media_id", request="POST /cgi-bin/material/add_material")
        return media_id, str(body.get("url", ""))

    # ----------------------------------------------------------------- drafts

    def add_draft(self, articles: list[dict[str, Any]]) -> str:
        """Create a draft from article dicts (title, content, thumb_media_id, ...); its media_id."""
        body = self._post("/cgi-bin/draft/add", {"articles": articles})
        return str(body["media_id"])

    def get_draft(self, media_id: str) -> dict[str, Any]:
        """`{"news_item": [...], ...}` of a draft; WeChatError 40007 when it does not exist (any more)."""
        return self._post("/cgi-bin/draft/get", {"media_id": media_id})

    def batchget_drafts(self, offset: int = 0, count: int = 20, no_content: bool = True) -> dict[str, Any]:
        """One page of the draft box: `{"total_count", "item_count", "item": [{media_id, content, update_time}]}`."""
        return self._post(
            "/cgi-bin/draft/batchget", {"offset": offset, "count": count, "no_content": 1 if no_content else 0}
        )

    def delete_draft(self, media_id: str) -> None:
        self._post("/cgi-bin/draft/delete", {"media_id": media_id})

    def count_drafts(self) -> int:
        return int(self._request("GET", "/cgi-bin/draft/count").get("total_count", 0))

    # ------------------------------------------------------------- publishing

    def submit(self, media_id: str) -> str:
        """Submit a draft for publishing; the `publish_id` (always a str). The job is accepted, not done."""
        body = self._post("/cgi-bin/freepublish/submit", {"media_id": media_id})
        publish_id = body.get("publish_id")
        if publish_id is None or publish_id == "":
            raise RemoteError(
                "freepublish/submit answered without a publish_id", request="POST /cgi-bin/freepublish/submit"
            )
        return str(publish_id)

    def publish_status(self, publish_id: str) -> dict[str, Any]:
        """The `freepublish/get` answer; `publish_status` is an int, `publish_id` a str."""
        body = self._post("/cgi-bin/freepublish/get", {"publish_id": str(publish_id)})
        body["publish_status"] = int(body.get("publish_status", -1))
        if "publish_id" in body:
            body["publish_id"] = str(body["publish_id"])
        return body

    def wait_published(
        self, publish_id: str, timeout: float = 600.0, *, interval: float = 2.0, max_interval: float = 30.0
    ) -> dict[str, Any]:
        """Poll until the job is final. The answer when published (0); PublishFailed for 2-6; PublishTimeout."""
        start = self.clock()
        delay = interval
        while True:
            result = self.publish_status(publish_id)
            status = result["publish_status"]
            if status == 0:
                return result
            if status in errcodes.PUBLISH_FINAL:
                raise PublishFailed(str(publish_id), result, request="POST /cgi-bin/freepublish/get")
            waited = self.clock() - start
            if waited >= timeout:
                raise PublishTimeout(str(publish_id), waited, request="POST /cgi-bin/freepublish/get")
            step = min(delay, max(0.0, timeout - waited))
            self.sleep(step * self.rng.uniform(0.8, 1.0))
            delay = min(delay * 1.6, max_interval)

    def batchget_published(self, offset: int = 0, count: int = 20, no_content: bool = True) -> dict[str, Any]:
        """One page of published articles: `{"total_count", "item_count", "item": [{article_id, content, ...}]}`."""
        return self._post(
            "/cgi-bin/freepublish/batchget", {"offset": offset, "count": count, "no_content": 1 if no_content else 0}
        )

    def get_published_article(self, article_id: str) -> dict[str, Any]:
        return self._post("/cgi-bin/freepublish/getarticle", {"article_id": article_id})

    def delete_published(self, article_id: str, index: int = 0) -> None:
        """Delete a published article (irreversible). `index` is 1-based; 0 deletes every article of it."""
        self._post("/cgi-bin/freepublish/delete", {"article_id": article_id, "index": index})

    # ----------------------------------------------------------- broadcasting

    def sendall(self, media_id: str, clientmsgid: str) -> dict[str, Any]:
        """Mass-send a draft to every follower. `clientmsgid` makes a retry safe.

        Returns WeChat's answer (`msg_id`, `msg_data_id`) with `already_sent: False`, or
        `{"already_sent": True, "clientmsgid": ...}` when WeChat answers 45065 (that id was already sent).
        """
        payload = {
            "filter": {"is_to_all": True},
            "mpnews": {"media_id": media_id},
            "msgtype": "mpnews",
            "send_ignore_reprint": 0,
            "clientmsgid": clientmsgid,
        }
        try:
            body = self._post("/cgi-bin/message/mass/sendall", payload)
        except WeChatError as exc:
            if exc.errcode == errcodes.CLIENTMSGID_EXISTS:
                log.info("broadcast %s was already accepted by WeChat (45065)", clientmsgid)
                return {"already_sent": True, "clientmsgid": clientmsgid, "errcode": exc.errcode}
            raise
        return {**body, "already_sent": False, "clientmsgid": clientmsgid}

    def delete_mass(self, msg_id: str | int, article_idx: int = 0) -> None:
        """`message/mass/delete`: withdraw a broadcast's article page (followers keep the message card).
        `article_idx` is 1-based; 0 deletes every article of the send. WeChat answers 40059 for a msg_id it
        does not know (or may no longer delete)."""
        value: str | int = int(msg_id) if str(msg_id).isdigit() else str(msg_id)
        self._post("/cgi-bin/message/mass/delete", {"msg_id": value, "article_idx": article_idx})

    def mass_status(self, msg_id: str | int) -> dict[str, Any]:
        """`message/mass/get`: `{"msg_id", "msg_status": "SEND_SUCCESS" | "SENDING" | ...}`."""
        return self._post("/cgi-bin/message/mass/get", {"msg_id": msg_id})
