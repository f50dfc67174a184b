"""The simulated Official Account behind `wxpub sandbox`: tokens, media, drafts, publish jobs, mass sends.

`Platform.handle(method, path, query, body, headers, client_ip) -> Reply` implements the contract of
`docs/wechat-api.md`; `sandbox.Sandbox` puts it behind a real HTTP server and adds fault injection.
State is plain JSON-able data guarded by one lock, so it can be inspected by tests and saved to a file.

Where the contract says "unconfirmed" or WeChat documents nothing, the sandbox picks this behaviour:
- Length errors use WeChat's global return codes: title 45003, digest 45004, content_source_url 45005,
  content 45002, author 45110, more than 8 articles 45008; a missing title or a malformed field 47001;
  no article or empty content 44003; JSON with \\uXXXX escapes 40033 (the legacy rejection).
- An unknown publish_id answers 40007; an unknown article_id 53600, and so does deleting an article whose
  items are all deleted already. `freepublish/getarticle` of a deleted article answers its items with
  `is_deleted: true` (with `SandboxConfig.forget_deleted`, 53600 instead: WeChat documents neither).
- Submitting a draft whose publish job is still running is accepted as a second job and each job publishes
  its own snapshot: the pessimistic reading, so a publisher that resubmits blindly creates a duplicate.
- A job is final after `publish_polls_until_done` "publishing" answers to `freepublish/get`, or
  `publish_delay` seconds after submission, whichever comes first; then a successful job removes the draft.
  A failed job (2, 3, 4) leaves the draft in the draft box.
- `freepublish/batchget` lists articles with at least one item not deleted; deleted items carry
  `is_deleted: true`.
- Mass sends are only `mpnews` of a draft; the draft leaves the draft box; `clientmsgid` is remembered for
  24 hours (45065 on a repeat); quota counts are per calendar day / month in Beijing time.
- `message/mass/delete {msg_id, article_idx}` withdraws the article pages of a send this account made
  (`article_idx` 1-based, 0 = all; repeating it answers ok); an unknown msg_id answers 40059 "invalid msg
  id", and so does a send older than `SandboxConfig.mass_delete_window` seconds when that is set (WeChat's
  current documentation allows deleting at any time; older versions said within half an hour).
"""

from __future__ import annotations

import base64
import datetime as dt
import email.parser
import email.policy
import hashlib
import html
import json
import random
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import parse_qs


class AccountRules(Protocol):
    """What the platform reads of its configuration (`sandbox.SandboxConfig` provides it): the platform
    depends on this shape, not on the sandbox module, so the two do not import each other."""

    appid: str
    secret: str
    seed: int
    token_ttl: float
    token_renew_window: float
    token_overlap: float
    whitelist_error: bool
    verified: bool
    publish_polls_until_done: int
    publish_delay: float | None
    publish_outcome: int
    publish_outcome_by_title: dict[str, int]
    int_ids: bool
    mass_month_quota: int
    mass_day_quota: int
    mass_delete_window: float | None
    forget_deleted: bool
    daily_call_quota: int | None
    strip_comments: bool
    listing_order: str
    mass_answer_url: bool
    listing_omits: tuple[str, ...]


BEIJING = dt.timezone(dt.timedelta(hours=8))
JSON_TYPE = "application/json; encoding=utf-8"
BODY_IMAGE_LIMIT = 1024 * 1024
TITLE_MAX, AUTHOR_MAX, DIGEST_MAX = 32, 16, 128
CONTENT_MAX_CHARS, CONTENT_MAX_BYTES, SOURCE_URL_MAX = 20_000, 1024 * 1024, 1024
MAX_ARTICLES = 8
CLIENTMSGID_TTL = 24 * 3600

_SCRIPT = re.compile(r"<script\b.*?</script\s*>", re.IGNORECASE | re.DOTALL)
_COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)
_IMG = re.compile(r"<img\b[^>]*>", re.IGNORECASE)
_SRC = re.compile(r"""\bsrc\s*=\s*["']([^"']*)["']""", re.IGNORECASE)
_TAG = re.compile(r"<[^>]+>")
_ESCAPED = re.compile(rb"\\u[0-9a-fA-F]{4}")


@dataclass
class Reply:
    """What to answer: a JSON-able dict (sent as JSON) or raw bytes."""

    body: dict[str, Any] | bytes
    content_type: str = JSON_TYPE
    status: int = 200

    @property
    def errcode(self) -> int:
        return int(self.body.get("errcode", 0)) if isinstance(self.body, dict) else 0


class Refusal(Exception):
    """An errcode answer, raised from deep inside a handler."""

    def __init__(self, errcode: int, errmsg: str) -> None:
        super().__init__(errmsg)
        self.errcode = errcode
        self.errmsg = errmsg


def _image_kind(data: bytes) -> str | None:
    if data.startswith(b"\xff\xd8\xff"):
        return "jpg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if data[:6] in (b"GIF87a", b"GIF89a"):
        return "gif"
    if data.startswith(b"BM"):
        return "bmp"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp"
    return None


_IMAGE_TYPES = {"jpg": "image/jpeg", "png": "image/png", "gif": "image/gif", "bmp": "image/bmp"}


def _multipart_media(headers: dict[str, str], body: bytes) -> tuple[str, bytes] | None:
    """(filename, data) of the `media` field of a multipart/form-data body, or None."""
    ctype = headers.get("content-type", "")
    if not ctype.lower().startswith("multipart/form-data"):
        return None
    msg = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
        f"Content-Type: {ctype}\r\n\r\n".encode("latin-1") + body
    )
    if not msg.is_multipart():
        return None
    for part in msg.iter_parts():  # type: ignore[attr-defined]
        if part.get_param("name", header="content-disposition") == "media":
            data = part.get_payload(decode=True)
            return str(part.get_filename() or "media"), data if isinstance(data, bytes) else b""
    return None


def _text_of(content: str) -> str:
    return html.unescape(_TAG.sub("", content)).strip()


class Platform:
    """The account's state and the API's rules. Every public method takes the lock."""

    def __init__(self, config: AccountRules, clock: Callable[[], float]) -> None:
        self.config = config
        self.clock = clock
        self.base_url = ""
        self.lock = threading.RLock()
        self.rng = random.Random(config.seed)
        self.state: dict[str, Any] = self.empty_state()

    @staticmethod
    def empty_state() -> dict[str, Any]:
        return {
            "seq": 0,
            "tokens": {},
            "current": {"stable": None, "basic": None},
            "media": {},
            "images": {},
            "drafts": {},
            "jobs": {},
            "articles": {},
            "mass": [],
            "clientmsgids": {},
            "calls_today": {"day": "", "counts": {}},
        }

    # ---------------------------------------------------------------- helpers

    def _next(self) -> int:
        self.state["seq"] += 1
        return int(self.state["seq"])

    def _ok(self, **fields: Any) -> Reply:
        return Reply({"errcode": 0, "errmsg": "ok", **fields})

    def _rid(self) -> str:
        return f"{self.rng.getrandbits(32):08x}-{self.rng.getrandbits(32):08x}-{self.rng.getrandbits(32):08x}"

    def refusal(self, errcode: int, errmsg: str) -> Reply:
        return Reply({"errcode": errcode, "errmsg": f"{errmsg} rid: {self._rid()}"})

    def _day(self, t: float | None = None) -> dt.date:
        return dt.datetime.fromtimestamp(self.clock() if t is None else t, BEIJING).date()

    # ------------------------------------------------------------------ entry

    def handle(
        self, method: str, path: str, query: dict[str, list[str]], body: bytes, headers: dict[str, str], ip: str
    ) -> Reply:
        with self.lock:
            self._settle()
            try:
                return self._route(method, path, query, body, headers, ip)
            except Refusal as r:
                return self.refusal(r.errcode, r.errmsg)

    def _route(
        self, method: str, path: str, query: dict[str, list[str]], body: bytes, headers: dict[str, str], ip: str
    ) -> Reply:
        if not path.startswith("/cgi-bin/"):
            return self._page(path)
        quota = self.config.daily_call_quota
        if quota is not None:
            today = self._day().isoformat()
            counts = self.state["calls_today"]
            if counts["day"] != today:
                counts["day"], counts["counts"] = today, {}
            used = counts["counts"].get(path, 0)
            if used >= quota:
                raise Refusal(45009, "reach max api daily quota limit")
            counts["counts"][path] = used + 1
        q = {k: v[-1] for k, v in query.items()}
        if path == "/cgi-bin/token":
            return self._token(q, ip, stable=False)
        if path == "/cgi-bin/stable_token":
            return self._token(self._json(body), ip, stable=True)
        if "access_token" not in q:
            raise Refusal(41001, "access_token missing")
        self._check_token(q["access_token"])
        route = _ROUTES.get(path)
        if route is None:
            raise Refusal(40066, "invalid url")
        if path.startswith(("/cgi-bin/freepublish/", "/cgi-bin/message/mass/")) and not self.config.verified:
            raise Refusal(48001, "api unauthorized")
        if path.startswith(("/cgi-bin/media/", "/cgi-bin/material/")):
            return route(self, q, body, headers)
        payload = self._json(body) if method == "POST" else {}
        return route(self, q, payload, headers)

    def _json(self, body: bytes) -> dict[str, Any]:
        if _ESCAPED.search(body):
            raise Refusal(40033, "invalid charset. please check your request, if include \\uxxxx will create fail!")
        try:
            data = json.loads(body.decode("utf-8")) if body else {}
        except (UnicodeDecodeError, ValueError):
            raise Refusal(47001, "data format error") from None
        if not isinstance(data, dict):
            raise Refusal(47001, "data format error")
        return data

    # ----------------------------------------------------------------- tokens

    def _token(self, params: dict[str, Any], ip: str, *, stable: bool) -> Reply:
        cfg = self.config
        if params.get("grant_type") != "client_credential":
            raise Refusal(40002, "invalid grant_type")
        if params.get("appid") != cfg.appid:
            raise Refusal(40013, "invalid appid")
        if params.get("secret") != cfg.secret:
            raise Refusal(40125, "invalid appsecret")
        if cfg.whitelist_error:
            raise Refusal(40164, f"invalid ip {ip} ipv6 ::ffff:{ip}, not in whitelist")
        now = self.clock()
        tokens = self.state["tokens"]
        kind = "stable" if stable else "basic"
        current = self.state["current"][kind]
        force = bool(params.get("force_refresh")) if stable else True
        renew_window = min(cfg.token_renew_window, cfg.token_ttl / 2)
        if current in tokens and not force and tokens[current] - now > renew_window:
            return Reply({"access_token": current, "expires_in": int(tokens[current] - now)})
        if current in tokens:
            if stable and force:
                del tokens[current]  # a forced refresh invalidates the previous stable token at once
            elif not stable:
                tokens[current] = min(tokens[current], now + cfg.token_overlap)
        token = f"SBX_{self._next():06d}_{self.rng.getrandbits(128):032x}"
        tokens[token] = now + cfg.token_ttl
        self.state["current"][kind] = token
        return Reply({"access_token": token, "expires_in": int(cfg.token_ttl)})

    def _check_token(self, token: str) -> None:
        expires = self.state["tokens"].get(token)
        if expires is None:
            raise Refusal(40001, "invalid credential, access_token is invalid or not latest")
        if self.clock() >= expires:
            raise Refusal(42001, "access_token expired")

    def invalidate_tokens(self) -> None:
        with self.lock:
            self.state["tokens"].clear()
            self.state["current"] = {"stable": None, "basic": None}

    def expire_tokens(self) -> None:
        with self.lock:
            now = self.clock()
            for token in self.state["tokens"]:
                self.state["tokens"][token] = now

    # ------------------------------------------------------------------ media

    def _store_image(self, data: bytes, kind: str) -> str:
        name = f"{hashlib.sha256(data).hexdigest()[:24]}.{kind}"
        self.state["images"][name] = {
            "type": _IMAGE_TYPES.get(kind, "application/octet-stream"),
            "data": base64.b64encode(data).decode(),
        }
        return f"{self.base_url}/mmbiz/{name}"

    def image(self, name: str) -> tuple[str, bytes] | None:
        with self.lock:
            img = self.state["images"].get(name)
            return (img["type"], base64.b64decode(img["data"])) if img else None

    def uploadimg(self, q: dict[str, str], body: bytes, headers: dict[str, str]) -> Reply:
        media = _multipart_media(headers, body)
        if media is None:
            raise Refusal(41005, "media data missing")
        filename, data = media
        kind = _image_kind(data)
        ext = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
        if kind not in ("jpg", "png") or ext not in ("jpg", "jpeg", "png"):
            raise Refusal(40005, "invalid file type")
        if len(data) >= BODY_IMAGE_LIMIT:
            raise Refusal(40009, "invalid image size")
        url = self._store_image(data, kind)
        return Reply({"url": url}, content_type="text/plain")

    def add_material(self, q: dict[str, str], body: bytes, headers: dict[str, str]) -> Reply:
        mtype = q.get("type", "")
        if mtype not in ("image", "thumb", "voice", "video"):
            raise Refusal(40004, "invalid media type")
        media = _multipart_media(headers, body)
        if media is None:
            raise Refusal(41005, "media data missing")
        _, data = media
        kind = _image_kind(data)
        if mtype == "image" and kind not in ("jpg", "png", "gif", "bmp"):
            raise Refusal(40005, "invalid file type")
        if mtype == "image" and len(data) > 10 * 1024 * 1024:
            raise Refusal(40009, "invalid image size")
        if mtype == "thumb" and (kind != "jpg" or len(data) > 64 * 1024):
            raise Refusal(40009 if kind == "jpg" else 40005, "invalid thumb")
        if mtype in ("voice", "video"):
            raise Refusal(40004, "invalid media type (the sandbox keeps images only)")
        url = self._store_image(data, kind or "jpg")
        media_id = f"PERM_{self._next():06d}_{self.rng.getrandbits(64):016x}"
        self.state["media"][media_id] = {"kind": mtype, "permanent": True, "url": url, "created": self.clock()}
        return Reply({"media_id": media_id, "url": url})

    def upload_temporary(self, q: dict[str, str], body: bytes, headers: dict[str, str]) -> Reply:
        mtype = q.get("type", "")
        if mtype not in ("image", "thumb"):
            raise Refusal(40004, "invalid media type")
        media = _multipart_media(headers, body)
        if media is None:
            raise Refusal(41005, "media data missing")
        _, data = media
        url = self._store_image(data, _image_kind(data) or "jpg")
        media_id = f"TEMP_{self._next():06d}_{self.rng.getrandbits(64):016x}"
        self.state["media"][media_id] = {"kind": mtype, "permanent": False, "url": url, "created": self.clock()}
        return Reply({"type": mtype, "media_id": media_id, "created_at": int(self.clock())})

    # ----------------------------------------------------------------- drafts

    def _check_articles(self, articles: Any) -> list[dict[str, Any]]:
        if not isinstance(articles, list) or not articles:
            raise Refusal(44003, "empty news data")
        if len(articles) > MAX_ARTICLES:
            raise Refusal(45008, "article size out of limit")
        return [self._check_article(a, single=len(articles) == 1) for a in articles]

    def _check_article(self, a: Any, *, single: bool) -> dict[str, Any]:
        if not isinstance(a, dict):
            raise Refusal(47001, "data format error")
        title, content = a.get("title"), a.get("content")
        if not isinstance(title, str) or not title.strip():
            raise Refusal(47001, "data format error: title missing")
        if not isinstance(content, str) or not content.strip():
            raise Refusal(44003, "empty news data")
        if len(title) > TITLE_MAX:
            raise Refusal(45003, "title size out of limit")
        author = a.get("author") or ""
        if not isinstance(author, str):
            raise Refusal(47001, "data format error")
        if len(author) > AUTHOR_MAX:
            raise Refusal(45110, "author size out of limit")
        digest = a.get("digest") or ""
        if not isinstance(digest, str):
            raise Refusal(47001, "data format error")
        if len(digest) > DIGEST_MAX:
            raise Refusal(45004, "description size out of limit")
        if len(content) >= CONTENT_MAX_CHARS or len(content.encode("utf-8")) >= CONTENT_MAX_BYTES:
            raise Refusal(45002, "content size out of limit")
        source = a.get("content_source_url") or ""
        if not isinstance(source, str):
            raise Refusal(47001, "data format error")
        if len(source.encode("utf-8")) > SOURCE_URL_MAX:
            raise Refusal(45005, "url size out of limit")
        article_type = a.get("article_type") or "news"
        if article_type not in ("news", "newspic"):
            raise Refusal(47001, "data format error: article_type")
        thumb = a.get("thumb_media_id") or ""
        if article_type == "news":
            media = self.state["media"].get(thumb)
            if not thumb or media is None or not media["permanent"]:
                raise Refusal(40007, "invalid media_id")
        for flag in ("need_open_comment", "only_fans_can_comment"):
            if a.get(flag, 0) not in (0, 1):
                raise Refusal(47001, f"data format error: {flag}")
        for crop in ("pic_crop_235_1", "pic_crop_1_1"):
            value = a.get(crop)
            if value:
                parts = str(value).split("_")
                try:
                    ok = len(parts) == 4 and all(0 <= float(p) <= 1 for p in parts)
                except ValueError:
                    ok = False
                if not ok:
                    raise Refusal(47001, f"data format error: {crop}")
        clean, dropped = self._sanitize(content)
        if not single:
            digest = ""
        if not digest:
            digest = _text_of(clean)[:54]
        return {
            "title": title,
            "author": author,
            "digest": digest,
            "content": clean,
            "content_source_url": source,
            "thumb_media_id": thumb,
            "thumb_url": self.state["media"].get(thumb, {}).get("url", ""),
            "need_open_comment": int(a.get("need_open_comment", 0)),
            "only_fans_can_comment": int(a.get("only_fans_can_comment", 0)),
            "article_type": article_type,
            "filtered_images": dropped,
        }

    def _sanitize(self, content: str) -> tuple[str, list[str]]:
        """Scripts removed (and HTML comments, with `strip_comments`); images not served by uploadimg
        removed (returned)."""
        dropped: list[str] = []
        content = _SCRIPT.sub("", content)
        if self.config.strip_comments:
            content = _COMMENT.sub("", content)

        def keep(m: re.Match[str]) -> str:
            src = _SRC.search(m.group(0))
            url = src.group(1) if src else ""
            if url.startswith((f"{self.base_url}/mmbiz/", "http://mmbiz.qpic.cn/", "https://mmbiz.qpic.cn/")):
                return m.group(0)
            dropped.append(url)
            return ""

        return _IMG.sub(keep, content), dropped

    def draft_add(self, q: dict[str, str], p: dict[str, Any], headers: dict[str, str]) -> Reply:
        articles = self._check_articles(p.get("articles"))
        media_id = f"DRAFT_{self._next():06d}_{self.rng.getrandbits(64):016x}"
        now = self.clock()
        self.state["drafts"][media_id] = {"articles": articles, "create_time": now, "update_time": now}
        return Reply({"media_id": media_id})

    def _draft(self, p: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        media_id = p.get("media_id")
        draft = self.state["drafts"].get(media_id) if isinstance(media_id, str) else None
        if draft is None:
            raise Refusal(40007, "invalid media_id")
        return str(media_id), draft

    def _news_items(self, articles: list[dict[str, Any]], url_of: Callable[[int], str], content: bool) -> list:
        items = []
        for i, a in enumerate(articles, 1):
            item = {k: v for k, v in a.items() if k != "filtered_images"}
            if not content:
                item.pop("content")
            item["url"] = url_of(i)
            items.append(item)
        return items

    def _draft_url(self, media_id: str) -> Callable[[int], str]:
        return lambda i: f"{self.base_url}/s/draft/{media_id}/{i}"

    def draft_get(self, q: dict[str, str], p: dict[str, Any], headers: dict[str, str]) -> Reply:
        media_id, draft = self._draft(p)
        items = self._news_items(draft["articles"], self._draft_url(media_id), True)
        return Reply(
            {"news_item": items, "create_time": int(draft["create_time"]), "update_time": int(draft["update_time"])}
        )

    def draft_update(self, q: dict[str, str], p: dict[str, Any], headers: dict[str, str]) -> Reply:
        _, draft = self._draft(p)
        index = p.get("index")
        if not isinstance(index, int) or not 0 <= index < len(draft["articles"]):
            raise Refusal(47001, "data format error: index")
        draft["articles"][index] = self._check_article(p.get("articles"), single=len(draft["articles"]) == 1)
        draft["update_time"] = self.clock()
        return self._ok()

    def draft_delete(self, q: dict[str, str], p: dict[str, Any], headers: dict[str, str]) -> Reply:
        media_id, _ = self._draft(p)
        del self.state["drafts"][media_id]
        return self._ok()

    def draft_count(self, q: dict[str, str], p: dict[str, Any], headers: dict[str, str]) -> Reply:
        return Reply({"total_count": len(self.state["drafts"])})

    def _listed(self, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Listed items without the fields named in `SandboxConfig.listing_omits` (a lean listing)."""
        omit = set(self.config.listing_omits)
        return [{k: v for k, v in it.items() if k not in omit} for it in items] if omit else items

    def _ordered(self, items: list[Any]) -> list[Any]:
        """A listing in `SandboxConfig.listing_order`: newest first (as WeChat appears to list), oldest
        first, or shuffled by a fixed seed (the same order for every page of one listing)."""
        order = self.config.listing_order
        if order == "oldest":
            return items[::-1]
        if order == "shuffled":
            shuffled = list(items)
            random.Random(self.config.seed).shuffle(shuffled)
            return shuffled
        return items

    def _page_args(self, p: dict[str, Any]) -> tuple[int, int, bool]:
        offset, count = p.get("offset", 0), p.get("count", 20)
        if not isinstance(offset, int) or not isinstance(count, int) or offset < 0 or not 1 <= count <= 20:
            raise Refusal(47001, "data format error: offset/count (count 1-20)")
        return offset, count, not p.get("no_content", 0)

    def draft_batchget(self, q: dict[str, str], p: dict[str, Any], headers: dict[str, str]) -> Reply:
        offset, count, content = self._page_args(p)
        drafts = self._ordered(sorted(self.state["drafts"].items(), key=lambda kv: kv[1]["update_time"], reverse=True))
        page = [
            {
                "media_id": mid,
                "content": {
                    "news_item": self._listed(self._news_items(d["articles"], self._draft_url(mid), content)),
                    "create_time": int(d["create_time"]),
                    "update_time": int(d["update_time"]),
                },
                "update_time": int(d["update_time"]),
            }
            for mid, d in drafts[offset : offset + count]
        ]
        return Reply({"total_count": len(drafts), "item_count": len(page), "item": page})

    # ------------------------------------------------------------- publishing

    def submit(self, q: dict[str, str], p: dict[str, Any], headers: dict[str, str]) -> Reply:
        media_id, draft = self._draft(p)
        publish_id = 2_247_000_000 + self._next()
        self.state["jobs"][str(publish_id)] = {
            "media_id": media_id,
            "articles": [dict(a) for a in draft["articles"]],
            "status": 1,
            "polls": 0,
            "submitted": self.clock(),
            "article_id": None,
            "fail_idx": [],
        }
        return self._ok(publish_id=publish_id if self.config.int_ids else str(publish_id))

    def _outcome(self, job: dict[str, Any]) -> int:
        by_title = self.config.publish_outcome_by_title
        for a in job["articles"]:
            if a["title"] in by_title:
                return int(by_title[a["title"]])
        return int(self.config.publish_outcome)

    def _finish(self, publish_id: str, job: dict[str, Any]) -> None:
        status = self._outcome(job)
        job["status"] = status
        job["finished"] = self.clock()
        if status != 0:
            job["fail_idx"] = list(range(1, len(job["articles"]) + 1))
            return
        article_id = f"ART_{self._next():06d}_{self.rng.getrandbits(64):016x}"
        job["article_id"] = article_id
        items = []
        for i, a in enumerate(job["articles"], 1):
            items.append({**a, "url": f"{self.base_url}/s/{article_id}/{i}", "is_deleted": False})
        self.state["articles"][article_id] = {
            "publish_id": publish_id,
            "items": items,
            "update_time": self.clock(),
            "banned": False,
        }
        self.state["drafts"].pop(job["media_id"], None)

    def _settle(self, *, everything: bool = False) -> None:
        delay = self.config.publish_delay
        now = self.clock()
        for publish_id, job in self.state["jobs"].items():
            if job["status"] == 1 and (everything or (delay is not None and now - job["submitted"] >= delay)):
                self._finish(publish_id, job)

    def settle(self) -> None:
        """Finish every running publish job now (as if time passed)."""
        with self.lock:
            self._settle(everything=True)

    def _job_view(self, publish_id: str, job: dict[str, Any]) -> dict[str, Any]:
        status = job["status"]
        article = self.state["articles"].get(job["article_id"] or "")
        if article is not None and status == 0:
            if article["banned"]:
                status = 6
            elif all(i["is_deleted"] for i in article["items"]):
                status = 5
        out: dict[str, Any] = {
            "publish_id": int(publish_id) if self.config.int_ids else publish_id,
            "publish_status": status,
        }
        if job["article_id"]:
            out["article_id"] = job["article_id"]
            items = article["items"] if article else []
            out["article_detail"] = {
                "count": len(items),
                "item": [{"idx": i, "article_url": it["url"]} for i, it in enumerate(items, 1)],
            }
        out["fail_idx"] = job["fail_idx"]
        return out

    def publish_get(self, q: dict[str, str], p: dict[str, Any], headers: dict[str, str]) -> Reply:
        publish_id = str(p.get("publish_id", ""))
        job = self.state["jobs"].get(publish_id)
        if job is None:
            raise Refusal(40007, "invalid publish_id")
        if job["status"] == 1:
            job["polls"] += 1
            if job["polls"] > self.config.publish_polls_until_done:
                self._finish(publish_id, job)
        return self._ok(**self._job_view(publish_id, job))

    def _article(self, p: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        article_id = p.get("article_id")
        article = self.state["articles"].get(article_id) if isinstance(article_id, str) else None
        if article is None:
            raise Refusal(53600, "Article ID 无效")
        return str(article_id), article

    def _article_items(self, article: dict[str, Any], content: bool) -> list[dict[str, Any]]:
        items = []
        for it in article["items"]:
            item = {k: v for k, v in it.items() if k != "filtered_images"}
            if not content:
                item.pop("content")
            items.append(item)
        return items

    def getarticle(self, q: dict[str, str], p: dict[str, Any], headers: dict[str, str]) -> Reply:
        _, article = self._article(p)
        if self.config.forget_deleted and all(i["is_deleted"] for i in article["items"]):
            raise Refusal(53600, "Article ID 无效")
        return Reply({"news_item": self._article_items(article, True)})

    def publish_batchget(self, q: dict[str, str], p: dict[str, Any], headers: dict[str, str]) -> Reply:
        offset, count, content = self._page_args(p)
        live = self._ordered(
            [
                (aid, a)
                for aid, a in sorted(self.state["articles"].items(), key=lambda kv: kv[1]["update_time"], reverse=True)
                if not all(i["is_deleted"] for i in a["items"])
            ]
        )
        page = [
            {
                "article_id": aid,
                "content": {"news_item": self._listed(self._article_items(a, content))},
                "update_time": int(a["update_time"]),
            }
            for aid, a in live[offset : offset + count]
        ]
        return Reply({"total_count": len(live), "item_count": len(page), "item": page})

    def publish_delete(self, q: dict[str, str], p: dict[str, Any], headers: dict[str, str]) -> Reply:
        _, article = self._article(p)
        index = p.get("index", 0)
        if not isinstance(index, int) or not 0 <= index <= len(article["items"]):
            raise Refusal(47001, "data format error: index")
        targets = article["items"] if index == 0 else [article["items"][index - 1]]
        if all(it["is_deleted"] for it in targets):
            raise Refusal(53600, "Article ID 无效")
        for it in targets:
            it["is_deleted"] = True
        return self._ok()

    def forget_media(self, media_id: str) -> None:
        """Simulate permanent material deleted in the console: the media_id answers 40007 from now on."""
        with self.lock:
            self.state["media"].pop(media_id, None)

    def fill(self, *, articles: int = 0, drafts: int = 0) -> None:
        """Give the account a history: `articles` published articles and `drafts` drafts of other posts
        (the listing size that reconciliation must page through)."""
        with self.lock:
            thumb = f"PERM_FILL_{self._next():06d}"
            self.state["media"][thumb] = {"kind": "image", "permanent": True, "url": "", "created": self.clock()}
            base = self.clock() - 86400 * 365
            for n in range(articles):
                article_id = f"ART_FILL_{n:06d}"
                item = self._filler(n, thumb) | {"url": f"{self.base_url}/s/{article_id}/1", "is_deleted": False}
                self.state["articles"][article_id] = {
                    "publish_id": f"FILL{n}",
                    "items": [item],
                    "update_time": base + n,
                    "banned": False,
                }
            for n in range(drafts):
                media_id = f"DRAFT_FILL_{n:06d}"
                t = base + articles + n
                self.state["drafts"][media_id] = {
                    "articles": [self._filler(articles + n, thumb)],
                    "create_time": t,
                    "update_time": t,
                }

    @staticmethod
    def _filler(n: int, thumb: str) -> dict[str, Any]:
        return {
            "title": f"往期推送第{n}期",
            "author": "",
            "digest": f"往期推送第{n}期摘要",
            "content": f"<p>往期推送第{n}期正文。</p>" * 20,
            "content_source_url": "",
            "thumb_media_id": thumb,
            "thumb_url": "",
            "need_open_comment": 0,
            "only_fans_can_comment": 0,
            "article_type": "news",
            "filtered_images": [],
        }

    def ban_article(self, article_id: str) -> None:
        """Simulate WeChat banning a published article (status 6)."""
        with self.lock:
            self.state["articles"][article_id]["banned"] = True

    # ----------------------------------------------------------- mass sending

    def sendall(self, q: dict[str, str], p: dict[str, Any], headers: dict[str, str]) -> Reply:
        cfg = self.config
        now = self.clock()
        seen = self.state["clientmsgids"]
        for cid, at in list(seen.items()):
            if now - at >= CLIENTMSGID_TTL:
                del seen[cid]
        clientmsgid = p.get("clientmsgid")
        if clientmsgid is not None and str(clientmsgid) in seen:
            raise Refusal(45065, "clientmsgid exist")
        filt = p.get("filter")
        if not isinstance(filt, dict) or p.get("msgtype") != "mpnews":
            raise Refusal(47001, "data format error: the sandbox supports mpnews with a filter")
        to_all = bool(filt.get("is_to_all"))
        mpnews = p.get("mpnews")
        media_id, draft = self._draft(mpnews if isinstance(mpnews, dict) else {})
        today, month = self._day(now), self._day(now).strftime("%Y-%m")
        sends = self.state["mass"]
        this_month = [m for m in sends if self._day(m["at"]).strftime("%Y-%m") == month]
        today_all = [m for m in sends if m["to_all"] and self._day(m["at"]) == today]
        if len(this_month) >= cfg.mass_month_quota or (to_all and len(today_all) >= cfg.mass_day_quota):
            raise Refusal(45028, "has no masssend quota")
        msg_id = 1_000_000_000 + self._next()
        msg_data_id = 2_000_000_000 + self._next()
        items = [
            {**a, "url": f"{self.base_url}/s/mass/{msg_data_id}/{i}", "is_deleted": False}
            for i, a in enumerate(draft["articles"], 1)
        ]
        sends.append(
            {
                "msg_id": msg_id,
                "msg_data_id": msg_data_id,
                "clientmsgid": None if clientmsgid is None else str(clientmsgid),
                "media_id": media_id,
                "to_all": to_all,
                "tag_id": filt.get("tag_id"),
                "at": now,
                "items": items,
            }
        )
        if clientmsgid is not None:
            seen[str(clientmsgid)] = now
        del self.state["drafts"][media_id]
        answer: dict[str, Any] = {
            "errcode": 0,
            "errmsg": "send job submission success",
            "msg_id": msg_id,
            "msg_data_id": msg_data_id,
        }
        if cfg.mass_answer_url:
            answer["article_url"] = items[0]["url"]
        return Reply(answer)

    def mass_delete(self, q: dict[str, str], p: dict[str, Any], headers: dict[str, str]) -> Reply:
        msg_id = p.get("msg_id")
        index = p.get("article_idx", 0)
        if msg_id is None:
            raise Refusal(40059, "invalid msg id (the sandbox deletes by msg_id only)")
        send = next((m for m in self.state["mass"] if str(m["msg_id"]) == str(msg_id)), None)
        if send is None:
            raise Refusal(40059, "invalid msg id")
        window = self.config.mass_delete_window
        if window is not None and self.clock() - send["at"] > window:
            raise Refusal(40059, "invalid msg id (too late to delete this send)")
        if not isinstance(index, int) or not 0 <= index <= len(send["items"]):
            raise Refusal(40060, "invalid article idx")
        for it in send["items"] if index == 0 else [send["items"][index - 1]]:
            it["is_deleted"] = True
        return self._ok()

    def mass_get(self, q: dict[str, str], p: dict[str, Any], headers: dict[str, str]) -> Reply:
        for m in self.state["mass"]:
            if str(m["msg_id"]) == str(p.get("msg_id")):
                return Reply({"msg_id": m["msg_id"], "msg_status": "SEND_SUCCESS"})
        raise Refusal(40007, "invalid msg_id")

    # ----------------------------------------------------------------- quotas

    def quota_get(self, q: dict[str, str], p: dict[str, Any], headers: dict[str, str]) -> Reply:
        limit = self.config.daily_call_quota
        used = self.state["calls_today"]["counts"].get(str(p.get("cgi_path", "")), 0)
        return self._ok(quota={"daily_limit": limit or 0, "used": used, "remain": max(0, (limit or 0) - used)})

    def clear_quota(self, q: dict[str, str], p: dict[str, Any], headers: dict[str, str]) -> Reply:
        if p.get("appid") != self.config.appid:
            raise Refusal(40013, "invalid appid")
        self.state["calls_today"]["counts"] = {}
        return self._ok()

    # ------------------------------------------------------------------ pages

    def _page(self, path: str) -> Reply:
        parts = [p for p in path.split("/") if p]
        if parts[:1] == ["mmbiz"] and len(parts) == 2:
            img = self.state["images"].get(parts[1])
            if img:
                return Reply(base64.b64decode(img["data"]), content_type=img["type"])
        if parts[:1] == ["s"]:
            found = self._find_page(parts[1:])
            if found is not None:
                return Reply(found.encode("utf-8"), content_type="text/html; charset=utf-8")
        if not parts:
            return Reply(self._index().encode("utf-8"), content_type="text/html; charset=utf-8")
        return Reply(b"not found\n", content_type="text/plain; charset=utf-8", status=404)

    def _find_page(self, parts: list[str]) -> str | None:
        def idx(i: int) -> int:
            return int(parts[i]) if len(parts) > i and parts[i].isdigit() else 1

        if parts[:1] == ["draft"] and len(parts) >= 2:
            draft = self.state["drafts"].get(parts[1])
            items = draft["articles"] if draft else []
            n = idx(2)
            return _html_page(items[n - 1], "草稿预览 (draft preview)") if 0 < n <= len(items) else None
        if parts[:1] == ["mass"] and len(parts) >= 2:
            for m in self.state["mass"]:
                if str(m["msg_data_id"]) == parts[1] and 0 < idx(2) <= len(m["items"]):
                    item = m["items"][idx(2) - 1]
                    if item.get("is_deleted"):
                        return _notice("该内容已被发布者删除 (deleted by the account)")
                    return _html_page(item, "群发 (mass send)")
            return None
        article = self.state["articles"].get(parts[0]) if parts else None
        if article is None or not 0 < idx(1) <= len(article["items"]):
            return None
        item = article["items"][idx(1) - 1]
        if article["banned"]:
            return _notice("此内容因违规无法查看 (banned)")
        if item["is_deleted"]:
            return _notice("该内容已被发布者删除 (deleted by the account)")
        return _html_page(item, "已发表 (published)")

    def _index(self) -> str:
        rows = []
        for a in self.state["articles"].values():
            for it in a["items"]:
                state = "deleted" if it["is_deleted"] else "banned" if a["banned"] else "live"
                rows.append(f'<li><a href="{html.escape(it["url"])}">{html.escape(it["title"])}</a> ({state})</li>')
        for m in self.state["mass"]:
            for it in m["items"]:
                state = "群发, deleted" if it.get("is_deleted") else "群发"
                rows.append(f'<li><a href="{html.escape(it["url"])}">{html.escape(it["title"])}</a> ({state})</li>')
        body = "<ul>" + "".join(rows) + "</ul>" if rows else "<p>Nothing published yet.</p>"
        return _shell("wxpub sandbox", f"<h1>wxpub sandbox: a local stand-in for WeChat</h1>{body}")


def _shell(title: str, body: str) -> str:
    return (
        '<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{html.escape(title)}</title></head>"
        '<body style="max-width:677px;margin:0 auto;padding:16px;font-family:sans-serif">'
        f"{body}</body></html>"
    )


def _html_page(item: dict[str, Any], label: str) -> str:
    return _shell(
        item["title"],
        f'<p style="color:#888;font-size:12px">wxpub sandbox · {html.escape(label)}</p>'
        f'<h1 style="font-size:22px">{html.escape(item["title"])}</h1>'
        f'<p style="color:#576b95">{html.escape(item.get("author", ""))}</p>'
        f'<div id="js_content">{item["content"]}</div>',
    )


def _notice(text: str) -> str:
    return _shell("wxpub sandbox", f"<p>{html.escape(text)}</p>")


_ROUTES: dict[str, Callable[..., Reply]] = {
    "/cgi-bin/media/uploadimg": Platform.uploadimg,
    "/cgi-bin/media/upload": Platform.upload_temporary,
    "/cgi-bin/material/add_material": Platform.add_material,
    "/cgi-bin/draft/add": Platform.draft_add,
    "/cgi-bin/draft/get": Platform.draft_get,
    "/cgi-bin/draft/update": Platform.draft_update,
    "/cgi-bin/draft/delete": Platform.draft_delete,
    "/cgi-bin/draft/count": Platform.draft_count,
    "/cgi-bin/draft/batchget": Platform.draft_batchget,
    "/cgi-bin/freepublish/submit": Platform.submit,
    "/cgi-bin/freepublish/get": Platform.publish_get,
    "/cgi-bin/freepublish/getarticle": Platform.getarticle,
    "/cgi-bin/freepublish/batchget": Platform.publish_batchget,
    "/cgi-bin/freepublish/delete": Platform.publish_delete,
    "/cgi-bin/message/mass/sendall": Platform.sendall,
    "/cgi-bin/message/mass/get": Platform.mass_get,
    "/cgi-bin/message/mass/delete": Platform.mass_delete,
    "/cgi-bin/openapi/quota/get": Platform.quota_get,
    "/cgi-bin/clear_quota": Platform.clear_quota,
}


def parse_query(raw: str) -> dict[str, list[str]]:
    return parse_qs(raw, keep_blank_values=True)
