"""What the archive shows: one `Entry` per published (or retracted) post, newest first.

An entry joins the publication record (what was published, when, where, who approved it) with the
post in the working tree (its body, author, tags, images). Only records whose status is published or
retracted appear; a record whose post folder is gone still appears, without its body.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from ..post import split_front_matter
from .records import SHOWN, form_of

CATEGORY_NAMES = {
    "product": "产品动态",
    "campaign": "营销活动",
    "notice": "公告通知",
    "service": "客户服务",
    "knowledge": "知识科普",
    "other": "其他",
}
DELIVERY_NAMES = {"publish": "发布（不推送）", "broadcast": "群发（推送给关注者）"}
STATUS_NAMES = {"published": "已发布", "retracted": "已撤回"}

_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_UNSAFE_SLUG = re.compile(r"[\s/\\?#%&'\"<>.:;|*]+")


def slug(text: str) -> str:
    """A path segment for a unit or tag: the name itself (Chinese is fine in a URL) with unsafe signs dashed."""
    s = _UNSAFE_SLUG.sub("-", text.strip()).strip("-").lower()
    return s or "x-" + hashlib.sha1(text.encode()).hexdigest()[:8]


@dataclass
class Entry:
    """One publication as the archive shows it."""

    id: str
    title: str
    unit: str
    category: str
    status: str
    delivery: str
    published_at: dt.datetime
    article_url: str = ""
    author: str = ""
    digest: str = ""
    tags: tuple[str, ...] = ()
    cover: str = ""
    body: str | None = None  # None: not read yet (see `load_body`) or the post is gone (`folder` is None)
    folder: Path | None = None  # None: the post is no longer in the working tree
    source: dict[str, Any] = field(default_factory=dict)  # what was read from the folder, for the next build
    commit: str = ""
    approvers: list[dict[str, Any]] = field(default_factory=list)
    retraction: dict[str, Any] | None = None
    form: tuple[str, str] = ("", "")  # ("markdown" | "html" | "", text)
    key: str = ""  # changes whenever anything shown on the post's page changes

    @property
    def url(self) -> str:
        """The permalink, relative to the site root: from the post id, never the title."""
        return f"p/{self.id}/"

    def load_body(self) -> str:
        """The post's Markdown body, read now if the entry came from the cache."""
        if self.body is None and self.folder is not None:
            loaded = read_front_matter(self.folder / "index.md")
            self.body = loaded[1] if loaded else ""
        return self.body or ""

    @property
    def category_name(self) -> str:
        return CATEGORY_NAMES.get(self.category, self.category)


def read_front_matter(index: Path) -> tuple[dict[str, Any], str] | None:
    """(front matter, body) of a post's index.md, or None when it cannot be read."""
    try:
        text = index.read_text(encoding="utf-8").lstrip("\ufeff").replace("\r\n", "\n")
    except (OSError, UnicodeDecodeError):
        return None
    parts = split_front_matter(text)
    if parts is None:
        return None
    try:
        meta = yaml.load(parts[0], Loader=_Loader)
    except yaml.YAMLError:
        return None
    return (meta if isinstance(meta, dict) else {}), parts[1]


def _str_tuple(value: object) -> tuple[str, ...]:
    if isinstance(value, (list, tuple)):
        return tuple(str(v) for v in value if str(v).strip())
    return ()


def _signature(folder: Path, cover: str) -> str | None:
    """Cheap change detector of a post folder: index.md, the folder (files added/removed), the cover."""
    base = str(folder)
    try:
        st, sd = os.stat(base + "/index.md"), os.stat(base)
    except OSError:
        return None
    sig = f"{st.st_mtime_ns}:{st.st_size}:{sd.st_mtime_ns}"
    if cover and "/" not in cover and ".." not in cover:
        try:
            sc = os.stat(f"{base}/{cover}")
            sig += f":{sc.st_mtime_ns}:{sc.st_size}"
        except OSError:
            sig += ":-"
    return sig


def _source(folder: Path, cached: dict[str, Any] | None) -> dict[str, Any] | None:
    """What the archive needs from a post folder, from `cached` when the folder did not change."""
    if cached and cached.get("sig") and cached["sig"] == _signature(folder, cached.get("cover", "")):
        return cached
    loaded = read_front_matter(folder / "index.md")
    if loaded is None:
        return None
    meta, body = loaded
    h = hashlib.sha1(body.encode())
    for name in sorted(p.name for p in folder.iterdir() if p.is_file() and p.name != "index.md"):
        st = (folder / name).stat()
        h.update(f"{name}:{st.st_size}:{st.st_mtime_ns}".encode())
    cover = str(meta.get("cover") or "")
    return {
        "sig": _signature(folder, cover),
        "author": str(meta.get("author") or ""),
        "digest": str(meta.get("digest") or ""),
        "tags": list(_str_tuple(meta.get("tags"))),
        "cover": cover,
        "title": str(meta.get("title") or ""),
        "content": h.hexdigest(),
        "body": body,  # dropped before caching
    }


def entry_for(root: Path, record: Any, tz: dt.tzinfo, cached: dict[str, Any] | None = None) -> Entry:
    """Join one record with its post folder (read again only when the folder changed since `cached`)."""
    post_id = record.post_id
    when = record.published_at or record.publish_at or dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
    entry = Entry(
        id=post_id,
        title=record.title or post_id,
        unit=record.unit or "",
        category=record.category or "other",
        status=record.status,
        delivery=record.delivery or "publish",
        published_at=when.astimezone(tz),
        article_url=record.article_url or "",
        commit=record.commit or "",
        approvers=list(record.approvers or []),
        retraction=_retraction(record.retraction, tz),
        form=form_of(record),
    )
    folder = root / "posts" / post_id
    src = _source(folder, cached) if "/" in post_id and ".." not in post_id.split("/") else None
    content = ""
    if src is not None:
        entry.folder = folder
        entry.body = src.get("body")  # None when cached: read when the page is rendered
        entry.author, entry.digest, entry.cover = src["author"], src["digest"], src["cover"]
        entry.tags = tuple(src["tags"])
        entry.title = entry.title or src["title"] or post_id
        content = src["content"]
        entry.source = {k: v for k, v in src.items() if k != "body"}
    fields = (
        content,
        entry.title,
        entry.unit,
        entry.category,
        entry.status,
        entry.delivery,
        entry.published_at.isoformat(),
        entry.article_url,
        entry.author,
        entry.digest,
        entry.tags,
        entry.cover,
        entry.commit,
        entry.approvers,
        entry.retraction,
        entry.form,
    )
    entry.key = hashlib.sha1(repr(fields).encode()).hexdigest()
    return entry


def _retraction(value: Any, tz: dt.tzinfo) -> dict[str, str] | None:
    """{by, at, reason} as text, the time in the bank's timezone."""
    if not value:
        return None
    at = value.get("at")
    shown = at.astimezone(tz).strftime("%Y-%m-%d %H:%M") if isinstance(at, dt.datetime) else str(at or "")
    return {"by": str(value.get("by") or ""), "at": shown, "reason": str(value.get("reason") or "")}


def collect(
    root: Path, records: dict[str, Any], tz: dt.tzinfo, cache: dict[str, dict[str, Any]] | None = None
) -> list[Entry]:
    """The entries of every published or retracted record, newest first. `cache`: `Entry.source` by id."""
    cache = cache or {}
    entries = [
        entry_for(root, rec, tz, cache.get(pid)) for pid, rec in records.items() if getattr(rec, "status", "") in SHOWN
    ]
    entries.sort(key=lambda e: (e.published_at, e.id), reverse=True)
    return entries
