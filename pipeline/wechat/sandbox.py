"""A faithful local WeChat: a real threaded HTTP server on loopback that follows `docs/wechat-api.md`.

    with Sandbox(SandboxConfig(faults=[Fault("/cgi-bin/draft/add", "busy", first=2)])) as sb:
        client = WeChatClient(sb.config.appid, sb.config.secret, base_url=sb.base_url, state_dir=tmp)
        ...
        assert len(sb.published_articles()) == 1

The account's rules live in `platform.Platform` (tokens, limits, drafts, publish jobs, mass sends; see its
docstring for the choices made where WeChat documents nothing). This module adds the HTTP server, the
fault injection and the inspection methods tests use.

Faults (`Fault(path, kind, ...)`, `path` exact or "*"), checked in order, the first that fires wins:
- `busy`: answer errcode -1 "system error" (`errcode=` another code to answer that one instead);
- `http`: answer HTTP `status` (default 500; e.g. 503) with an HTML body; the call has no effect;
- `drop`: close the connection without answering; the call has no effect;
- `crash_after`: the call takes effect, then the connection is closed without an answer;
- `delay`: wait `delay` seconds, then answer normally;
- `quota`: answer 45009 "reach max api daily quota limit".
A fault fires on the matching calls numbered `skip + 1` to `skip + first`, or, when `probability` > 0,
on each matching call with that probability (seeded by `SandboxConfig.seed`).

Account controls, for the faults found from outside (issue 15): `SandboxConfig.strip_comments` (drafts
lose HTML comments), `listing_order` ("newest", "oldest", "shuffled" listings), `listing_omits` (fields
a listing leaves out), `mass_answer_url` (the mass-send answer carries a link);
`Sandbox.forget_media(media_id)` (material deleted in the console: 40007), `fill(articles=, drafts=)` (a
busy account's listing size), `call_counts()` / `reset_calls()` (calls per
endpoint). An HTTP 503 on one endpoint for N calls is `Fault(path, "http", status=503, first=N)`.

State is in memory; with `state_file` it is loaded at start and saved after every call, so a demo can
stop and restart the sandbox. The sandbox's appid and secret are test values, not real credentials.
"""

from __future__ import annotations

import contextlib
import copy
import json
import random
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

from .platform import JSON_TYPE, Platform, Reply, parse_query

SANDBOX_APPID = "wx00000000sandbox"
SANDBOX_SECRET = "SANDBOX-NOT-A-REAL-SECRET-000000"
FAULT_KINDS = ("busy", "http", "drop", "crash_after", "delay", "quota")


@dataclass
class Fault:
    """One injected failure; see the module docstring."""

    path: str
    kind: str
    first: int = 1
    skip: int = 0
    probability: float = 0.0
    delay: float = 0.0
    errcode: int = -1
    status: int = 500

    def __post_init__(self) -> None:
        if self.kind not in FAULT_KINDS:
            raise ValueError(f"fault kind {self.kind!r}: expected one of {', '.join(FAULT_KINDS)}")


@dataclass
class SandboxConfig:
    """How the sandbox behaves. Defaults follow WeChat; every field is a knob for tests and demos."""

    appid: str = SANDBOX_APPID
    secret: str = SANDBOX_SECRET
    host: str = "127.0.0.1"
    port: int = 0
    #: Lifetime of an access token, and the platform's renewal window before expiry (stable_token).
    token_ttl: float = 7200.0
    token_renew_window: float = 300.0
    #: How long a /cgi-bin/token token stays valid after a newer one is fetched.
    token_overlap: float = 300.0
    #: Answer 40164 (IP not whitelisted) to every token call.
    whitelist_error: bool = False
    #: False: freepublish/* and message/mass/* answer 48001 (unverified account).
    verified: bool = True
    #: A publish job answers "publishing" (1) to this many polls, then its final status...
    publish_polls_until_done: int = 1
    #: ...or becomes final this many seconds after submission (None: only by polls).
    publish_delay: float | None = 2.0
    #: The final status of publish jobs (0 success; 2, 3, 4 failures), and per-title overrides.
    publish_outcome: int = 0
    publish_outcome_by_title: dict[str, int] = field(default_factory=dict)
    #: Answer publish_id as an int (WeChat has done both).
    int_ids: bool = False
    #: Broadcasts: per calendar month, and send-to-all per day (Beijing time).
    mass_month_quota: int = 4
    mass_day_quota: int = 1
    #: message/mass/delete is refused (40059) for sends older than this many seconds (None: any time).
    mass_delete_window: float | None = None
    #: freepublish/getarticle answers 53600 for a deleted article instead of listing it with is_deleted.
    forget_deleted: bool = False
    #: Calls per path per day before 45009 (None: unlimited).
    daily_call_quota: int | None = None
    #: Drafts lose their HTML comments (WeChat documents no promise that comments survive).
    strip_comments: bool = False
    #: Order of `draft/batchget` and `freepublish/batchget`: "newest" first, "oldest" first, or "shuffled"
    #: (WeChat documents no order).
    listing_order: str = "newest"
    #: The mass-send answer also carries the article's link (`article_url`); WeChat documents none.
    mass_answer_url: bool = False
    #: Fields left out of the items of `draft/batchget` and `freepublish/batchget` (e.g. "thumb_media_id").
    listing_omits: tuple[str, ...] = ()
    faults: list[Fault] = field(default_factory=list)
    seed: int = 0
    #: Load state from / save state to this JSON file.
    state_file: Path | None = None
    #: The sandbox's clock (seconds since the epoch), injectable to move time.
    clock: Callable[[], float] = time.time
    #: Called with one redacted line per call (the `wxpub sandbox` console).
    log: Callable[[str], None] | None = None

    def __repr__(self) -> str:
        return f"SandboxConfig(appid={self.appid!r}, host={self.host!r}, port={self.port})"


@dataclass(frozen=True)
class Call:
    """One request the sandbox received: the query has its token and secret redacted."""

    method: str
    path: str
    query: str
    errcode: int | None
    status: int
    fault: str | None


def _redacted_query(query: dict[str, list[str]]) -> str:
    pairs = [
        (k, "***" if k.lower() in ("access_token", "secret", "appsecret") else v) for k, vs in query.items() for v in vs
    ]
    return urlencode(pairs, safe="*")


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    sandbox: Sandbox


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    server_version = "wxsandbox/1.0"
    protocol_version = "HTTP/1.0"
    timeout = 30

    def log_message(self, format: str, *args: Any) -> None:
        """Silenced: the request line carries the token. The sandbox logs redacted lines itself."""

    def do_GET(self) -> None:
        self.server.sandbox._serve(self)

    def do_POST(self) -> None:
        self.server.sandbox._serve(self)


class Sandbox:
    """The local WeChat. `start()` returns the base URL; `stop()`; usable as a context manager."""

    def __init__(self, config: SandboxConfig | None = None) -> None:
        self.config = config or SandboxConfig()
        self.platform = Platform(self.config, self.config.clock)
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._calls: list[Call] = []
        self._counts: dict[tuple[int, str], int] = {}
        self._rng = random.Random(self.config.seed)
        self._lock = threading.Lock()
        self.base_url = ""

    # ------------------------------------------------------------- lifecycle

    def start(self) -> str:
        if self._server is not None:
            return self.base_url
        if self.config.state_file and Path(self.config.state_file).exists():
            self.platform.state = json.loads(Path(self.config.state_file).read_text(encoding="utf-8"))
        server = _Server((self.config.host, self.config.port), _Handler)
        server.sandbox = self
        host, port = server.server_address[:2]
        self.base_url = f"http://{host!s}:{port}"
        self.platform.base_url = self.base_url
        self._server = server
        self._thread = threading.Thread(target=server.serve_forever, args=(0.05,), name="wechat-sandbox", daemon=True)
        self._thread.start()
        return self.base_url

    def stop(self) -> None:
        if self._server is None:
            return
        self._server.shutdown()
        self._server.server_close()
        if self._thread:
            self._thread.join(timeout=5)
        self._server = self._thread = None
        self._save()

    def __enter__(self) -> Sandbox:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def __repr__(self) -> str:
        return f"Sandbox({self.base_url or 'stopped'})"

    def _save(self) -> None:
        if not self.config.state_file:
            return
        path = Path(self.config.state_file)
        with self.platform.lock:
            text = json.dumps(self.platform.state, ensure_ascii=False)
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(path)

    # -------------------------------------------------------------- serving

    def _fault_for(self, path: str) -> Fault | None:
        with self._lock:
            fired = None
            for i, f in enumerate(self.config.faults):
                if f.path not in ("*", path):
                    continue
                n = self._counts[(i, path)] = self._counts.get((i, path), 0) + 1
                hit = self._rng.random() < f.probability if f.probability > 0 else f.skip < n <= f.skip + f.first
                if hit and fired is None:
                    fired = f
            return fired

    def _record(self, call: Call) -> None:
        with self._lock:
            self._calls.append(call)
        if self.config.log:
            outcome = call.fault or (
                f"errcode {call.errcode}" if call.errcode else "ok" if call.status == 200 else f"HTTP {call.status}"
            )
            query = f"?{call.query}" if call.query else ""
            self.config.log(f"{call.method} {call.path}{query} -> {outcome}")

    def _serve(self, h: _Handler) -> None:
        parts = urlsplit(h.path)
        query = parse_query(parts.query)
        length = int(h.headers.get("Content-Length") or 0)
        body = h.rfile.read(length) if length > 0 else b""
        headers = {k.lower(): v for k, v in h.headers.items()}
        fault = self._fault_for(parts.path) if parts.path.startswith("/cgi-bin/") else None
        rq = _redacted_query(query)
        if fault and fault.kind == "delay":
            time.sleep(fault.delay)
        if fault and fault.kind == "drop":
            self._record(Call(h.command, parts.path, rq, None, 0, "drop"))
            return self._drop(h)
        reply: Reply | None = None
        if fault and fault.kind == "busy":
            reply = self.platform.refusal(fault.errcode, "system error" if fault.errcode == -1 else "injected fault")
        elif fault and fault.kind == "quota":
            reply = self.platform.refusal(45009, "reach max api daily quota limit")
        elif fault and fault.kind == "http":
            reply = Reply(f"<html><body>{fault.status} injected</body></html>".encode(), "text/html", fault.status)
        else:
            reply = self.platform.handle(h.command, parts.path, query, body, headers, h.client_address[0])
        fault_name = fault.kind if fault and fault.kind != "delay" else None
        self._record(
            Call(
                h.command,
                parts.path,
                rq,
                reply.errcode if isinstance(reply.body, dict) else None,
                reply.status,
                fault_name,
            )
        )
        self._save()
        if fault and fault.kind == "crash_after":
            return self._drop(h)
        data = (
            json.dumps(reply.body, ensure_ascii=False).encode("utf-8") if isinstance(reply.body, dict) else reply.body
        )
        try:
            h.send_response(reply.status)
            h.send_header("Content-Type", reply.content_type or JSON_TYPE)
            h.send_header("Content-Length", str(len(data)))
            h.end_headers()
            h.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            pass

    @staticmethod
    def _drop(h: _Handler) -> None:
        h.close_connection = True
        with contextlib.suppress(OSError):
            h.connection.shutdown(socket.SHUT_RDWR)

    # ----------------------------------------------------------- inspection

    def calls(self) -> list[Call]:
        """Every request so far, in order, tokens and secrets redacted."""
        with self._lock:
            return list(self._calls)

    def drafts(self) -> list[dict[str, Any]]:
        """The draft box: `{"media_id", "articles": [...]}`, oldest first."""
        with self.platform.lock:
            self.platform._settle()
            return [{"media_id": mid, **copy.deepcopy(d)} for mid, d in self.platform.state["drafts"].items()]

    def published_articles(self) -> list[dict[str, Any]]:
        """One entry per published article item: article_id, idx, title, url, publish_id, deleted, banned."""
        with self.platform.lock:
            self.platform._settle()
            out = []
            for aid, a in self.platform.state["articles"].items():
                for idx, it in enumerate(a["items"], 1):
                    out.append(
                        {
                            "article_id": aid,
                            "idx": idx,
                            "publish_id": a["publish_id"],
                            "title": it["title"],
                            "url": it["url"],
                            "content": it["content"],
                            "content_source_url": it["content_source_url"],
                            "deleted": it["is_deleted"],
                            "banned": a["banned"],
                        }
                    )
            return out

    def publish_jobs(self) -> dict[str, dict[str, Any]]:
        with self.platform.lock:
            return copy.deepcopy(self.platform.state["jobs"])

    def mass_sends(self) -> list[dict[str, Any]]:
        """Every accepted broadcast: msg_id, msg_data_id, clientmsgid, media_id, to_all, at, items."""
        with self.platform.lock:
            return copy.deepcopy(self.platform.state["mass"])

    def media(self) -> dict[str, dict[str, Any]]:
        with self.platform.lock:
            return copy.deepcopy(self.platform.state["media"])

    def uploaded_images(self) -> list[str]:
        with self.platform.lock:
            return list(self.platform.state["images"])

    def settle(self) -> None:
        """Finish every running publish job now."""
        self.platform.settle()

    def invalidate_tokens(self) -> None:
        """Forget every token (calls answer 40001), as if another tool force-refreshed."""
        self.platform.invalidate_tokens()

    def expire_tokens(self) -> None:
        """Expire every token now (calls answer 42001)."""
        self.platform.expire_tokens()

    def ban_article(self, article_id: str) -> None:
        self.platform.ban_article(article_id)

    def forget_media(self, media_id: str) -> None:
        """Delete permanent material as if in the console: drafts naming it answer 40007."""
        self.platform.forget_media(media_id)

    def fill(self, *, articles: int = 0, drafts: int = 0) -> None:
        """Give the account `articles` published articles and `drafts` drafts of other posts."""
        self.platform.fill(articles=articles, drafts=drafts)

    def call_counts(self) -> dict[str, int]:
        """Calls received per endpoint path (faults included), e.g. {"/cgi-bin/draft/batchget": 11}."""
        counts: dict[str, int] = {}
        for call in self.calls():
            counts[call.path] = counts.get(call.path, 0) + 1
        return counts

    def reset_calls(self) -> None:
        """Forget the calls received so far (the counters start again at zero)."""
        with self._lock:
            self._calls.clear()
